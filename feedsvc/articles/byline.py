"""The closing byline: authors, and the agency or paper credited as the source."""

from __future__ import annotations

import re
from functools import lru_cache

from feedsvc.articles.folding import match_key

# Credits that come before the names and a colon: "Tin, ảnh: Thanh Tùng", "Bài và ảnh: Hoàng Anh".
CREDITS: tuple[str, ...] = ("tin", "bài", "bài viết", "ảnh", "video", "clip", "thực hiện", "nhóm phóng viên")
# ... and what a credit may add after its first word: "Bài, ảnh", "Tin + video", "Bài/ảnh".
CREDIT_ADDITIONS: tuple[str, ...] = ("ảnh", "bài", "video", "clip")
# Roles written before a name, with or without a colon: "Phóng viên: Hồng Hạnh", "PV Thanh Tùng",
# "BTV Minh Châu", "Cộng tác viên Y Liên". A role alone ("PV") is a desk credit (GROUP_CREDITS).
ROLES: tuple[str, ...] = (
    "phóng viên", "biên tập viên", "cộng tác viên", "kỹ thuật viên", "phát thanh viên", "quay phim", "biên tập",
)
ROLE_ABBREVIATIONS: tuple[str, ...] = ("PV", "BTV", "CTV", "KTV", "PTV", "NPV")  # as written: capitals only


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


BYLINE_PREFIXES = re.compile(
    r"^(?:(?:" + _alternation(CREDITS) + r")"
    r"(?:\s*(?:,|và|\+|&|-|–|/)\s*(?:" + _alternation(CREDIT_ADDITIONS) + r"))*\s*:\s*)",
    re.I,
)
_ROLE = re.compile(
    r"^(?:(?i:" + _alternation(ROLES) + r")|" + _alternation(ROLE_ABBREVIATIONS) + r")\.?\s*:?\s+(?=[^\W\d_])"
)
# A credit for the pictures only ("Ảnh: Hồng Hạnh", "Ảnh: ST") names no author.
_PHOTO_CREDIT = re.compile(r"^(?:ảnh|hình ảnh|ảnh minh họa|ảnh minh hoạ)\s*:", re.I)
# Notes in parentheses after the names that are neither a source nor an author:
# "Minh Châu (tổng hợp)", "Thanh Tùng (CTV)", and a photo credit, "(Ảnh: Văn Nghĩa)".
CREDIT_NOTES: tuple[str, ...] = (
    "tổng hợp", "TH", "ST", "sưu tầm", "CTV", "cộng tác viên", "lược dịch", "dịch", "biên dịch",
)
# A part of a byline that names a paper or an agency is the source: "Hồng Thắm - Báo Kon Tum".
# ("Đài" is left out: "Đài Trang" is a name.)
AGENCY_WORDS: tuple[str, ...] = ("Báo", "Tạp chí", "Cổng", "Thông tấn xã", "TTXVN", "VOV", "VTV", "VNA")
# Credits that name a desk rather than a person; kept as written.
GROUP_CREDITS: tuple[str, ...] = ("PV", "Nhóm PV", "Nhóm phóng viên", "Phóng viên", "Nhóm tác giả", "BTV", "CTV")
# "(Theo TTXVN)", "(TTXVN)", "(Báo Kon Tum)", "Theo Báo Kon Tum", "Nguồn: VOV": the source, not an author.
_SOURCE = re.compile(
    r"\(\s*(?:(?:theo|nguồn)\b\s*:?\s*)?(?P<paren>[^()]+?)\s*\)\s*$|(?:^|(?<=\s))(?:theo|nguồn)\b\s*:?\s+(?P<bare>[^()]+?)\s*$",
    re.I,
)
_SEPARATORS = re.compile(r"\s+[–—-]\s+|\s*,\s*|\s*;\s*|\s+(?:và|&)\s+")
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.]*$")
# A source may be a web address: "Nguồn: baokontum.com.vn", "(Theo vov.vn)".
_DOMAIN = re.compile(
    r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|gov|info)(?:/\S*)?$", re.I
)
_AGENCY = re.compile(r"^(?:" + "|".join(re.escape(w) for w in AGENCY_WORDS) + r")(?:\s|$)")
_MAX_BYLINE = 90

_GROUP_KEYS = frozenset(match_key(name) for name in GROUP_CREDITS)
_NOTE_KEYS = frozenset(match_key(note) for note in CREDIT_NOTES)


def read_byline(line: str) -> tuple[list[str], str | None] | None:
    """(authors, source) when the line is a byline or a credit line, else None.

    A line that only credits a source or the photographs gives no authors: ``([], source)``.
    """
    # A newsroom has a few dozen reporters, so the same credit lines close file after file;
    # longer lines are paragraphs (refused at once), not worth a place in the cache.
    read = _read_cached(line) if len(line) <= _MAX_CACHED else _read(line)
    return None if read is None else (list(read[0]), read[1])


def _read(line: str) -> tuple[tuple[str, ...], str | None] | None:
    text = line.strip(" *_")
    if text.endswith(".") and not text.endswith(("..", "/.")):
        text = text[:-1]  # "Quang Mẫn." — a sentence is still refused below: its words are not names
    if not text or len(text) > _MAX_BYLINE or (text.endswith((".", "!", "?", ":")) and not text.endswith(")")):
        return None
    source = None
    match = _SOURCE.search(text)
    if match:
        source = (match.group("paren") or match.group("bare")).strip()
        if match.group("paren") and (_PHOTO_CREDIT.match(source) or match_key(source) in _NOTE_KEYS):
            source = None
        elif not _is_source(source):
            return None
        text = text[: match.start()].strip(" -–,")
    photo_only = bool(_PHOTO_CREDIT.match(text))
    if not photo_only:
        text = BYLINE_PREFIXES.sub("", text)
    names: list[str] = []
    for part in _SEPARATORS.split(text):
        part = part.strip(" .")
        if not part:
            continue
        if _PHOTO_CREDIT.match(part):
            photo_only = photo_only or not names
            continue
        part = _ROLE.sub("", BYLINE_PREFIXES.sub("", part))
        if source is None and _AGENCY.match(part) and _is_source(part):
            source = part
            continue
        if not _is_name(part):
            return None
        if not photo_only and part not in names:
            names.append(part)
    if not names and not source and not photo_only:
        return None
    return tuple(names), source


_MAX_CACHED = 2 * _MAX_BYLINE
_read_cached = lru_cache(maxsize=1 << 11)(_read)  # about 1 MB


def _is_source(text: str) -> bool:
    # An agency or a paper ("TTXVN", "Báo Kon Tum", "Cổng TTĐT tỉnh"), not a clause.
    if _DOMAIN.match(text):
        return True
    return text[:1].isupper() and len(text.split()) <= 8 and not any(c in text for c in ",;:")


def _is_name(text: str) -> bool:
    # One to five capitalised words: "Y Liên", "A Khuyên", "Lê Thị Thu Hà"; or a desk credit.
    words = text.split()
    if 0 < len(words) <= 5 and all(w[0].isupper() and _NAME_WORD.match(w) for w in words):
        return True
    return match_key(text) in _GROUP_KEYS
