"""The one date parser, and the lead's dateline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc.articles import parse_article
from feedsvc.articles.datelines import PAGE_TIMESTAMP, find_dateline
from feedsvc.articles.dates import DateParseError, parse_date

VN = timedelta(hours=7)


@pytest.mark.parametrize(
    "raw, expected, precision",
    [
        ("2021-10", (2021, 10, 1, 0, 0), "month"),
        ("2022-03-15", (2022, 3, 15, 0, 0), "day"),
        ("2022-03-15T08:30:00+07:00", (2022, 3, 15, 8, 30), "day"),
        ("2022-03-15T01:30:00Z", (2022, 3, 15, 8, 30), "day"),
        ("Thứ Ba, 09/08/2022 - 15:30", (2022, 8, 9, 15, 30), "day"),
        ("Chủ nhật, 7/8/2022 08:05", (2022, 8, 7, 8, 5), "day"),
        # GMT+7 is UTC+07:00 as Vietnamese sites write it (dateutil reads it as UTC-07:00).
        ("Thứ Ba, 09/08/2022 - 15:30 (GMT+7)", (2022, 8, 9, 15, 30), "day"),
        ("Thứ Ba, 09/08/2022 - 08:30 (GMT+0)", (2022, 8, 9, 15, 30), "day"),
        ("ngày 5 tháng 10 năm 2021", (2021, 10, 5, 0, 0), "day"),
        ("5/10/2021", (2021, 10, 5, 0, 0), "day"),
        ("Oct 5, 2021", (2021, 10, 5, 0, 0), "day"),
        ("tháng 10/2021", (2021, 10, 1, 0, 0), "month"),
        # page timestamps in the other shapes the site prints
        ("Thứ Tư, ngày 10/08/2022 | 14:20", (2022, 8, 10, 14, 20), "day"),
        ("Chủ nhật, 07/08/2022 08:05 (GMT+7)", (2022, 8, 7, 8, 5), "day"),
        ("Thứ 6, 12-08-2022 lúc 09h15", (2022, 8, 12, 9, 15), "day"),
        ("Cập nhật: 09/08/2022 15:30", (2022, 8, 9, 15, 30), "day"),
        ("Ngày đăng: 09/08/2022", (2022, 8, 9, 0, 0), "day"),
        ("09/08/2022 - 15:30", (2022, 8, 9, 15, 30), "day"),
        ("Cập nhật: 15:30 | 09/08/2022", (2022, 8, 9, 15, 30), "day"),
        ("14:20, Thứ Tư, 10/08/2022", (2022, 8, 10, 14, 20), "day"),
        ("Cập nhật lúc 09:05 (GMT+8) - 05/12/2022", (2022, 12, 5, 8, 5), "day"),
        ("16:45 | 28/04/2023 (GMT+0)", (2023, 4, 28, 23, 45), "day"),
    ],
)
def test_parse_date(raw, expected, precision):
    parsed = parse_date(raw)
    assert parsed.precision == precision
    assert parsed.value.utcoffset() == VN
    assert parsed.value.timetuple()[:5] == expected


def test_missing_year_comes_from_the_caller_never_from_today():
    assert parse_date("12/5", year=2022).value.date().isoformat() == "2022-05-12"
    with pytest.raises(DateParseError):
        parse_date("12/5")


@pytest.mark.parametrize("raw", ["", "hôm qua", "31/2/2022", "2022-13", "Tuesday", "GMT+7 2021"])
def test_bad_dates_quote_the_input(raw):
    with pytest.raises(DateParseError) as info:
        parse_date(raw)
    assert repr(raw) in str(info.value)


@pytest.mark.parametrize(
    "lead, year, month, day",
    [
        ("Sáng 12/5, UBND huyện tổ chức hội nghị.", 2022, 5, 12),
        ("Phiên họp … đã diễn ra vào chiều 5/10. Phó Bí thư chủ trì.", 2021, 10, 5),
        ("Chiều ngày 15 tháng 7 năm 2022, Ban Thường vụ họp.", 2022, 7, 15),
        ("Tối 27/9, tại làng Kon Hra Chót, thiếu nhi vui Trung thu.", 2023, 9, 27),
        ("Hôm nay (5/10), tỉnh tổ chức lễ.", 2021, 10, 5),
        ("Trưa 3/6, Phòng Nông nghiệp cho biết.", 2022, 6, 3),
        ("Rạng sáng 14/2, dân làng tập trung.", 2023, 2, 14),
        ("Sáng nay (12/5), Hội Khuyến học trao học bổng.", 2022, 5, 12),
        ("Chiều 30/4 vừa qua, tại Quảng trường 16/3, tỉnh tổ chức lễ.", 2022, 4, 30),
        ("Chiều hôm qua (21/9), Ban Thường vụ họp.", 2023, 9, 21),
        ("Sáng thứ Hai (6/6), tại huyện Sa Thầy, hội nghị diễn ra.", 2022, 6, 6),
        ("Sáng 12-5, theo ghi nhận của phóng viên.", 2022, 5, 12),  # the hyphen style
        # a range dates the news to its first day, the day the event opened
        ("Ngày 7-8/6, tại Nhà thi đấu diễn ra giải.", 2022, 6, 7),
        ("Trong hai ngày 7 và 8/6, giải diễn ra.", 2022, 6, 7),
        ("Thực hiện Quyết định số 215/QĐ-UBND ngày 3/5/2023, hội nghị diễn ra vào sáng 18/5.", 2023, 5, 18),
        # a number that closes a clause before the dateline is not a document reference
        ("Kỷ niệm 78 năm Ngày thành lập QĐND (22/12/1944 – 22/12/2022), sáng 20/12, Bộ Chỉ huy họp mặt.", 2022, 12, 20),
        ("Thực hiện Quyết định số 12/QĐ-UBND ngày 3/1/2023 về dự toán năm 2023, sáng 17-1, Sở họp.", 2023, 1, 17),
        ("Tổng kết năm 2022. Chiều 28/12, Tỉnh ủy họp.", 2022, 12, 28),
        # references, deadlines, ranges and other months are not the day of the news
        ("Thực hiện Nghị định 100/2019/NĐ-CP, ngày 30/12/2019 của Chính phủ.", 2019, 12, None),
        ("Theo Kết luận 723 ngày 31/7/2017 của Tỉnh ủy.", 2017, 7, None),
        ("Thực hiện Kế hoạch số 112/KH-CAT ngày 3/8/2021 của Công an tỉnh.", 2021, 8, None),
        ("Theo CDC, tính đến ngày 28/3, toàn tỉnh có 186 ca.", 2022, 3, None),
        ("Kết luận số 723-KL/TU ngày 31/7/2017 của Ban Thường vụ.", 2022, 7, None),
        ("Ngày hội diễn ra đến hết ngày 16/3.", 2022, 3, None),
        ("Sáng 12/5, hội nghị khai mạc.", 2022, 6, None),
        ("Sáng 12/5/2021, hội nghị khai mạc.", 2022, 5, None),
        ("Chiều 29/2, Sở Y tế cho biết.", 2022, 2, None),  # no such day in 2022
        ("Đợt tiêm diễn ra từ ngày 10/2 đến ngày 20/2.", 2022, 2, None),
        # a range that opens the lead is the event's: its first day (issue 14)
        ("Từ ngày 7-9/6, tại Nhà văn hóa diễn ra hội thi.", 2022, 6, 7),
        ("Từ ngày 10 đến 12/8, tại Nhà thi đấu diễn ra giải.", 2022, 8, 10),
        ("Từ ngày 10/8 đến ngày 12/8, huyện tổ chức hội thi.", 2022, 8, 10),
        ("Trong 3 ngày 10, 11 và 12/8, giải diễn ra.", 2022, 8, 10),
        ("Từ ngày 25 – 27/7, Đoàn công tác làm việc tại tỉnh.", 2023, 7, 25),
        # ... a range that starts in the month before, a rule's first day, a campaign's period: no
        ("Từ ngày 30/6 đến ngày 2/7, thí sinh dự thi. Kết quả công bố ngày 24/7.", 2022, 7, None),
        ("Từ ngày 1/7, giá dịch vụ khám bệnh được điều chỉnh.", 2022, 7, None),
        ("Trong khuôn khổ Tháng Thanh niên (từ ngày 1/3 đến ngày 31/3), sáng 5/3, Tỉnh đoàn ra quân.", 2023, 3, 5),
        ("Tính đến hết ngày 5/12, toàn tỉnh có 540.000 người.", 2021, 12, None),
        ("Kỳ họp thứ 5 (6/6) bế mạc.", 2022, 6, None),  # "thứ 5" is not a weekday here
        # a cut-off with a clock time, and a document date named by its issuer or subject
        ("Tính đến 17 giờ ngày 15/6, toàn tỉnh ghi nhận 120 ca mắc.", 2022, 6, None),
        ("Tính đến 17 giờ 30 phút ngày 15/6, toàn tỉnh có 120 ca. Cuộc họp diễn ra chiều 24/6.", 2022, 6, 24),
        ("Thực hiện Quyết định của UBND tỉnh ngày 2/6/2022 về tiêu thụ nông sản, các huyện vào cuộc.", 2022, 6, None),
        # ... but a meeting the lead reports may name its host or its subject
        ("Thông tin được đưa ra tại cuộc họp chiều 24/6 về tình hình giải ngân.", 2022, 6, 24),
        ("Thông tin được đưa ra tại phiên họp thường kỳ ngày 24/6 của UBND tỉnh.", 2022, 6, 24),
        ("Lúc 10 giờ ngày 15/6, tại xã Đăk Dục xảy ra vụ cháy.", 2022, 6, 15),
        # the dateline that opens the lead is the day of the news, even in another month
        ("Chiều 31/5, Sở họp báo về Tháng hành động vì trẻ em, được phát động vào sáng 1/6.", 2022, 6, None),
    ],
)
def test_find_dateline(lead, year, month, day):
    _check_dateline(find_dateline(lead, year, month), year, month, day)


@pytest.mark.parametrize(
    "paragraphs, year, month, day",
    [
        # after a one-sentence lead, the dateline opens the next paragraph (or the one after)
        (["UBND tỉnh mở lớp dạy bơi miễn phí cho trẻ em.", "Sáng 15/6, tại hồ bơi, lớp đầu tiên khai giảng."], 2022, 6, 15),
        (["Nông dân thu hoạch sâm dây.", "Chiều ngày 17 tháng 6, xã tổ chức hội nghị."], 2023, 6, 17),
        (["Giải Việt dã khởi tranh.", "Từ ngày 14 đến 16/9, các vận động viên tranh tài."], 2022, 9, 14),
        (["Thực hiện Kế hoạch số 815/KH-UBND ngày 6/3/2023 của UBND tỉnh, tỉnh kêu gọi đầu tư.",
          "Sáng 22/3, UBND tỉnh gặp mặt doanh nghiệp."], 2023, 3, 22),
        (["Tỉnh đẩy nhanh tiêm vắc xin.", "Tại huyện Tu Mơ Rông, tỷ lệ tiêm thấp.", "Sáng 16/11, Sở họp."], 2022, 11, 16),
        # a later paragraph counts only when a dateline opens it; one in another month ends the search
        (["Tỉnh đẩy nhanh tiêm vắc xin.", "Tính đến ngày 15/11, toàn tỉnh tiêm 52.000 trẻ, theo Công văn ngày 8/11/2022."],
         2022, 11, None),
        (["Lễ hội đã sẵn sàng.", "Chiều 30/11, Ban tổ chức họp báo. Lễ khai mạc diễn ra tối 2/12."], 2022, 12, None),
        (["Hội nghị tổng kết.", "Đại biểu dự hội nghị sáng 15/6 tại hội trường."], 2022, 6, None),
        (["Sáng 12/5, hội nghị khai mạc.", "Chiều 13/5, đoàn đi thực tế."], 2022, 5, 12),
        (["Chiều 31/5, Sở họp báo.", "Sáng 1/6, lễ phát động diễn ra."], 2022, 6, None),
        (["Một.", "Hai.", "Ba.", "Sáng 15/6, quá xa lead."], 2022, 6, None),
    ],
)
def test_find_dateline_past_the_lead(paragraphs, year, month, day):
    _check_dateline(find_dateline(paragraphs, year, month), year, month, day)


def _check_dateline(found, year, month, day):
    if day is None:
        assert found is None
    else:
        assert found == datetime(year, month, day, tzinfo=found.tzinfo) and found.utcoffset() == VN


@pytest.mark.parametrize(
    "line, is_stamp",
    [
        ("Thứ Ba, 09/08/2022 - 15:30", True),
        ("Thứ Sáu, 12/08/2022 - 09:15", True),
        ("Chủ nhật, 07/08/2022 08:05 (GMT+7)", True),
        ("Thứ Tư, ngày 10/08/2022 | 14:20", True),
        ("Thứ Hai, 09/08/2022", True),
        ("Thứ Hai, 09/08/2022, UBND tỉnh họp.", False),  # a sentence, not the page's stamp
        ("Sáng 9/8/2022 - 15:30", False),
        ("Cập nhật: 09/08/2022 15:30", True),
        ("Ngày đăng: 09/08/2022", True),
        ("09/08/2022 - 15:30", True),  # the date and time alone on their line
        ("16/3/1975 – 16/3/2022", False),
        # the time first, with or without a label, weekday, separator or zone
        ("Cập nhật: 15:30 | 09/08/2022", True),
        ("Đăng lúc 07:45 - 21/03/2023", True),
        ("14:20, Thứ Tư, 10/08/2022", True),
        ("Cập nhật lúc 09:05 (GMT+7) - 05/12/2022", True),
        ("16:45 | 28/04/2023", True),
        ("Thứ Năm, 16:45 | 18/08/2022", True),  # weekday, time, date (blind round 3)
        ("09:05 - 05/12/2022 (GMT+7)", True),
        ("15:30, ngày 12/5/2022, UBND tỉnh họp.", False),
        ("Lúc 10 giờ ngày 15/6/2022", False),
    ],
)
def test_page_timestamp(line, is_stamp):
    assert bool(PAGE_TIMESTAMP.match(line)) is is_stamp


# --- the calendar's edges, in every form the parser reads a date in ------------------------
#
# A date an exporter writes as a null ("0001-01-01"), a typo ("9999") or an instant that a
# zone pushes past year 9999 must leave the article undated with a warning naming it, never
# raise: one bad file must not stop publishing. A date the parser keeps must be one every
# feed format can write.

EDGE_YEARS = (1, 2, 1899, 1900, 1969, 1970, 2038, 2199, 2200, 9998, 9999)
EDGE_MONTHS = (1, 2, 12, 0, 13)
EDGE_DAYS = (1, 28, 29, 30, 31, 0, 32)
EDGE_HOURS = (0, 1, 12, 23, 24)
EDGE_MINUTES = (0, 30, 45, 59)
# (sign, hours, minutes) of "GMT±h[:mm]": every real zone's edge and a few that no place uses.
EDGE_OFFSETS = tuple(("-", h, 0) for h in (12, 11, 1, 0)) + tuple(("+", h, 0) for h in (0, 1, 7, 8, 13, 14)) + (
    ("+", 5, 30), ("+", 5, 45), ("-", 9, 30), ("+", 12, 45), ("-", 3, 30), ("+", 15, 0), ("-", 13, 0), ("+", 7, 60)
)
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật", "Thứ 2", "Thứ 7", "CHỦ NHẬT")
TITLE_CAPS = "TONG KET CONG TAC PHONG CHONG THIEN TAI"
PLAIN_LEAD = "(kontumtv.vn) – UBND tỉnh Kon Tum tổ chức hội nghị tổng kết công tác phòng, chống thiên tai."
CLOSING = "Hội nghị đề ra nhiệm vụ trong thời gian tới./.\n\nHồng Hạnh"
EARLIEST, LATEST = datetime(1900, 1, 1), datetime(2199, 12, 31, 23, 59, 59)  # naive, Vietnam time


def _in_vietnam(fields, zone):
    """The naive Vietnam wall time of a date, None if no such date, "far" if beyond any calendar."""
    try:
        value = datetime(*fields)
    except ValueError:
        return None
    if zone is None:
        return value
    try:
        return value - zone + VN
    except OverflowError:
        return "far"


def _real_zone(sign, hours, minutes):
    if minutes >= 60:
        return "bad"
    delta = (-1 if sign == "-" else 1) * timedelta(hours=hours, minutes=minutes)
    return delta if timedelta(hours=-12) <= delta <= timedelta(hours=14) else "bad"


def _expect(fields, zone, precision):
    """(wall time, precision) the parser must give, or None: undated."""
    value = _in_vietnam(fields, zone)
    if value is None or value == "far" or not EARLIEST <= value <= LATEST:
        return None
    return value, precision


@st.composite
def header_dates(draw):
    """` date YYYY-MM[-DD][(T| )hh:mm[:ss[.f]][Z|±hh:mm|±hhmm]]`: the export's own header."""
    year, month = draw(st.sampled_from(EDGE_YEARS)), draw(st.sampled_from(EDGE_MONTHS))
    pad = draw(st.booleans())
    ym = f"{year:04d}-{month:02d}" if pad else f"{year:04d}-{month}"
    if draw(st.booleans()):
        return ym, _expect((year, month, 1), None, "month")
    day = draw(st.sampled_from(EDGE_DAYS))
    raw = f"{ym}-{day:02d}" if pad else f"{ym}-{day}"
    if not draw(st.booleans()):
        return raw, _expect((year, month, day), None, "day")
    hour, minute = draw(st.sampled_from(EDGE_HOURS[:-1])), draw(st.sampled_from(EDGE_MINUTES))
    second = draw(st.sampled_from((None, 0, 59)))
    raw += draw(st.sampled_from("T ")) + f"{hour:02d}:{minute:02d}"
    if second is not None:
        raw += f":{second:02d}" + draw(st.sampled_from(("", ".5", ".123456")))
    fields = (year, month, day, hour, minute, second or 0)
    zone = draw(st.sampled_from((None, "Z", *EDGE_OFFSETS[:-1])))
    if zone is None:
        return raw, _expect(fields, None, "day")
    if zone == "Z":
        return raw + "Z", _expect(fields, timedelta(0), "day")
    sign, hours, minutes = zone
    raw += f"{sign}{hours:02d}" + draw(st.sampled_from((":", ""))) + f"{minutes:02d}"
    delta = _real_zone(sign, hours, minutes)
    return raw, None if delta == "bad" else _expect(fields, delta, "day")


