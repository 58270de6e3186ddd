"""Third blind round (tests/data/blind2): articles written without looking at the parser parse to what a careful human reads."""

from __future__ import annotations

import json
import unicodedata

import pytest

from conftest import DATA
from feedsvc.articles import parse_file
from feedsvc.articles.text import xml_safe

BLIND = DATA / "blind2"
FURNITURE = (
    "Trả lời", "Email của bạn", "Tin liên quan", "Bài viết liên quan", "Chia sẻ", "Tags:",
    "Tin cùng chuyên mục", "Các tin khác", "Bài trước", "Bài sau",
)


def _cases():
    for name, expected in sorted(json.loads((BLIND / "expected.json").read_text("utf-8")).items()):
        yield pytest.param(BLIND / name, expected, id=name)


CASES = list(_cases())


def test_every_blind_file_is_covered():
    assert {case.id for case in CASES} == {p.name for p in BLIND.glob("*.txt")}


@pytest.mark.parametrize("path, expected", CASES)
def test_title(path, expected):
    article = parse_file(path)
    if expected["title"] is None:
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
    article = parse_file(path)
    assert list(article.authors) == expected["authors"]
    if "source" in expected:
        assert article.source == expected["source"]


@pytest.mark.parametrize("path, expected", CASES)
def test_boilerplate_and_body_end(path, expected):
    article = parse_file(path)
    if expected.get("body_ends_with"):
        assert article.body[-1].endswith(expected["body_ends_with"])
    else:
        assert article.body == ()
    text = " ".join(article.body)
    for furniture in FURNITURE:
        assert furniture not in text
    for author in expected["authors"]:
        assert article.body[-1] != author


@pytest.mark.parametrize("path, expected", CASES)
def test_text_is_clean(path, expected):
    article = parse_file(path)
    for value in (article.title, article.summary, *article.body, *article.authors):
        assert xml_safe(value) == value
        assert unicodedata.is_normalized("NFC", value)
        assert "\u00a0" not in value and "\r" not in value and "\u200b" not in value
        assert "&quot;" not in value and "&ndash;" not in value and "&#" not in value and "<" not in value
        assert "\ufffd" not in value
