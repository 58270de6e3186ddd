"""Every sample article parses to what a careful human reads from it.

Seven sets, each a folder of articles with an ``expected.json``:
- seeds and dev: the newsroom's originals and the traps we knew of;
- unseen: written after the parser, to test that it generalises;
- blind, blind2: written by people who had not read the parser;
- round3: issue 14's classes (datelines past the lead, date ranges, time-first page stamps, bylines
  with roles, caps titles with words the article never uses, names' capitals), written before the code;
- blind3: 20 more by a helper who had not read the parser, in those styles and others.
"""

from __future__ import annotations

import functools
import json
import unicodedata

import pytest
from conftest import DATA, DEV, SEEDS

from feedsvc.articles import parse_file
from feedsvc.articles.text import xml_safe

SETS = {
    "seeds": (SEEDS, DATA / "seeds_expected.json"),
    "dev": (DEV, DEV / "expected.json"),
    "unseen": (DATA / "unseen", DATA / "unseen" / "expected.json"),
    "blind": (DATA / "blind", DATA / "blind" / "expected.json"),
    "blind2": (DATA / "blind2", DATA / "blind2" / "expected.json"),
    "round3": (DATA / "round3", DATA / "round3" / "expected.json"),
    "blind3": (DATA / "blind3", DATA / "blind3" / "expected.json"),
}
FURNITURE = (
    "Trả lời", "Email của bạn", "Tin liên quan", "TIN LIÊN QUAN", "Bài viết liên quan", "Chia sẻ", "Tags:",
    "Tin cùng chuyên mục", "Các tin khác", "Bài trước", "Bài sau", "Ý kiến bạn đọc", "Có thể bạn quan tâm",
)


# Known misses of a held-out set, kept visible: each must still fail (strict), so a fix shows.
KNOWN_MISSES = {
    ("blind3/514_fb5cd25bba8009c5.txt", "title"): (
        "MUA: the article writes 'mua' twice ('thu mua') and 'mùa' once ('được mùa'); nothing tells the "
        "restorer that the title means 'mùa', so it keeps the article's commonest spelling and names the "
        "word as a low-confidence guess"
    ),
}


def _cases(field=None):
    for set_name, (folder, expected_file) in SETS.items():
        for name, expected in sorted(json.loads(expected_file.read_text("utf-8")).items()):
            case_id = f"{set_name}/{name}"
            miss = KNOWN_MISSES.get((case_id, field))
            marks = [pytest.mark.xfail(strict=True, reason=miss)] if miss else []
            yield pytest.param(folder / name, expected, id=case_id, marks=marks)


CASES = list(_cases())


@functools.cache
def parsed(path):
    """Each sample parsed once for the six tests that read it (the parser is deterministic)."""
    return parse_file(path)


@pytest.mark.parametrize("set_name", SETS)
def test_every_sample_file_is_covered(set_name):
    folder, expected_file = SETS[set_name]
    assert set(json.loads(expected_file.read_text("utf-8"))) == {p.name for p in folder.glob("*.txt")}


@pytest.mark.parametrize("path, expected", list(_cases("title")))
def test_title(path, expected):
    article = parsed(path)
    if expected["title"] is None:
        # No title anywhere in the file: one is built from the lead, and said so.
        assert article.title
        assert any("built one from the lead" in w for w in article.warnings)
        assert article.title.rstrip("…").split()[0] in article.body[0]
    else:
        # A restored caps title too, capitals included: names keep the article's own ("Lễ hội Hoa anh đào").
        assert article.title == expected["title"]


@pytest.mark.parametrize("path, expected", CASES)
def test_category(path, expected):
    article = parsed(path)
    assert article.category == expected["category"]
    if article.category:
        assert article.category_slug.isascii() and " " not in article.category_slug


@pytest.mark.parametrize("path, expected", CASES)
def test_date(path, expected):
    article = parsed(path)
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
    article = parsed(path)
    assert list(article.authors) == expected["authors"]
    if "source" in expected:
        assert article.source == expected["source"]


@pytest.mark.parametrize("path, expected", CASES)
def test_body_ends_where_the_article_ends(path, expected):
    article = parsed(path)
    if expected.get("body_ends_with"):
        assert article.body[-1].endswith(expected["body_ends_with"])
        assert article.body[-1] not in expected["authors"]
    else:
        assert article.body == ()
    text = " ".join(article.body)
    for furniture in FURNITURE:
        assert furniture not in text


@pytest.mark.parametrize("path, expected", CASES)
def test_text_is_clean(path, expected):
    article = parsed(path)
    for value in (article.title, article.summary, *article.body, *article.authors):
        assert xml_safe(value) == value
        assert unicodedata.is_normalized("NFC", value)
        assert "\u00a0" not in value and "\r" not in value and "\u200b" not in value and "\ufffd" not in value
        assert "&quot;" not in value and "&#" not in value and "<" not in value
