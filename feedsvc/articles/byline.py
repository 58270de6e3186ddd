"""The end of an article: cut the website's leftovers, then read the closing byline."""

from __future__ import annotations

import re

from feedsvc.articles.text import match_key

# A line that is exactly one of these (case and tone placement aside) starts the
# page furniture after the article: comment forms, related links, share bars.
TAIL_LINES: tuple[str, ...] = (
    "Trả lời",
    "Trả lời Hủy",
    "Hủy trả lời",
    "Để lại bình luận",
    "Để lại một bình luận",
    "Bình luận",
    "Bình luận *",
    "Gửi bình luận",
    "Ý kiến bạn đọc",
    "Tin liên quan",
    "Tin cùng chuyên mục",
    "Tin mới",
    "Tin mới nhất",
    "Tin khác",
    "Tin đọc nhiều",
    "Bài viết liên quan",
    "Bài viết khác",
    "Bài liên quan",
    "Xem thêm",
    "Bài trước",
    "Bài sau",
    "Bài tiếp theo",
    "Chia sẻ",
    "Chia sẻ:",
    "Chia sẻ bài viết",
    "Share",
    "Facebook",
    "Twitter",
    "Zalo",
    "In bài viết",
    "Lên đầu trang",
    "Quay lại",
)
# Lines that begin this way are furniture too ("Tags: Măng Đen, du lịch").
TAIL_PREFIXES: tuple[str, ...] = (
    "Tags:",
    "Tag:",
    "Từ khóa:",
    "Từ khoá:",
    "Email của bạn sẽ không được hiển thị",
    "Địa chỉ email của bạn sẽ không được công bố",
    "Lưu tên của tôi",
    "Chia sẻ:",
    "Bài trước:",
    "Bài sau:",
)
# Credits that come before the names: "Tin, ảnh: Thanh Tùng".
BYLINE_PREFIXES = re.compile(
    r"^(?:(?:tin|bài|ảnh|video|clip|thực hiện|nhóm phóng viên)(?:\s*(?:,|và|\+|&)\s*(?:ảnh|bài|video|clip))*\s*:\s*)",
    re.I,
)
# "(Theo TTXVN)", "Theo Báo Kon Tum", "Nguồn: VOV": the source, not an author.
_SOURCE = re.compile(r"\(?\s*(?:theo|nguồn)\s*:?\s+(?P<source>[^()]+?)\s*\)?\s*$", re.I)
_SEPARATORS = re.compile(r"\s+[–—-]\s+|\s*,\s*|\s*;\s*|\s+và\s+")
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.]*$")
_MAX_BYLINE = 90

_TAIL_KEYS = frozenset(match_key(line) for line in TAIL_LINES)
_PREFIX_KEYS = tuple(match_key(prefix) for prefix in TAIL_PREFIXES)


def is_tail(line: str) -> bool:
    """Whether a line is website furniture that ends the article."""
    if len(line) > 200:  # furniture is short; an article paragraph is not
        return False
    key = match_key(line[:80])
    return key in _TAIL_KEYS or key.startswith(_PREFIX_KEYS)


def cut_tail(paragraphs: list[str]) -> tuple[list[str], bool]:
    """The article without the furniture after it, and whether any was cut."""
    for index, line in enumerate(paragraphs):
        if is_tail(line):
            return paragraphs[:index], True
    return paragraphs, False


def read_byline(line: str) -> tuple[list[str], str | None] | None:
    """(authors, source) when the line is a byline, else None."""
    text = line.strip(" *_")
    if not text or len(text) > _MAX_BYLINE or text.endswith((".", "!", "?", ":")) and not text.endswith(")"):
        return None
    source = None
    match = _SOURCE.search(text)
    if match:
        source = match.group("source").strip()
        text = text[: match.start()].strip(" -–,")
    text = BYLINE_PREFIXES.sub("", text)
    names = [part.strip(" .") for part in _SEPARATORS.split(text) if part.strip(" .")]
    if not names and source:
        return [], source
    if not names or not all(_is_name(name) for name in names):
        return None
    return names, source


def _is_name(text: str) -> bool:
    # One to five capitalised words: "Y Liên", "A Khuyên", "Lê Thị Thu Hà".
    words = text.split()
    return 0 < len(words) <= 5 and all(w[0].isupper() and _NAME_WORD.match(w) for w in words)