@st.composite
def page_timestamps(draw):
    """A headerless page's own timestamp: date first or time first, with every lead-in, separator and zone."""
    year, month, day = (draw(st.sampled_from(v)) for v in (EDGE_YEARS, EDGE_MONTHS, EDGE_DAYS))
    label = draw(st.sampled_from(("", "Cập nhật:", "Cập nhật lúc", "Ngày đăng:", "Đăng lúc:", "Đăng ngày",
                                  "Thời gian đăng:", "Xuất bản:")))
    weekday = draw(st.sampled_from(("", *WEEKDAYS, *(w + "," for w in WEEKDAYS))))
    sep = draw(st.sampled_from("/.-"))
    pad = draw(st.booleans())
    date = f"{day:02d}{sep}{month:02d}{sep}{year:04d}" if pad else f"{day}{sep}{month}{sep}{year:04d}"
    date = " ".join(filter(None, (weekday, draw(st.sampled_from(("", "ngày"))), date)))
    fields, zone, clock, zone_text = (year, month, day), None, None, ""
    layout = draw(st.sampled_from(("date first", "time first", "time first, zone last")))
    if layout != "date first" or draw(st.booleans()):
        hour, minute = draw(st.sampled_from(EDGE_HOURS)), draw(st.sampled_from(EDGE_MINUTES))
        clock = draw(st.sampled_from((f"{hour:02d}:{minute:02d}", f"{hour}:{minute:02d}", f"{hour:02d}h{minute:02d}",
                                      f"{hour:02d}:{minute:02d}:59")))
        clock = draw(st.sampled_from(("", "lúc "))) + clock
        fields = (year, month, day, hour, minute, 59 if clock.count(":") == 2 else 0)
        if layout == "time first, zone last" or draw(st.booleans()):
            sign, hours, minutes = draw(st.sampled_from(EDGE_OFFSETS))
            written = f"{hours}" if not minutes and draw(st.booleans()) else f"{hours}:{minutes:02d}"
            zone_text = draw(st.sampled_from(("GMT", "UTC"))) + sign + written
            zone_text = " " + (f"({zone_text})" if draw(st.booleans()) else zone_text)
            # "(GMT+15)" names no zone: the time is taken as the page's, i.e. Vietnam's.
            delta = _real_zone(sign, hours, minutes)
            zone = None if delta == "bad" else delta
    between = draw(st.sampled_from((" ", " - ", " – ", ", ", " | ")))
    if layout != "date first" and weekday and draw(st.booleans()):
        # the weekday before the time: "Thứ Năm, 16:45 | 18/08/2022"
        clock, date = f"{weekday} {clock}", date.replace(weekday, "", 1).strip()
    if layout == "date first":
        # a weekday after a label, or alone; the time and zone after the date
        raw = " ".join(filter(None, (label, date)))
        if clock:
            raw += between + clock + zone_text
    elif layout == "time first":
        raw = " ".join(filter(None, (label, clock + zone_text))) + between + date
    else:
        raw = " ".join(filter(None, (label, clock))) + between + date + zone_text
    return raw, _expect(fields, zone, "day")


