"""What the parser tells an editor, in English (the JSON lines, the log) and in Vietnamese.

Each warning names the words or the line it is about. The parser writes the English text
(:func:`say`); the editor's report turns it into Vietnamese (:func:`translate`), so both come
from one table and never drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    en: str  # str.format template; its fields are the words or the line named
    vi: str


MESSAGES: dict[str, Message] = {
    "section_unknown": Message(
        "section not recognised; the whole header text is used as the title: {header}",
        "không nhận ra chuyên mục; cả phần sau ngày ở dòng đầu được lấy làm tiêu đề: {header}",
    ),
    "section_empty": Message(
        "header has an empty section: {header}",
        "dòng đầu để trống chuyên mục (bài chỉ có trong nguồn tin chung): {header}",
    ),
    "headline_guess": Message(
        "no header: the line above the lead is taken as the title: {line}",
        "không có dòng đầu: dòng phía trên đoạn mở đầu được lấy làm tiêu đề: {line}",
    ),
    "title_from_lead": Message(
        "no title in the file: built one from the lead",
        "tệp không có tiêu đề: tiêu đề được lấy từ câu đầu của bài",
    ),
    "title_guess": Message(
        "title words restored with low confidence: {words} (from {line})",
        "tiêu đề có từ được thêm dấu chưa chắc chắn: {words} (dòng chữ in hoa {line})",
    ),
    "title_unknown": Message(
        "title words spelled without diacritics: {words}",
        "tiêu đề có từ không tìm được dấu, để nguyên không dấu: {words}",
    ),
    "no_byline": Message(
        "no byline: the last line is not an author's name: {line}",
        "không có tên tác giả: dòng cuối không phải tên người: {line}",
    ),
    "undated": Message(
        "undated: no header date and no page timestamp",
        "không có ngày đăng: dòng đầu không có ngày và trang không có dòng thời gian",
    ),
    "undated_unread": Message(
        "undated: no header date; a line has a date in a layout the parser does not read: {line}",
        "không có ngày đăng: dòng đầu không có ngày; dòng này có ngày nhưng theo dạng chưa đọc được: {line}",
    ),
    "unreadable_date": Message(
        "undated: cannot read a date from {raw}",
        "không có ngày đăng: không đọc được ngày {raw}",
    ),
    "implausible_date": Message(
        "undated: {raw} is not a plausible publication date (outside 1900-2199)",
        "không có ngày đăng: {raw} không thể là ngày đăng (ngoài khoảng 1900-2199)",
    ),
    "month_only": Message(
        "dated to the month only ({month}): the dateline {dateline} is not a day of that month",
        "chỉ có tháng đăng ({month}): ngày ở đầu bài {dateline} không phải một ngày của tháng đó",
    ),
}
_FIELD = re.compile(r"\\\{(\w+)\\\}")


def say(kind: str, **fields: str) -> str:
    """The English warning of one kind, with the words or line it names."""
    return MESSAGES[kind].en.format(**fields)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + _FIELD.sub(lambda m: f"(?P<{m.group(1)}>.*)", re.escape(template)) + "$", re.S)


_PATTERNS = tuple((kind, _pattern(message.en)) for kind, message in MESSAGES.items())


def kind_of(warning: str) -> str | None:
    """Which kind of warning an English text is (None for one this table does not know)."""
    return next((kind for kind, pattern in _PATTERNS if pattern.match(warning)), None)


def translate(warning: str, lang: str) -> str:
    """A warning in ``lang`` ('en' or 'vi'); one this table does not know stays as it is."""
    if lang == "en":
        return warning
    for kind, pattern in _PATTERNS:
        match = pattern.match(warning)
        if match:
            template: str = getattr(MESSAGES[kind], lang)
            return template.format(**match.groupdict())
    return warning
