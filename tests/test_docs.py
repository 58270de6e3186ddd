"""The README stays true: every setting and every route is documented."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from feedsvc.settings import PREFIX, SETTINGS, SettingError, load

README = (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_a_row_of_the_settings_table(setting):
    row = next((line for line in README.splitlines() if line.startswith(f"| `{PREFIX}{setting.name}` |")), None)
    assert row, f"{PREFIX}{setting.name} is not in the README's settings table"
    default = setting.shown_default or str(setting.default)
    assert f"| {default} |" in row


def test_every_route_is_in_the_url_table(shared_app):
    documented = README.split("## URLs", 1)[1].split("##", 1)[0]
    for rule in shared_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule.rule).replace("<name>.<fmt>", "<category_slug>.rss")
        assert path.split("<")[0] in documented, rule.rule


def test_readme_opens_with_the_two_commands():
    block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "feedsvc serve" in block and "python -m pytest" in block
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = next(line for line in block.splitlines() if "pytest" in line)
    assert test_command.strip() in ci


def test_bad_settings_are_refused_with_the_variable_named():
    with pytest.raises(SettingError, match="FEEDSVC_MAX_LIMIT"):
        load({"FEEDSVC_MAX_LIMIT": "lots"})
    with pytest.raises(SettingError, match="FEEDSVC_BASE_URL"):
        load({"FEEDSVC_BASE_URL": "feeds.example.org"})
    assert load({"FEEDSVC_CATEGORIES": "Môi trường; Đời sống"})["CATEGORIES"] == ("Môi trường", "Đời sống")