@st.composite
def datelines(draw):
    """A month header refined by the lead's dateline: `Sáng 31/12,`, `Chiều ngày 1 tháng 1 năm 1900,`."""
    year, month = draw(st.sampled_from(EDGE_YEARS)), draw(st.sampled_from(EDGE_MONTHS[:3]))
    day = draw(st.sampled_from(EDGE_DAYS[:5]))
    header = f"{year:04d}-{month:02d}"
    written_year = draw(st.sampled_from((None, year, *EDGE_YEARS)))
    part = draw(st.sampled_from(("Sáng", "Chiều", "Tối", "Chiều ngày", "Ngày", "Rạng sáng", "Sáng thứ Hai", "Từ ngày")))
    if draw(st.booleans()) and part != "Từ ngày":
        date = f"{day} tháng {month}" + (f" năm {written_year:04d}" if written_year else "")
    else:
        sep = draw(st.sampled_from("/-."))
        date = f"{day}{sep}{month}" + (f"{sep}{written_year:04d}" if written_year else "")
        if part == "Từ ngày" or (draw(st.booleans()) and sep != "."):
            # a range dates the news to its first day; only the last day is written in full
            joint = draw(st.sampled_from((" - ", "-", " – ", " đến ", " và ")))
            date = f"{day}{joint}{day + 1}{sep}{month}" + (f"{sep}{written_year:04d}" if written_year else "")
    sentence = f"{part} {date}, UBND tỉnh tổ chức hội nghị tổng kết."
    if draw(st.booleans()):
        lead = f"(kontumtv.vn) – {sentence}"
    else:  # after a one-sentence lead, in the paragraph that follows
        lead = f"(kontumtv.vn) – Tỉnh tổng kết công tác phòng, chống thiên tai.\n\n{sentence}"
    month_only = _expect((year, month, 1), None, "month")
    if month_only is None:
        return header, lead, None
    refined = _expect((written_year or year, month, day), None, "day")
    if written_year not in (None, year) or refined is None:
        return header, lead, month_only
    return header, lead, refined


