"""Folding for matching: Vietnamese text to a lower-case ASCII skeleton ('Đẩy mạnh' -> 'day manh'),
slugs, and keys that compare names whatever their case, dashes or tone placement."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DASHES = re.compile("[\u2012\u2013\u2014\u2015\u2212]")

# Đ and đ, and the Icelandic eth (Ð U+00D0, ð) that some keyboards and cp1258 conversions put
# in their place: a reader searching "dak" must find "Ðắk" as well as "Đắk". None decomposes.
D_LETTERS = {"Đ": "d", "đ": "d", "Ð": "d", "ð": "d"}


def _without_marks(char: str) -> str:
    """A character decomposed (NFD), its combining marks dropped: 'Ể' -> 'E'."""
    return "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))


def _fold_table() -> dict[int, str]:
    # One character in, one character out: every precomposed Latin letter to its
    # lower-case ASCII base ('Ể' -> 'e', 'Đ' -> 'd'), so folded text keeps the
    # offsets of the original and word boundaries fall in the same places.
    # str.translate raises and catches a LookupError for each character missing from
    # the table, so the ASCII and punctuation that stay as they are are listed too.
    table = {code: chr(code) for code in (*range(0x80), *range(0x2000, 0x2070))}
    table.update({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    table.update({ord(char): base for char, base in D_LETTERS.items()})
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        base = _without_marks(chr(code))
        if len(base) == 1 and base.isascii() and base.isalpha():
            table[code] = base.lower()
    return table


_FOLD_TABLE = _fold_table()


def fold_chars(text: str) -> str:
    """:func:`fold` one character for one character (same length and offsets); NFC input."""
    return text.translate(_FOLD_TABLE)


class _FoldMap(dict[int, str]):
    """:func:`fold` a character at a time: each one is decomposed (NFD), stripped of its combining
    marks and lower-cased the first time it is met, then looked up, in C, by ``str.translate``."""

    def __missing__(self, code: int) -> str:
        folded = D_LETTERS.get(chr(code)) or _without_marks(chr(code)).lower()
        if len(self) < _FOLD_MAP_MAX:  # a file of every code point must not fill memory
            self[code] = folded
        return folded


_FOLD_MAP_MAX = 1 << 16
_FOLD_MAP = _FoldMap()


def fold(text: str) -> str:
    """Lower-case ASCII skeleton of Vietnamese text: 'Đẩy mạnh' -> 'day manh'."""
    quick = text.translate(_FOLD_TABLE)
    if quick.isascii():
        return quick
    # What the one-for-one table left (a dash, a quotation mark, another script) is folded a
    # character at a time; the table's letters already are. The whole text decomposed and
    # filtered in a generator cost 1.4 ms an article when indexing bodies for search (most
    # bodies hold an en dash), five times the parse.
    return _NOT_ASCII.sub(_fold_run, quick)


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD_MAP)


# Words repeat across a corpus: the title restorer folds each spelling once.
fold_word = lru_cache(maxsize=1 << 16)(fold)


_DASH_SPACING = re.compile(r"\s*-\s*")


def match_key(text: str) -> str:
    """A key for comparing names: case, dash style and spacing, and tone placement ignored."""
    text = _DASHES.sub("-", unicodedata.normalize("NFC", text)).casefold()
    if "-" in text:
        text = _DASH_SPACING.sub(" - ", text)  # 'Văn hóa-Xã hội' is 'Văn hóa - Xã hội'
    return " ".join(_retone(word) for word in text.split())


def slugify(text: str) -> str:
    """ASCII slug: 'Thời sự - Chính trị' -> 'thoi-su-chinh-tri'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


# Old-style tone placement ("hoá", "thuỷ") and new style ("hóa", "thủy") are the same
# word; compare them equal by moving the tone mark off the last vowel of oa/oe/uy.
_TONES = "\u0301\u0300\u0309\u0303\u0323"
_OLD_TONE = re.compile(f"([oOuU])([aeyAEY])([{_TONES}])")


# Only an open syllable ending in oa/oe/uy has two styles ("hoá"/"hóa", "thuỷ"/"thủy");
# "hoạch", "toán" and "quý" are written one way.
_OLD_TONE_FINAL = re.compile(f"(?<![qQ])([oOuU])([aeyAEY])([{_TONES}])$")


def retone(word: str) -> str:
    """One word with the tone mark where the corpus puts it: 'hoá' -> 'hóa', 'thuỷ' -> 'thủy'."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", _OLD_TONE_FINAL.sub(r"\1\3\2", decomposed))


def _retone(word: str) -> str:
    if word.isascii():  # no tone mark to move
        return word
    decomposed = unicodedata.normalize("NFD", word)
    if not any(t in decomposed for t in _TONES):
        return word
    return unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", decomposed))
