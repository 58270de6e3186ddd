"""The end of an article: cut the website's leftovers, then read the closing byline."""

from __future__ import annotations

import re

from feedsvc.articles.text import fold, match_key

# A line that is exactly one of these (case, tone placement and edge punctuation
# aside: "TIN LIÊN QUAN:", "« Bài trước", "Bình luận (0)") starts the page furniture
# after the article: comment forms, related links, share bars, prev/next links.
TAIL_LINES: tuple[str, ...] = (
    # comment forms
    "Trả lời",
    "Trả lời Hủy",
    "Hủy trả lời",
    "Để lại bình luận",
    "Để lại một bình luận",
    "Để lại bình luận của bạn",
    "Bình luận",
    "Bình luận của bạn",
    "Viết bình luận",
    "Gửi bình luận",
    "Ý kiến",
    "Ý kiến bạn đọc",
    "Ý kiến của bạn",
    "Gửi ý kiến",
    "Gửi ý kiến của bạn",
    "Viết ý kiến",
    "Phản hồi",
    "Gửi phản hồi",
    "Để lại phản hồi",
    # related and other articles
    "Tin liên quan",
    "Tin tức liên quan",
    "Tin bài liên quan",
    "Bài liên quan",
    "Bài viết liên quan",
    "Tin cùng chuyên mục",
    "Bài cùng chuyên mục",
    "Bài viết cùng chuyên mục",
    "Tin mới",
    "Tin mới nhất",
    "Tin khác",
    "Các tin khác",
    "Tin tức khác",
    "Tin bài khác",
    "Bài khác",
    "Các bài khác",
    "Tin đã đưa",
    "Các tin đã đưa",
    "Bài viết khác",
    "Các bài viết khác",
    "Tin đọc nhiều",
    "Đọc nhiều",
    "Xem nhiều",
    "Tin nổi bật",
    "Có thể bạn quan tâm",
    "Xem thêm",
    "Đọc thêm",
    # previous / next
    "Bài trước",
    "Bài sau",
    "Bài tiếp theo",
    "Bài viết trước",
    "Bài viết sau",
    "Tin trước",
    "Tin sau",
    # share bars, tags, page links
    "Chia sẻ",
    "Chia sẻ bài viết",
    "Chia sẻ bài viết này",
    "Share",
    "Facebook",
    "Twitter",
    "Zalo",
    "Tags",
    "Tag",
    "Từ khóa",
    "In bài viết",
    "In bài",
    "Lên đầu trang",
    "Về đầu trang",
    "Quay lại",
)
# A share bar printed on one line: "Facebook Twitter Zalo In bài viết".
SHARE_LABELS: tuple[str, ...] = (
    "Facebook", "Twitter", "Zalo", "Email", "Messenger", "Telegram", "LinkedIn", "Pinterest", "Tweet", "Like",
    "Share", "Chia sẻ", "In bài viết", "In bài", "In", "Copy link", "Sao chép liên kết", "Gửi bài viết",
)
# Lines that begin this way are furniture too ("Tags: Măng Đen, du lịch").
TAIL_PREFIXES: tuple[str, ...] = (
    "Tags:",
    "Tag:",
    "Từ khóa:",
    "Thẻ:",
    "Email của bạn sẽ không được hiển thị",
    "Địa chỉ email của bạn sẽ không được công bố",
    "Lưu tên của tôi",
    "Chia sẻ:",
    "Bài trước:",
    "Bài sau:",
    "Bài viết trước:",
    "Bài viết sau:",
    "Tin trước:",
    "Tin sau:",
    "Tin liên quan:",
    "Bài viết liên quan:",
)
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
_EDGES = re.compile(r"^[\W_]+|\s*\(\d*\)\s*$|[\W_]+$")
_MAX_BYLINE = 90

_TAIL_KEYS = frozenset(match_key(line) for line in TAIL_LINES)
_PREFIX_KEYS = tuple(match_key(prefix) for prefix in TAIL_PREFIXES)
_GROUP_KEYS = frozenset(match_key(name) for name in GROUP_CREDITS)
_NOTE_KEYS = frozenset(match_key(note) for note in CREDIT_NOTES)
_SHARE_LABEL = re.compile(
    r"(?:^|\s)(?:" + "|".join(map(re.escape, sorted(SHARE_LABELS, key=len, reverse=True))) + r")(?=\s|$)", re.I
)
_COUNT = re.compile(r"^\(?\d+\)?\s+")
_FIRST_WORD = re.compile(r"[^\W_]+")
# Most lines are article text: a marker's first word (folded) rules them out cheaply.
_FIRST_WORDS = frozenset(
    fold(found.group()) for marker in TAIL_LINES + TAIL_PREFIXES + SHARE_LABELS
    if (found := _FIRST_WORD.search(marker)) is not None
)


def is_tail(line: str) -> bool:
    """Whether a line is website furniture that ends the article."""
    if len(line) > 200:  # furniture is short; an article paragraph is not
        return False
    if line[:1].isdigit() or line.startswith("("):
        line = _COUNT.sub("", line)  # "0 bình luận", "(3) Ý kiến bạn đọc"
    first = _FIRST_WORD.search(line)
    if first is None or fold(first.group()) not in _FIRST_WORDS:
        return False
    key = match_key(line[:80])
    bare = _EDGES.sub("", key)
    if key.startswith(_PREFIX_KEYS) or bare in _TAIL_KEYS or bare.startswith(_PREFIX_KEYS):
        return True
    return not _SHARE_LABEL.sub("", line).strip(" |·•-–:,/")


def cut_tail(paragraphs: list[str]) -> tuple[list[str], bool]:
    """The article without the furniture after it, and whether any was cut."""
    for index, line in enumerate(paragraphs):
        if is_tail(line):
            return paragraphs[:index], True
    return paragraphs, False


def read_byline(line: str) -> tuple[list[str], str | None] | None:
    """(authors, source) when the line is a byline or a credit line, else None.

    A line that only credits a source or the photographs gives no authors: ``([], source)``.
    """
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
    return names, source


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