RFC_822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _check_published(article, raw, expected):
    """The article's date is the expected one, and one every feed format can write; or it is undated, and says why."""
    published = article.published
    if expected is None:
        assert published is None and article.date_precision is None
        assert any(w.startswith("undated: ") and " ".join(raw.split()) in w for w in article.warnings), article.warnings
        return
    wall, precision = expected
    assert published is not None and published.tzinfo is not None
    assert published.utcoffset() == VN
    assert published.replace(tzinfo=None) == wall and article.date_precision == precision
    assert parse_date("1900-01-01").value <= published <= parse_date("2199-12-31T23:59:59").value
    assert published.astimezone(UTC).tzinfo is UTC
    assert isinstance(published.timestamp(), float)
    assert RFC_822.match(format_datetime(published)), format_datetime(published)
    assert RFC_3339.match(published.isoformat()), published.isoformat()


def _parse(text):
    # Only ArticleParseError may leave the parser, and these files are articles: nothing may.
    return parse_article("edge", text.encode("utf-8"))


EDGE_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.e2e  # Hypothesis, many examples
@EDGE_SETTINGS
@given(header_dates())
def test_header_dates_at_the_calendars_edges(case):
    raw, expected = case
    article = _parse(f" date {raw} Kinh tế Tổng kết công tác phòng chống thiên tai\n\n{PLAIN_LEAD}\n\n{CLOSING}")
    assert article.category == "Kinh tế" and article.title == "Tổng kết công tác phòng chống thiên tai"
    _check_published(article, raw, expected)


