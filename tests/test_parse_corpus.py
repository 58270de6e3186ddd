"""Every sample article parses to what a careful human reads from it (expected.json)."""

from __future__ import annotations

import json
import unicodedata

import pytest

from conftest import DATA, DEV, SEEDS
from feedsvc.articles import parse_file
from feedsvc.articles.text import xml_safe


def _cases():
    for folder, expected_file in ((SEEDS, DATA / "seeds_expected.json"), (DEV, DEV / "expected.json")):
        for name, expected in sorted(json.loads(expected_file.read_text("utf-8")).items()):
            yield pytest.param(folder / name, expected, id=name)


CASES = list(_cases())


def test_every_sample_file_is_covered():
    names = {case.id for case in CASES}
    on_disk = {p.name for p in list(SEEDS.glob("*.txt")) + list(DEV.glob("*.txt"))}
    assert names == on_disk


@pytest.mark.parametrize("path, expected", CASES)
def test_title(path, expected):
    article = parse_file(path)
    if expected["title"] is None:
        # No title anywhere in the file: one is built from the lead, and said so.
        assert article.title
        assert any("built one from the lead" in w for w in article.warnings)
        assert article.title.rstrip("…").split()[0] in article.body[0]
    elif "title_raw" in expected:
        assert article.title.casefold() == expected["title"].casefold()
    else:
        assert article.title == expected["title"]


@pytest.mark.parametrize("path, expected", CASES)
def test_category(path, expected):
    article = parse_file(path)
    assert article.category == expected["category"]
    if article.category:
        assert article.category_slug.isascii() and " " not in article.category_slug


@pytest.mark.parametrize("path, expected", CASES)
def test_date(path, expected):
    article = parse_file(path)
    want = expected.get("date_refined") or expected["date"]
    if want is None:
        assert article.published is None and article.date_precision is None
        assert any("undated" in w for w in article.warnings)
        return
    precision = "day" if len(want) == 10 else "month"
    assert article.date_precision == precision
    assert article.published.strftime("%Y-%m-%d" if precision == "day" else "%Y-%m") == want
    assert article.published.utcoffset().total_seconds() == 7 * 3600


@pytest.mark.parametrize("path, expected", CASES)
def test_authors(path, expected):
    assert list(parse_file(path).authors) == expected["authors"]


@pytest.mark.parametrize("path, expected", CASES)
def test_body_ends_where_the_article_ends(path, expected):
    article = parse_file(path)
    if expected.get("body_ends_with"):
        assert article.body[-1].endswith(expected["body_ends_with"])
    else:
        assert article.body == ()
    text = " ".join(article.body)
    for furniture in ("Trả lời", "Email của bạn", "Tin liên quan", "Bài viết liên quan", "Chia sẻ", "Tags:"):
        assert furniture not in text


@pytest.mark.parametrize("path, expected", CASES)
def test_text_is_clean(path, expected):
    article = parse_file(path)
    for value in (article.title, article.summary, *article.body):
        assert xml_safe(value) == value
        assert unicodedata.is_normalized("NFC", value)
        assert "\u00a0" not in value and "\r" not in value and "&quot;" not in value and "<" not in value
