"""Text hygiene: bytes in, clean NFC lines out, before anything else looks at them."""

from __future__ import annotations

import codecs
import html
import re
import unicodedata


def _cp1258_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    # Stray single bytes in an otherwise UTF-8 export come from Windows-1258
    # (0x96 is its en dash, 0x93/0x94 its curly quotes): decode just those bytes.
    bad = error.object[error.start : error.end]
    return bad.decode("cp1258", errors="replace"), error.end


codecs.register_error("feedsvc-cp1258", _cp1258_fallback)

# XML 1.0 §2.2 Char: no C0 controls but tab, LF and CR; no surrogates, U+FFFE, U+FFFF.
# C1 controls are legal XML but only ever come from a bad decode, so they go too.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]+")
_DASHES = re.compile("[\u2012\u2013\u2014\u2015\u2212]")
_SCRIPT = re.compile(r"<(script|style|noscript|iframe)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|p|/div|div|/li|li|/h[1-6]|h[1-6]|tr|/tr)\b[^<>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.S)


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not); any byte that is not UTF-8 is read as cp1258. Never raises."""
    return data.decode("utf-8-sig", errors="feedsvc-cp1258")


def clean(text: str) -> str:
    """Normalise decoded text: LF endings, NFC, no HTML, single spaces, XML-safe."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text:
        text = _SCRIPT.sub("", text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _XML_FORBIDDEN.sub("", text)
    return _SPACES.sub(" ", text)


def lines(data: bytes) -> list[str]:
    """The non-blank lines of a file, cleaned and stripped."""
    return [line.strip(" ") for line in clean(decode(data)).split("\n") if line.strip(" ")]


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 forbids (for text that did not come through :func:`clean`)."""
    return _XML_FORBIDDEN.sub("", text)


def fold(text: str) -> str:
    """Lower-case ASCII skeleton of Vietnamese text: 'Đẩy mạnh' -> 'day manh'."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def match_key(text: str) -> str:
    """A key for comparing names: case, dash style, spacing and tone placement ignored."""
    text = _DASHES.sub("-", unicodedata.normalize("NFC", text)).casefold()
    return " ".join(_retone(word) for word in text.split())


def slugify(text: str) -> str:
    """ASCII slug: 'Thời sự - Chính trị' -> 'thoi-su-chinh-tri'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


# Old-style tone placement ("hoá", "thuỷ") and new style ("hóa", "thủy") are the same
# word; compare them equal by moving the tone mark off the last vowel of oa/oe/uy.
_TONES = "\u0301\u0300\u0309\u0303\u0323"
_OLD_TONE = re.compile(f"([oOuU])([aeyAEY])([{_TONES}])")


def _retone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    if not any(t in decomposed for t in _TONES):
        return word
    return unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", decomposed))
