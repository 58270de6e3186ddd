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


codecs.register_error("feedsvc-cp1258", _cp1258_fallback)  # type: ignore[arg-type]  # decode errors only

# XML 1.0 §2.2 Char: no C0 controls but tab, LF and CR; no surrogates, U+FFFE, U+FFFF.
# C1 controls are legal XML but only ever come from a bad decode, so they go too.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]+")
# Elements whose content is never article text, and comments. Their ends are found with
# str.find, remembering a search that failed, so unclosed ones cost one scan in all:
# a lazy regex rescans to the end for each one (quadratic on hostile files).
_HIDDEN_START = re.compile(r"<(script|style|noscript|iframe)\b[^<>]*>|<!--", re.I)
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|p|/div|div|/li|li|/h[1-6]|h[1-6]|tr|/tr)\b[^<>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not); any byte that is not UTF-8 is read as cp1258. Never raises."""
    return data.decode("utf-8-sig", errors="feedsvc-cp1258")


def clean(text: str) -> str:
    """Normalise decoded text: LF endings, NFC, no HTML, single spaces, XML-safe."""
    return "\n".join(_clean_lines(text))


def _clean_lines(text: str) -> list[str]:
    """:func:`clean`, line by line: every step below works within a line."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<" in text:
        text = _drop_hidden(text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
        if "\r" in text:  # "&#13;"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [_clean_line(line) for line in text.split("\n")]


# The whitespace a clean line keeps besides U+0020: the line and paragraph separators, which
# str.split() splits at but _SPACES leaves (every other space is replaced, removed or a line end).
KEPT_SPACES = ("\u2028", "\u2029")


def _clean_line(line: str) -> str:
    # Every character the three patterns remove or replace is unprintable (a control,
    # a format character, a surrogate, a non-character or a space other than U+0020),
    # so a printable line, the usual case, skips their scans.
    if not line.isprintable():
        # Remove before composing: a stray control or zero-width character between a
        # letter and its tone mark would otherwise survive NFC and leave, once removed,
        # text that is not NFC.
        line = _INVISIBLE.sub("", line)
        line = _XML_FORBIDDEN.sub("", line)
        line = _SPACES.sub(" ", line)
    # Line by line: NFC never composes across a line feed, and a decomposed line
    # (common in the exports) then costs a normalisation of itself only.
    if line.isascii():
        return line
    if _ACUTE in line:  # decomposed Vietnamese, all or part of the line: its commonest tone mark
        return _composed(line)
    return unicodedata.normalize("NFC", line)


# Composing a decomposed line costs unicodedata some 300 instructions a character, and its words
# repeat (a few thousand syllables): each is composed once. NFC never composes across U+0020
# (a starter that is no part of any canonical composition), so the words compose apart.
_ACUTE = "\u0301"  # only a hint: _composed is NFC on any line
_COMPOSED: dict[str, str] = {}  # a word (decomposed) -> NFC; cleared when full
_COMPOSED_MAX = 1 << 13  # about 1.5 MB
_COMPOSED_WORDS_MAX, _COMPOSED_WORD_MAX = 1000, 40  # longer lines and "words" are not kept


def _composed(line: str) -> str:
    """``unicodedata.normalize("NFC", line)``, a word at a time."""
    words = line.split(" ")
    try:
        return " ".join(map(_COMPOSED.__getitem__, words))
    except KeyError:  # words not seen yet: the line is composed whole, and its words kept
        composed = unicodedata.normalize("NFC", line)
        if len(words) <= _COMPOSED_WORDS_MAX and max(map(len, words)) <= _COMPOSED_WORD_MAX:
            if len(_COMPOSED) >= _COMPOSED_MAX:
                _COMPOSED.clear()
            _COMPOSED.update(zip(words, composed.split(" ")))  # one for one: NFC adds or drops no space
        return composed


def _drop_hidden(text: str) -> str:
    """Remove script/style/noscript/iframe elements and comments, in linear time."""
    lowered = text.lower()
    kept: list[str] = []
    cursor = 0
    unclosed: set[str] = set()  # closers already known to be absent after some point
    for match in _HIDDEN_START.finditer(text):
        if match.start() < cursor:
            continue
        closer = "-->" if match.group(1) is None else f"</{match.group(1).lower()}"
        end = -1 if closer in unclosed else lowered.find(closer, match.end())
        kept.append(text[cursor : match.start()])
        if end < 0:
            unclosed.add(closer)  # no closer after here, so none after any later opener
            cursor = match.end()  # drop just the opener; what follows stays text
            continue
        close_end = text.find(">", end) if closer != "-->" else end + 2
        cursor = (close_end if close_end >= 0 else len(text) - 1) + 1
    kept.append(text[cursor:])
    return "".join(kept)


def lines(data: bytes) -> list[str]:
    """The non-blank lines of a file, cleaned and stripped."""
    return clean_lines(decode(data))


def clean_lines(text: str) -> list[str]:
    """The non-blank lines of decoded text, cleaned and stripped."""
    return [line for raw in _clean_lines(text) if (line := raw.strip(" "))]


HAS_LETTER = re.compile(r"[^\W\d_]")


def clip(value: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word and marked with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[: limit - 1].rsplit(" ", 1)[0] + "…"


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 forbids (for text that did not come through :func:`clean`)."""
    return _XML_FORBIDDEN.sub("", text)
