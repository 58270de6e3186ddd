"""The one date parser: every date feedsvc reads goes through :func:`parse_date`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser

# Vietnam has kept UTC+07:00 without DST since 1975, and the feeds promise +07:00. A
# fixed zone, not tzdata's Asia/Ho_Chi_Minh: that zone gives 1906 and earlier the local
# mean time +07:06:30, which neither RFC 822 nor RFC 3339 can write, and 1943-1975
# other offsets; the instant is the same either way, only its written offset differs.
VN_TZ = timezone(timedelta(hours=7), "ICT")

# Only these can be the date of a news article. Fixed, never relative to today, so the
# same file always parses the same way; outside them a date is an exporter's null
# ("0001-01-01") or a typo, and the article is undated with a warning instead.
EARLIEST = datetime(1900, 1, 1, tzinfo=VN_TZ)
LATEST = datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=VN_TZ)
# Real zones run from UTC-12:00 to UTC+14:00 (Kiribati).
_WESTMOST, _EASTMOST = timedelta(hours=-12), timedelta(hours=14)


class DateParseError(ValueError):
    """Raised with the raw input quoted, so an editor can find the bad date."""

    def __init__(self, raw: str, message: str | None = None):
        super().__init__(message or f"cannot read a date from {raw!r}")
        self.raw = raw


class ImplausibleDate(DateParseError):
    """A real calendar date that cannot be a publication date (before 1900, after 2199)."""

    def __init__(self, raw: str):
        text = " ".join(raw.split())
        super().__init__(raw, f"{text} is not a plausible publication date (outside {EARLIEST.year}-{LATEST.year})")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: datetime  # aware, in VN_TZ
    precision: str  # "day" or "month"


_DAY, _MONTH = "day", "month"
_OFFSET = r"(?:\s*\(?\s*(?:GMT|UTC)\s*(?P<sign>[+-])\s*(?P<off>\d{1,2})(?::?(?P<offm>\d{2}))?\s*\)?)?"
_TIME = r"(?:\s*[-–,|]?\s*(?:lúc\s*)?(?P<H>\d{1,2})(?::|h|giờ\s*)(?P<M>\d{2})?(?::(?P<S>\d{2}))?)?"
_WEEKDAY = r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật)"
_WEEKDAY_WORD = r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ\s+nhật)"  # "thứ 5" alone may be "kỳ họp thứ 5"
# What a page prints before its timestamp: a weekday ("Thứ Ba,") or a label ("Cập nhật:").
STAMP_LABELS: tuple[str, ...] = (
    "cập nhật", "ngày cập nhật", "cập nhật lúc", "ngày đăng", "đăng ngày", "đăng lúc", "thời gian đăng",
    "xuất bản", "ngày xuất bản",
)
_STAMP_LEAD = (r"(?:" + _WEEKDAY + r"\s*,?|(?:" + "|".join(sorted(STAMP_LABELS, key=len, reverse=True))
               + r")\s*:?)")

# The website's page timestamp, in the layouts its templates print: the date first
# ("Thứ Ba, 09/08/2022 - 15:30", "Cập nhật: 09/08/2022 15:30", "Chủ nhật, 07/08/2022 08:05
# (GMT+7)", "Thứ Tư, ngày 10/08/2022 | 14:20") or the time first ("Cập nhật: 15:30 |
# 09/08/2022", "Đăng lúc 07:45 - 21/03/2023", "14:20, Thứ Tư, 10/08/2022", "Thứ Năm, 16:45 |
# 18/08/2022", "16:45 | 28/04/2023"), each with or without a label, weekday, separator and zone.
_ZONE = r"\s*\(?\s*(?:GMT|UTC)\s*(?P<sign>[+-])\s*(?P<off>\d{1,2})(?::?(?P<offm>\d{2}))?\s*\)?"
_CLOCK = r"(?:lúc\s*)?(?P<H>\d{1,2})(?::|h)(?P<M>\d{2})(?::(?P<S>\d{2}))?"
_SEP = r"\s*[-–,|]?\s*"
_LABEL = r"(?:" + "|".join(sorted(STAMP_LABELS, key=len, reverse=True)) + r")\s*:?"
_STAMP_DATE = r"(?:ngày\s+)?(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
_STAMP_WEEKDAY = _WEEKDAY + r"\s*,?\s*"
_TIME_LEAD = r"(?:" + _LABEL + r")?\s*(?:" + _STAMP_WEEKDAY + r")?"  # "Cập nhật:", "Thứ Năm,", both
STAMP_LAYOUTS: tuple[str, ...] = (
    # date first: [label] [weekday] date [time] [zone]
    r"(?:" + _LABEL + r"\s*(?:" + _STAMP_WEEKDAY + r")?|" + _STAMP_WEEKDAY + r")?\s*" + _STAMP_DATE
    + r"(?:" + _SEP + _CLOCK + r")?(?:" + _ZONE + r")?",
    # time first: [label] [weekday] time [zone] separator [weekday] date
    _TIME_LEAD + _CLOCK + r"(?:" + _ZONE + r")?" + _SEP + r"(?:" + _STAMP_WEEKDAY + r")?" + _STAMP_DATE,
    # time first, the zone last: [label] [weekday] time separator [weekday] date zone
    _TIME_LEAD + _CLOCK + _SEP + r"(?:" + _STAMP_WEEKDAY + r")?" + _STAMP_DATE + _ZONE,
)

# Ordered: the first format that matches the whole input wins. ``year`` in the
# pattern is optional only where the caller may supply the year (a dateline).
FORMATS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.I), precision)
    for pattern, precision in (
        (r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
         r"(?P<iso>Z|[+-]\d{2}:?\d{2})?)?", _DAY),
        (r"(?P<y>\d{4})-(?P<m>\d{1,2})", _MONTH),
        (_STAMP_LEAD + r"?\s*(?:ngày\s+)?(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})(?:[/.-](?P<y>\d{4}))?"
         + _TIME + _OFFSET, _DAY),
        *((layout, _DAY) for layout in STAMP_LAYOUTS),  # date-first ones already match the one above
        (r"(?:ngày\s+)?(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})(?:\s*(?:năm|,)\s*(?P<y>\d{4}))?", _DAY),
        (r"tháng\s+(?P<m>\d{1,2})\s*(?:năm|/|,)\s*(?P<y>\d{4})", _MONTH),
    )
)


def parse_date(raw: str, *, year: int | None = None) -> ParsedDate:
    """Read one date. ``year`` fills in a dateline's missing year; nothing else is guessed.

    Raises :class:`DateParseError` for anything unreadable, and :class:`ImplausibleDate`
    for a date outside :data:`EARLIEST`..:data:`LATEST` (in Vietnam time).
    """
    text = " ".join(raw.split()).strip(" ,.")
    for pattern, precision in FORMATS:
        match = pattern.fullmatch(text)
        if match:
            return _plausible(ParsedDate(_build(match, year, raw), precision), raw)
    return _plausible(_parse_odd(text, raw), raw)


def _plausible(parsed: ParsedDate, raw: str) -> ParsedDate:
    if not EARLIEST <= parsed.value <= LATEST:
        raise ImplausibleDate(raw)
    return parsed


def _build(match: re.Match, year: int | None, raw: str) -> datetime:
    parts = match.groupdict()
    y = int(parts["y"]) if parts.get("y") else year
    if y is None:
        raise DateParseError(raw)
    try:
        value = datetime(
            y,
            int(parts["m"]),
            int(parts.get("d") or 1),
            int(parts.get("H") or 0),
            int(parts.get("M") or 0),
            int(parts.get("S") or 0),
        )
    except ValueError as exc:  # 31/2, month 13, hour 25 ...
        raise DateParseError(raw) from exc
    offset = _offset(parts, raw)
    if offset is None:
        return value.replace(tzinfo=VN_TZ)
    try:
        return value.replace(tzinfo=offset).astimezone(VN_TZ)
    except OverflowError as exc:  # 31/12/9999 23:00 GMT-12 is already year 10000 in Vietnam
        raise ImplausibleDate(raw) from exc


def _offset(parts: dict, raw: str) -> timezone | None:
    # "GMT+7" means UTC+07:00 as people write it; dateutil reads it with the
    # POSIX sign (UTC-07:00), which is why offsets are handled here and not there.
    if parts.get("iso"):
        iso = parts["iso"]
        if iso.upper() == "Z":
            return UTC
        digits = iso[1:].replace(":", "")
        zone = _zone(iso[0], int(digits[:2]), int(digits[2:]))
        if zone is None:  # "+99:99": RFC 3339 has no such offset, so the stamp is not one
            raise DateParseError(raw)
        return zone
    if parts.get("off"):
        # A page's "(GMT+15)" is a slip in the label; the time is still the page's own.
        return _zone(parts["sign"], int(parts["off"]), int(parts.get("offm") or 0))
    return None


def _zone(sign: str, hours: int, minutes: int) -> timezone | None:
    """The offset UTC±hh:mm, or None when no place on Earth uses it."""
    if minutes >= 60:
        return None
    delta = (-1 if sign == "-" else 1) * timedelta(hours=hours, minutes=minutes)
    return timezone(delta) if _WESTMOST <= delta <= _EASTMOST else None


_ODD_ZONE = re.compile(r"\b(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d{2})?\b", re.I)


def _parse_odd(text: str, raw: str) -> ParsedDate:
    # English-style dates ("Oct 5, 2021 08:30") and other rare shapes. Two defaults
    # that differ in every field tell which fields the text really gave, so a
    # missing day is never taken from today (dateutil's default).
    if not re.search(r"\d{4}", text) or _ODD_ZONE.search(text):
        raise DateParseError(raw)
    try:
        first = dateutil_parser.parse(text, dayfirst=True, default=datetime(2000, 1, 1))
        second = dateutil_parser.parse(text, dayfirst=True, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError) as exc:
        raise DateParseError(raw) from exc
    if first.year != second.year or first.month != second.month:
        raise DateParseError(raw)
    precision = _DAY if first.day == second.day else _MONTH
    if first.tzinfo is None:
        first = first.replace(tzinfo=VN_TZ)
    try:
        return ParsedDate(first.astimezone(VN_TZ), precision)
    except OverflowError as exc:
        raise ImplausibleDate(raw) from exc


# A dateline opens the lead: "Sáng 12/5,", "Trưa 3-6", "Sáng thứ Hai (6/6)", "Chiều hôm
# qua (21/9)", "Chiều ngày 15 tháng 7 năm 2022", or ends its first sentence: "… vào chiều
# 5/10." A range dates the news to its first day, the day the event opened: "Ngày 7-8/6",
# "Trong hai ngày 7 và 8/6", "Trong 3 ngày 24, 25 và 26/8", "(Từ) ngày 10 đến 12/8".
_DATELINE = re.compile(
    r"(?<![\w/])(?:(?:rạng\s+)?(?:sáng|trưa|chiều|tối|đêm|khuya)(?:\s+(?:sớm|muộn|nay|qua|hôm\s+(?:nay|qua)))?"
    r"(?:\s+" + _WEEKDAY + r")?(?:\s+ngày)?|(?:trong\s+(?:\d|hai|ba|bốn|năm|các)\s+)?ngày|hôm\s+(?:nay|qua)|"
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


def _dateline_in(text: str, year: int, month: int, *, opening_only: bool):
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


def _is_document_date(lead: str, match: re.Match) -> bool:
    said = lead[match.start() : match.start("date")]
    return bool(_YEAR.search(match.group("date"))) and not _PART_OF_DAY.search(said)


# A line that is exactly a page timestamp in one of the STAMP_LAYOUTS (which parse_date reads).
PAGE_TIMESTAMP = re.compile(
    r"^(?:" + "|".join(re.sub(r"\(\?P<\w+>", "(?:", layout) for layout in STAMP_LAYOUTS) + r")\s*$", re.I
)


def month_start(year: int, month: int) -> datetime:
    """Midnight on the first of the month in Vietnam: the instant of a month-only date."""
    return datetime(year, month, 1, tzinfo=VN_TZ)
