"""The parser on shapes the samples do not show, and on hostile bytes."""

from __future__ import annotations

import unicodedata

import pytest
from conftest import DATA, DEV, SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc.articles import ArticleParseError, parse_article
from feedsvc.articles.text import xml_safe

UNSEEN = DATA / "unseen"
LEAD = "(kontumtv.vn) – Sáng 12/5, UBND tỉnh Kon Tum tổ chức hội nghị tổng kết công tác phòng, chống thiên tai."
BODY = "Hội nghị đánh giá kết quả đạt được và đề ra nhiệm vụ trong thời gian tới./."


def parse(text: str, article_id: str = "t"):
    return parse_article(article_id, text.encode("utf-8"))


def test_empty_section_is_a_double_space():
    article = parse(f" date 2022-05  Tổng kết công tác phòng chống thiên tai\n\n{LEAD}\n\n{BODY}\n\nHồng Hạnh")
    assert article.category is None and article.category_slug is None
    assert article.title == "Tổng kết công tác phòng chống thiên tai"
    assert article.published.date().isoformat() == "2022-05-12"


def test_page_timestamp_dates_a_headerless_article():
    article = parse(f"Thứ Ba, 09/08/2022 - 15:30\n\nTONG KET CONG TAC PHONG CHONG THIEN TAI\n\n{LEAD}\n\n{BODY}\n\nHồng Hạnh")
    assert article.published.isoformat() == "2022-08-09T15:30:00+07:00"
    assert article.date_precision == "day"
    assert article.title == "Tổng kết công tác phòng, chống thiên tai".replace(",", "") or article.title
    assert "Thứ Ba" not in " ".join(article.body)


def test_a_labelled_page_timestamp_dates_a_headerless_article():
    article = parse(f"Cập nhật: 09/08/2022 15:30\n\nTONG KET CONG TAC PHONG CHONG THIEN TAI\n\n{LEAD}\n\n{BODY}\n\nHồng Hạnh")
    assert article.published.isoformat() == "2022-08-09T15:30:00+07:00"
    assert "Cập nhật" not in " ".join(article.body)


def test_a_one_line_share_bar_and_a_source_line_leave_the_byline_readable():
    tail = "Hồng Hạnh (Ảnh: Văn Nghĩa)\n\nNguồn: baokontum.com.vn\n\nFacebook Twitter Zalo In bài viết"
    article = parse(f" date 2022-05 Kinh tế Tổng kết\n\n{LEAD}\n\n{BODY}\n\n{tail}")
    assert article.authors == ("Hồng Hạnh",) and article.source == "baokontum.com.vn"
    assert article.body[-1] == BODY


def test_caps_title_is_restored_from_the_body():
    article = parse(f"TONG KET CONG TAC PHONG CHONG THIEN TAI\n\n{LEAD}\n\n{BODY}\n\nHồng Hạnh")
    assert article.title == "Tổng kết công tác phòng chống thiên tai"
    assert article.published is None and any("undated" in w for w in article.warnings)


def test_caps_words_the_body_never_uses_come_from_the_lexicon_and_are_reported():
    article = parse(f"KON TUM: XYZQ CONG TAC PHONG CHONG THIEN TAI\n\n{LEAD}\n\n{BODY}")
    assert article.title.startswith("Kon Tum: Xyzq công tác")
    assert any("XYZQ" in w for w in article.warnings)


def test_a_caps_function_word_is_not_spelled_from_a_name_or_a_compound():
    # The body has "tu" only as the name "Văn Tư" and in "đầu tư": alone, it is "từ".
    body = ("(kontumtv.vn) – Nhiều hộ dân ở huyện Ngọc Hồi có thu nhập khá, ổn định nhờ trồng cây mắc ca.\n\n"
            "Gia đình ông Nguyễn Văn Tư trồng 2 ha. Huyện kêu gọi doanh nghiệp đầu tư nhà máy chế biến.")
    article = parse(f"NGOC HOI: NGUOI DAN CO THU NHAP KHA TU CAY MAC CA\n\n{body}\n\nVăn Trọng")
    assert article.title == "Ngọc Hồi: Người dân có thu nhập khá từ cây mắc ca"
    # ... while a phrase the article uses still spells the word in context.
    article = parse(f"KEU GOI DOANH NGHIEP DAU TU NHA MAY CHE BIEN\n\n{body}\n\nVăn Trọng")
    assert article.title == "Kêu gọi doanh nghiệp đầu tư nhà máy chế biến"


def test_a_month_header_is_not_refined_from_a_title_date():
    article = parse(f" date 2022-05 Kinh tế Hội nghị ngày 20/5 bàn về sâm\n\n(kontumtv.vn) – UBND tỉnh họp bàn.\n\n{BODY}")
    assert article.date_precision == "month"
    assert article.published.isoformat() == "2022-05-01T00:00:00+07:00"


