"""Text hygiene: what reaches the parser is UTF-8-clean, NFC, tag-free and XML-safe."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.articles import folding, text
from feedsvc.articles.folding import fold, fold_chars, match_key, slugify
from feedsvc.articles.text import clean, decode, lines


@pytest.mark.parametrize(
    "data, expected",
    [
        ("Thời sự".encode(), "Thời sự"),
        (b"\xef\xbb\xbf date", " date"),  # BOM dropped
        ("kinh tế ".encode() + b"\x96" + " xã hội".encode(), "kinh tế – xã hội"),  # stray cp1258 dash
        (b"\x93quote\x94", "\u201cquote\u201d"),
        (b"\xe1\xbb", "á»"),  # a truncated UTF-8 sequence is still readable, never an exception
    ],
)
def test_decode(data, expected):
    assert decode(data) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("a\r\nb\rc", "a\nb\nc"),
        (unicodedata.normalize("NFD", "Giáo dục"), "Giáo dục"),
        ("thực hiện\u00a0\u00a0Nghị", "thực hiện Nghị"),
        ("Măng Đen – &quot;điểm hẹn&quot; &amp; hè", 'Măng Đen – "điểm hẹn" & hè'),
        ('<p style="x"><strong>Phương Thảo</strong></p>', "\nPhương Thảo\n"),
        ("a<br>b<br />c", "a\nb\nc"),
        ("x<script>alert(1)</script>y", "xy"),
        ("bell\x07 nul\x00 ffff\uffff", "bell nul ffff"),
        ("a < b and c > d", "a < b and c > d"),
        ("&#0;&#x1;ok", "\ufffdok"),
        ("a&#13;b", "a\nb"),  # an escaped CR is a line break too
        ("Gia\x01\u0301o", "Giáo"),  # a control char between letter and tone mark
        ("Gia\u200b\u0301o", "Giáo"),
        ("&#8211; &ndash; &nbsp;x", "– –  x"),
    ],
)
def test_clean(raw, expected):
    assert clean(raw) == expected


def test_lines_drop_blank_lines_and_outer_spaces():
    assert lines(b"  one \r\n\r\n\xc2\xa0\xc2\xa0\r\n two") == ["one", "two"]


@pytest.mark.parametrize(
    "a, b",
    [("Văn hoá - Xã hội", "Văn hóa – Xã hội"), ("THỂ THAO", "thể thao"), ("Y  tế", "Y tế"), ("Thuỷ lợi", "Thủy lợi"),
     ("Văn hóa-Xã hội", "Văn hóa - Xã hội")],
)
def test_match_key_ignores_spelling_variants(a, b):
    assert match_key(a) == match_key(b)


def test_match_key_keeps_different_words_apart():
    assert match_key("Y tế") != match_key("Ý tế")


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Thời sự - Chính trị", "thoi-su-chinh-tri"),
        ("Quốc phòng - An ninh", "quoc-phong-an-ninh"),
        ("Đời sống", "doi-song"),
        (unicodedata.normalize("NFD", "Văn hóa - Xã hội"), "van-hoa-xa-hoi"),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_fold():
    assert fold("Đẩy mạnh ĐỘNG LỰC") == "day manh dong luc"


def test_fold_chars_keeps_offsets():
    text = "Đăk Hà: “Nông dân” trúng mùa – GIÁ TĂNG İ ß"
    folded = fold_chars(text)
    assert len(folded) == len(text)
    assert folded.startswith("dak ha: “nong dan” trung mua – gia tang")
    assert fold(text) == fold(unicodedata.normalize("NFD", text))


@pytest.mark.parametrize(
    "raw, expected",
    [("a<SCRIPT src=x>q</Script >b", "ab"), ("a<script>unclosed b", "aunclosed b"), ("a<!-- open", "a open"),
     ("a<!-- one -->b<!-- two -->c", "abc"), ("<style>p{}</style>text", "text"),
     ("<script>" * 1000 + " giữa " + "<!--" * 1000, " giữa ")],
)
def test_hidden_elements(raw, expected):
    assert clean(raw) == expected


_BMP = [chr(code) for code in range(0x10000)]


def test_characters_clean_changes_are_unprintable():
    # clean() skips its control/invisible/space passes on printable lines.
    touched = [c for c in _BMP if text._INVISIBLE.match(c) or text._XML_FORBIDDEN.match(c) or text._SPACES.match(c)]
    assert touched and not any(c.isprintable() for c in touched)


@pytest.mark.e2e  # every BMP code point: exhaustive
def test_fold_chars_keeps_word_boundaries():
    # The diacritics restorer splits folded text and slices the original at the same offsets.
    word = re.compile(r"[^\W_]")
    for c in _BMP:
        folded = fold_chars(c)
        assert len(folded) == 1 and bool(word.match(folded)) == bool(word.match(c)), repr(c)


_PIECES = list("aoOuyéàẠđ -–—\t\u00a0\u200b\x01\u2028ΣςİßΐǰÅ") + ["\u0301", "\u0323", "\u0302", "&amp;", "<br>"]
_ODD_TEXT = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@pytest.mark.e2e  # Hypothesis, 100 examples
@given(st.lists(_ODD_TEXT, max_size=5))
def test_clean_works_line_by_line(texts):
    # clean() cleans and composes each line apart (texts without CR, itself a line break).
    assert clean("\n".join(texts)) == "\n".join(clean(t) for t in texts)


@pytest.mark.e2e  # Hypothesis, 100 examples
@given(st.lists(_ODD_TEXT.filter(lambda t: " " not in t), max_size=6))
def test_match_key_works_word_by_word(words):
    # Vocabulary.split keys a header's words one at a time and joins the keys.
    assert match_key(" ".join(words)) == " ".join(key for key in map(match_key, words) if key)


@pytest.mark.parametrize(
    "word, expected",
    [("hoá", "hóa"), ("thuỷ", "thủy"), ("Hoà", "Hòa"), ("khoẻ", "khỏe"), ("hóa", "hóa"),
     # only an open oa/oe/uy syllable has two styles
     ("hoạch", "hoạch"), ("toán", "toán"), ("quý", "quý"), ("hoàn", "hoàn")],
)
def test_retone_moves_only_the_old_style_tone(word, expected):
    assert folding.retone(word) == expected
