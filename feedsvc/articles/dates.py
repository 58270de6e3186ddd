"""The one date parser: every date feedsvc reads goes through :func:`parse_date`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

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
WEEKDAY = r"(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật)"
# What a page prints before its timestamp: a weekday ("Thứ Ba,") or a label ("Cập nhật:").
STAMP_LABELS: tuple[str, ...] = (
    "cập nhật", "ngày cập nhật", "cập nhật lúc", "ngày đăng", "đăng ngày", "đăng lúc", "thời gian đăng",
    "xuất bản", "ngày xuất bản",
)
_STAMP_LEAD = (r"(?:" + WEEKDAY + r"\s*,?|(?:" + "|".join(sorted(STAMP_LABELS, key=len, reverse=True))
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
_STAMP_WEEKDAY = WEEKDAY + r"\s*,?\s*"
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
FORMATS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
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
    return _parse_date(raw, year)


# Header months ("2022-03") and datelines ("13/3" of a year) repeat from file to file, and
# reading one costs more than the rest of a short article's header; a ParsedDate is immutable.
# Errors are not cached: they are raised afresh every time. 4,096 entries are about 1.5 MB.
@lru_cache(maxsize=1 << 12)
def _parse_date(raw: str, year: int | None) -> ParsedDate:
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


def _build(match: re.Match[str], year: int | None, raw: str) -> datetime:
    parts: dict[str, str | None] = match.groupdict()
    given = parts.get("y")
    y = int(given) if given else year
    if y is None:
        raise DateParseError(raw)
    try:
        value = datetime(
            y,
            int(parts["m"] or 0),  # every format has a month
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


def _offset(parts: dict[str, str | None], raw: str) -> timezone | None:
    # "GMT+7" means UTC+07:00 as people write it; dateutil reads it with the
    # POSIX sign (UTC-07:00), which is why offsets are handled here and not there.
    iso = parts.get("iso")
    if iso:
        if iso.upper() == "Z":
            return UTC
        digits = iso[1:].replace(":", "")
        zone = _zone(iso[0], int(digits[:2]), int(digits[2:]))
        if zone is None:  # "+99:99": RFC 3339 has no such offset, so the stamp is not one
            raise DateParseError(raw)
        return zone
    off = parts.get("off")
    if off:
        # A page's "(GMT+15)" is a slip in the label; the time is still the page's own.
        return _zone(parts.get("sign") or "+", int(off), int(parts.get("offm") or 0))
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