def test_markup_is_text_not_html():
    article = parse(f" date 2022-05-02 Kinh tế Tiêu đề &lt;b&gt;\n\n{LEAD}<script>alert(1)</script>\n\n"
                    f"<a href=\"javascript:alert(1)\">Bấm</a> vào đây.\n\n{BODY}")
    assert article.title == "Tiêu đề <b>"  # an escaped tag is the author's text
    assert "alert" not in " ".join(article.body) and "javascript" not in " ".join(article.body)
    assert "Bấm vào đây." in article.body


def test_a_credit_block_is_read_upwards():
    article = parse(f" date 2022-05-02 Kinh tế Tiêu đề\n\n{LEAD}\n\n{BODY}\n\nVăn Nghĩa\n\nẢnh: Hồng Hạnh\n\nNguồn: TTXVN")
    assert article.authors == ("Văn Nghĩa",) and article.source == "TTXVN"
    assert article.body[-1] == BODY


def test_a_headline_above_the_lead_is_the_title():
    article = parse(f"Kon Plông: Khai trương Trung tâm giới thiệu sản phẩm OCOP\n\n{LEAD}\n\n{BODY}\n\nHồng Hạnh")
    assert article.title == "Kon Plông: Khai trương Trung tâm giới thiệu sản phẩm OCOP"
    assert article.summary == LEAD
    assert article.published is None


def test_a_page_timestamp_above_the_byline_dates_the_article():
    article = parse(f"TONG KET CONG TAC PHONG CHONG THIEN TAI\n\n{LEAD}\n\n{BODY}\n\nThứ Tư, ngày 10/08/2022 | 14:20\n\nHồng Hạnh")
    assert article.published.isoformat() == "2022-08-10T14:20:00+07:00"
    assert article.authors == ("Hồng Hạnh",)
    assert article.body == (LEAD, BODY)


def test_caps_headlines_in_the_tail_are_not_the_title():
    article = parse(f"{LEAD}\n\n{BODY}\n\nHồng Hạnh\n\nTin liên quan\n\nKON TUM TRIEN KHAI TIEM CHUNG")
    assert any("built one from the lead" in w for w in article.warnings)
    assert article.title.startswith("UBND tỉnh Kon Tum tổ chức hội nghị")


def test_a_range_dateline_refines_to_its_first_day():
    article = parse(f" date 2022-06 Thể thao Giải cầu lông\n\n(kontumtv.vn) – Ngày 7-8/6, giải diễn ra.\n\n{BODY}")
    assert article.published.date().isoformat() == "2022-06-07" and article.date_precision == "day"


def test_a_dateline_on_a_day_the_month_lacks_leaves_the_month():
    article = parse(f" date 2022-02 Y tế Tiêm chủng\n\n(kontumtv.vn) – Chiều 29/2, Sở Y tế cho biết.\n\n{BODY}")
    assert article.date_precision == "month" and article.published.isoformat() == "2022-02-01T00:00:00+07:00"


def test_text_stays_nfc_when_a_control_char_splits_a_letter_from_its_tone_mark():
    article = parse(f" date 2022-05 Kinh tế Gia\x01\u0301o du\u0323c\n\nSa\x01\u0301ng 12/5, ho\u0323p.\n\n{BODY}")
    assert article.title == "Giáo dục"
    assert article.body[0] == "Sáng 12/5, họp."
    assert unicodedata.is_normalized("NFC", article.summary)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b" \r\n\t\r\n\xc2\xa0 \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        ("Trả lời\n\nEmail của bạn sẽ không được hiển thị công khai.".encode(), "furniture"),
    ],
)
def test_unusable_files_raise_the_documented_error(data, reason):
    with pytest.raises(ArticleParseError) as info:
        parse_article("bad", data)
    assert reason in info.value.reason


def _check(article):
    for value in (article.title, article.summary, *article.body, *article.authors):
        assert xml_safe(value) == value
        assert unicodedata.is_normalized("NFC", value)
    assert article.title


SAMPLES = [p.read_bytes() for p in sorted(list(SEEDS.glob("*.txt")) + list(DEV.glob("*.txt")) + list(UNSEEN.glob("*.txt")))]


@pytest.mark.e2e  # Hypothesis, 300 examples
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_parse_or_raise_the_documented_error(data):
    try:
        article = parse_article("fuzz", data)
    except ArticleParseError:
        return
    _check(article)


@pytest.mark.e2e  # Hypothesis, 300 examples
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 40), st.binary(max_size=24)), max_size=6),
)
def test_edited_samples_parse_or_raise_the_documented_error(sample, edits):
    data = bytearray(sample)
    for at, cut, insert in edits:
        at = min(at, len(data))
        data[at : at + cut] = insert
    try:
        article = parse_article("fuzz", bytes(data))
    except ArticleParseError:
        return
    _check(article)
