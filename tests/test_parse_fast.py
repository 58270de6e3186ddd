"""The invariants the parser's fast paths rely on, checked on every code point they concern."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from feedsvc.articles import parse, text


def _splits(char: str) -> bool:
    return len(f"a{char}b".split()) > 1


@pytest.mark.e2e  # every code point: exhaustive
def test_clean_lines_keep_no_whitespace_but_the_space_and_the_two_separators():
    # parse._single_spaced skips str.split() on a clean line without a double space or these.
    spaces = [chr(code) for code in range(sys.maxunicode + 1) if _splits(chr(code))]
    assert len(spaces) > 20
    for char in spaces:
        for raw in (f"a{char}b", f"ế{char}\u0301", f"\x01{char}{char}b", f"\u200b{char}\u00a0"):
            kept = {c for line in text.clean_lines(raw) for c in line if c != " " and _splits(c)}
            assert kept <= set(text.KEPT_SPACES), (hex(ord(char)), kept)


@pytest.mark.e2e  # every code point: exhaustive
def test_no_character_composes_into_whitespace():
    assert not [
        hex(code) for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code < 0xE000 and not _splits(chr(code))
        and any(_splits(c) for c in unicodedata.normalize("NFC", chr(code)))
    ]


def test_single_spaced_as_the_join_on_clean_lines():
    for raw in ("a  b", " a", "a\u2028b", "a\u2029 b", "a\u00a0b", "a\tb", "a\u200e b", "plain words here"):
        for line in text.clean_lines(raw):
            assert parse._single_spaced(line) == " ".join(line.split())


@pytest.mark.e2e  # every code point: exhaustive
def test_composed_word_by_word_is_nfc():
    # text._composed splits at U+0020, which no canonical composition or reordering crosses.
    marks = ("\u0301", "\u0323\u0302", "\u0340", "\u0345", "\u1161", "\u11a8", "\u093c", "\u3099", "\U0001d165")
    for code in [*range(0x3400), *range(0xAC00, 0xAC40), *range(0xF900, 0xFB50), *range(0x1D150, 0x1D1C0)]:
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        for raw in (f"{char} {marks[code % len(marks)]}", f"e\u0301 {char}", f"{char} {char}", f"\u1100 {char}"):
            assert text._composed(raw) == unicodedata.normalize("NFC", raw), hex(code)


def test_clean_lines_compose_decomposed_and_mixed_lines():
    line = "Sáng 12/5, UBND huyện Đăk Hà tổ chức hội nghị tổng kết công tác năm."
    mixed = line[:20] + unicodedata.normalize("NFD", line[20:])
    for raw in (unicodedata.normalize("NFD", line), mixed, "e\u0301" * 50):
        assert text.clean_lines(raw) == [unicodedata.normalize("NFC", raw)]
