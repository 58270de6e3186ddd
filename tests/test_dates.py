"""The one date parser, and the lead's dateline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from feedsvc.articles.dates import DateParseError, find_dateline, parse_date

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
        # references, deadlines, ranges and other months are not the day of the news
        ("Thực hiện Kế hoạch số 112/KH-CAT ngày 3/8/2021 của Công an tỉnh.", 2021, 8, None),
        ("Theo CDC, tính đến ngày 28/3, toàn tỉnh có 186 ca.", 2022, 3, None),
        ("Kết luận số 723-KL/TU ngày 31/7/2017 của Ban Thường vụ.", 2022, 7, None),
        ("Ngày hội diễn ra đến hết ngày 16/3.", 2022, 3, None),
        ("Sáng 12/5, hội nghị khai mạc.", 2022, 6, None),
        ("Sáng 12/5/2021, hội nghị khai mạc.", 2022, 5, None),
    ],
)
def test_find_dateline(lead, year, month, day):
    found = find_dateline(lead, year, month)
    if day is None:
        assert found is None
    else:
        assert found == datetime(year, month, day, tzinfo=found.tzinfo) and found.utcoffset() == VN
