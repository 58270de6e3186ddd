"""The website's furniture after an article (comment forms, related links, share bars), cut off."""

from __future__ import annotations

import re

from feedsvc.articles.folding import fold, fold_word, match_key

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
_EDGES = re.compile(r"^[\W_]+|\s*\(\d*\)\s*$|[\W_]+$")

_TAIL_KEYS = frozenset(match_key(line) for line in TAIL_LINES)
_PREFIX_KEYS = tuple(match_key(prefix) for prefix in TAIL_PREFIXES)
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
    if first is None or fold_word(first.group()) not in _FIRST_WORDS:  # words repeat: folded once
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
