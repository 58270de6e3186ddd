"""`python -m feedsvc check`: the editor's report and the JSON lines other tools read."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

KEYS = ["id", "title", "category", "category_slug", "published", "date_precision", "authors", "summary", "warnings"]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "feedsvc", "check", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_json_lines_have_exactly_the_documented_keys(corpus):
    result = run(str(corpus), "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(list(corpus.glob("*.txt")))
    for record in records:
        assert list(record) == KEYS
    seed = next(r for r in records if r["id"] == "000_904bb3c4e8a3bd42")
    assert seed["published"] == "2021-10-05T00:00:00+07:00" and seed["date_precision"] == "day"
    assert seed["category_slug"] == "thoi-su-chinh-tri" and seed["authors"] == ["Thanh Tùng", "Thanh Thái"]


def test_default_corpus_is_the_bundled_seeds():
    result = run("--json")
    ids = sorted(json.loads(line)["id"] for line in result.stdout.splitlines())
    assert ids == sorted(p.stem for p in (ROOT / "seeds").glob("*.txt"))


def test_report_names_problems_and_totals(corpus):
    (corpus / "broken.txt").write_bytes(b"\x00\x01\x02" * 10)
    result = run(str(corpus))
    assert result.returncode == 1  # a skipped file is worth an editor's attention
    assert "skipped broken.txt: binary data" in result.stdout
    assert "Kon Tum tiếp tục đẩy mạnh phát triển các vùng kinh tế động lực" in result.stdout
    assert "! undated" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("18 articles: ")
    assert "1 files skipped" in result.stdout


def test_missing_folder_is_a_usage_error(tmp_path):
    result = run(str(tmp_path / "nope"))
    assert result.returncode == 2 and "not a folder" in result.stderr
