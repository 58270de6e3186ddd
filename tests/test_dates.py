"""The one date parser, and the lead's dateline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from feedsvc.articles.dates import PAGE_TIMESTAMP, DateParseError, find_dateline, parse_date

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
        ("Từ ngày 7-9/6, tại Nhà văn hóa diễn ra hội thi.", 2022, 6, None),
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
    found = find_dateline(lead, year, month)
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
    ],
)
def test_page_timestamp(line, is_stamp):
    assert bool(PAGE_TIMESTAMP.match(line)) is is_stamp