@pytest.mark.e2e  # Hypothesis, many examples
@EDGE_SETTINGS
@given(page_timestamps(), st.sampled_from(("top", "above the title", "above the byline")))
def test_page_timestamps_at_the_calendars_edges(case, where):
    raw, expected = case
    lines = {
        "top": [raw, TITLE_CAPS, PLAIN_LEAD, CLOSING],
        "above the title": [TITLE_CAPS, raw, PLAIN_LEAD, CLOSING],
        "above the byline": [TITLE_CAPS, PLAIN_LEAD, CLOSING.replace("\n\nHồng Hạnh", f"\n\n{raw}\n\nHồng Hạnh")],
    }[where]
    article = _parse("\n\n".join(lines))
    assert article.title == "Tổng kết công tác phòng chống thiên tai"
    assert raw not in article.body and article.authors == ("Hồng Hạnh",)
    _check_published(article, raw, expected)


@pytest.mark.e2e  # Hypothesis, many examples
@EDGE_SETTINGS
@given(datelines())
def test_datelines_at_the_calendars_edges(case):
    header, lead, expected = case
    article = _parse(f" date {header} Kinh tế Tổng kết\n\n{lead}\n\n{CLOSING}")
    _check_published(article, header, expected)


@pytest.mark.parametrize(
    "raw",
    ["Cập nhật: 31/12/9999 23:00 (GMT-12)", "Cập nhật: 01/01/0001 00:30 (GMT+14)", "Thứ Hai, 01/01/1900 00:30 (GMT+8)"],
)
def test_a_stamp_beyond_the_calendar_leaves_the_article_undated(raw):
    article = _parse(f"{raw}\n\n{TITLE_CAPS}\n\n{PLAIN_LEAD}\n\n{CLOSING}")
    assert article.published is None
    assert f"undated: {raw} is not a plausible publication date (outside 1900-2199)" in article.warnings


def test_an_exporters_null_date_leaves_the_article_undated():
    article = _parse(f" date 0001-01-01 Kinh tế Tổng kết\n\n{PLAIN_LEAD}\n\n{CLOSING}")
    assert article.published is None and article.category == "Kinh tế" and article.title == "Tổng kết"
    assert "undated: 0001-01-01 is not a plausible publication date (outside 1900-2199)" in article.warnings


def test_dates_are_written_at_plus_seven_even_before_1906():
    # tzdata's Asia/Ho_Chi_Minh has +07:06:30 before 1906, which RFC 822 and RFC 3339 cannot write.
    assert parse_date("1900-01-01").value.isoformat() == "1900-01-01T00:00:00+07:00"
    assert parse_date("Thứ Hai, 01/01/1960 12:00 (GMT+8)").value.isoformat() == "1960-01-01T11:00:00+07:00"
