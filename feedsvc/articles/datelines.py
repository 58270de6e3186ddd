"""Dates inside an article's text: the day of the news in its lead, and the page's timestamp line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from feedsvc.articles.dates import STAMP_LAYOUTS, WEEKDAY, DateParseError, parse_date

_WEEKDAY_WORD = r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ\s+nhật)"  # "thứ 5" alone may be "kỳ họp thứ 5"

# The newsroom's own dateline prefix, "(kontumtv.vn) – ", "(kontumtv.vn) - ", "Kontumtv.vn – ".
SITE_PREFIX = re.compile(r"^(?:\(\s*[\w.-]+\.vn\s*\)|[\w.-]+\.vn(?=\s*[–—:-]))\s*[–—:-]?\s*", re.I)
# "Sáng 12/5, ", "Sáng nay (12/5), ", "Ngày 7-8/6, ": the dateline that opens a lead.
LEAD_DATELINE = re.compile(
    r"^(?:\w+\s+){0,3}\(?(?:(?:\d{1,2}\s*[-–]\s*)?\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{4})?"
    r"|\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)\)?\s*,\s*"
)
# A dateline opens the lead: "Sáng 12/5,", "Trưa 3-6", "Sáng thứ Hai (6/6)", "Chiều hôm
# qua (21/9)", "Chiều ngày 15 tháng 7 năm 2022", or ends its first sentence: "… vào chiều
# 5/10." A range dates the news to its first day, the day the event opened: "Ngày 7-8/6",
# "Trong hai ngày 7 và 8/6", "Trong 3 ngày 24, 25 và 26/8", "(Từ) ngày 10 đến 12/8".
_DATELINE = re.compile(
    r"(?<![\w/])(?:(?:rạng\s+)?(?:sáng|trưa|chiều|tối|đêm|khuya)(?:\s+(?:sớm|muộn|nay|qua|hôm\s+(?:nay|qua)))?"
    r"(?:\s+" + WEEKDAY + r")?(?:\s+ngày)?|(?:trong\s+(?:\d|hai|ba|bốn|năm|các)\s+)?ngày|hôm\s+(?:nay|qua)|"
    + _WEEKDAY_WORD + r")"
    r"\s*,?\s*\(?\s*(?P<date>(?:(?P<first>\d{1,2})(?:\s*(?:,|và)\s*\d{1,2})*\s*(?:[-–,]|và|đến|tới)\s*(?:ngày\s+)?)?"
    r"(?P<day>\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{4})?)"
    r"|\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4}|(?!\s+năm\s+\d)))(?![\d/])",
    re.I,
)
# "Từ ngày 10/8 đến ngày 12/8, …" opening a paragraph is a range too; "Từ ngày 1/7, …" alone
# is the day a rule takes effect, and "từ ngày … đến ngày …" inside a sentence a campaign's
# period: neither is the day of the news.
_FROM = re.compile(r"từ\s+(?=ngày\s+\d)", re.I)
_RANGE_END = re.compile(r"\s*(?:[-–]|đến|tới)\s*(?:ngày\s+)?\d{1,2}[/.-]\d{1,2}", re.I)
# After a one-sentence lead, the dateline often opens the next paragraph or the one after.
FOLLOWING_PARAGRAPHS = 2
# Words that make a date a reference, a deadline or a range, not the day of the news:
# "Kế hoạch số 112/KH-CAT ngày 3/8/2021", "Kết luận 723 ngày 31/7", "tính đến ngày 28/3",
# "hết ngày 16/3", "tính đến 17 giờ ngày 15/6". A number that closes a clause ("… (22/12/1944
# – 22/12/2022), sáng 20/12", "… năm 2023, sáng 17-1") is not a reference, unless it carries
# a document code in capitals ("Nghị định 100/2019/NĐ-CP, ngày 30/12/2019").
_NOT_A_DATELINE = re.compile(
    r"(?:\bsố\s+\S+|\S*\d\S*(?<![,;.])|(?-i:\S*(?:\d\S*[A-ZĐ]|[A-ZĐ]\S*\d)\S*)"
    r"|\b(?:đến|tới|từ|hết|trước|sau|kể\s+từ|tính\s+đến|đợt|hạn|cuối|đầu)"
    r"(?:\s+(?:hết|cả))?(?:\s+\d{1,2}\s*(?:giờ|h)(?:\s*\d{1,2}(?:\s*phút)?)?)?)\s*$",
    re.I,
)
# A full date after a bare "ngày" and before an issuer or a subject is a document's:
# "Quyết định … ngày 2/6/2022 của UBND tỉnh", "… ngày 2/6/2022 về việc …". A meeting the
# lead reports reads "cuộc họp chiều 24/11 của UBND tỉnh" or "ngày 24/11 về …", with no year.
_REFERENCE_AFTER = re.compile(r"\s*(?:của|về|do|ban\s+hành)\b", re.I)
_PART_OF_DAY = re.compile(r"sáng|trưa|chiều|tối|đêm|khuya|hôm", re.I)
_YEAR = re.compile(r"\d{4}")
_FIRST_DAY = re.compile(r"^\d{1,2}")


def find_dateline(paragraphs: str | list[str], year: int, month: int) -> datetime | None:
    """The day the lead (or a dateline opening the next paragraphs) gives for the news, in the header's month.

    The dateline that opens a paragraph is the day of the news: one in another month ends
    the search ("Chiều 31/5, … phát động vào sáng 1/6" is not dated 1/6).
    """
    return search_dateline(paragraphs, year, month)[0]


def search_dateline(paragraphs: str | list[str], year: int, month: int) -> tuple[datetime | None, str | None]:
    """(the day, None), or (None, the dateline that ended the search unused, if one did)."""
    if isinstance(paragraphs, str):
        paragraphs = [paragraphs]
    for index, text in enumerate(paragraphs[: 1 + FOLLOWING_PARAGRAPHS]):
        found, final = _dateline_in(text, year, month, opening_only=index > 0)
        if final:
            return found
    return None, None


def _dateline_in(
    text: str, year: int, month: int, *, opening_only: bool
) -> tuple[tuple[datetime | None, str | None], bool]:
    """((day, unused dateline), whether the search ends here) for one paragraph."""
    opening = _FROM.match(text)
    start = opening.end() if opening else 0
    if opening_only:
        # Later paragraphs: only a dateline that opens one (no need to scan the rest of it).
        first = _DATELINE.match(text, start)
        if first is None:
            return (None, None), False
        matches: Iterable[re.Match[str]] = (first,)
    else:
        matches = _DATELINE.finditer(text, start)
    for match in matches:
        at_opening = not text[start : match.start()].strip()
        if at_opening and opening and not (match.group("first") or _RANGE_END.match(text, match.end())):
            at_opening = False  # "Từ ngày 1/7, …": the day a rule takes effect
        if opening_only and not at_opening:
            return (None, None), False  # later paragraphs: only a dateline that opens one
        if not at_opening and _NOT_A_DATELINE.search(text[max(0, match.start() - 40) : match.start()]):
            continue
        if _REFERENCE_AFTER.match(text, match.end()) and _is_document_date(text, match):
            continue
        raw = match.group("date")
        if match.group("first"):
            raw = _FIRST_DAY.sub(match.group("first"), match.group("day"))
        try:
            value = parse_date(raw, year=year).value
        except DateParseError:
            if at_opening:
                return (None, text[: match.end()].strip()), True  # "Chiều 29/2" in 2022: a typo
            continue
        if (value.year, value.month) == (year, month):
            return (value, None), True
        if at_opening:
            return (None, text[: match.end()].strip()), True
    return (None, None), False


def _is_document_date(lead: str, match: re.Match[str]) -> bool:
    said = lead[match.start() : match.start("date")]
    return bool(_YEAR.search(match.group("date"))) and not _PART_OF_DAY.search(said)


# A line that is exactly a page timestamp in one of the STAMP_LAYOUTS (which parse_date reads).
PAGE_TIMESTAMP = re.compile(
    r"^(?:" + "|".join(re.sub(r"\(\?P<\w+>", "(?:", layout) for layout in STAMP_LAYOUTS) + r")\s*$", re.I
)
