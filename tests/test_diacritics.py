"""Restoring a caps title: the article's words, then names, then a Vietnamese word list."""

from __future__ import annotations

import unicodedata
from importlib import resources

import pytest

from feedsvc.articles import diacritics, parse_article, segment
from feedsvc.articles.folding import fold
from feedsvc.articles.wordlist import GENERAL, NEWS, word_list

LEAD = "(kontumtv.vn) – Sở Văn hóa tổ chức lớp bồi dưỡng kỹ năng phục vụ khách cho các làng du lịch cộng đồng."
BODY = "Năm 2023, các làng đón gần 70.000 lượt khách, doanh thu từ dịch vụ ăn, nghỉ đạt hơn 15 tỷ đồng."


def restore(caps, *paragraphs):
    return diacritics.restore(caps, list(paragraphs or (LEAD, BODY)))


def test_words_the_article_never_uses_are_spelled_as_words():
    # "nâng cao", "chất lượng": never in the article, which spells "nang" only in "kỹ năng".
    restored = restore("KON TUM: NANG CAO CHAT LUONG DICH VU DU LICH CONG DONG")
    assert restored.title == "Kon Tum: Nâng cao chất lượng dịch vụ du lịch cộng đồng"
    assert not restored.guessed and not restored.unknown


def test_every_restored_word_has_a_confidence_and_the_articles_phrases_are_surest():
    restored = restore("NANG CAO CHAT LUONG DU LICH CONG DONG")
    by_caps = {w.caps: w for w in restored.words}
    assert [w.caps for w in restored.words] == ["NANG", "CAO", "CHAT", "LUONG", "DU", "LICH", "CONG", "DONG"]
    assert by_caps["DU"].confidence == segment.PHRASE  # "du lịch cộng đồng" is the article's
    assert by_caps["NANG"].confidence == segment.WORD  # the word list's
    assert all(0 < w.confidence <= 1 for w in restored.words)


def test_a_phrase_of_the_article_beats_a_word_list_word_across_it():
    body = "Hơn 200 ha lúa của người dân bị thiệt hại. Do mưa lớn, đường bị sạt lở."
    assert restore("LUA BI THIET HAI DO MUA LON", body).title == "Lúa bị thiệt hại do mưa lớn"
    # ... and the article's phrase beats the word list's, "giá" + "tăng cao", not "gia tăng" + "cao"
    assert restore("GIA TANG CAO", "Năm nay giá cà phê tăng cao.").title == "Giá tăng cao"


def test_a_news_spelling_wins_when_the_word_list_has_two():
    assert word_list().spellings("kho khan") == ("khó khăn", "khô khan")
    assert restore("THAO GO KHO KHAN CHO NGUOI TRONG CA PHE", "Giá cà phê xuống thấp.").title == (
        "Tháo gỡ khó khăn cho người trồng cà phê"
    )


def test_a_guess_is_named_in_a_warning_and_an_unknown_word_too():
    article = parse_article("t", f"XA QUYEN: XYZQ HOP\n\n{LEAD}\n\n{BODY}\n\nHồng Hạnh".encode())
    assert "title words spelled without diacritics: XYZQ" in article.warnings
    guessed = [w for w in article.warnings if w.startswith("title words restored with low confidence")]
    assert guessed and "QUYEN →" in guessed[0] and "'XA QUYEN: XYZQ HOP'" in guessed[0]


def test_a_title_every_word_of_which_is_known_raises_no_warning():
    article = parse_article("t", f"NANG CAO CHAT LUONG DU LICH CONG DONG\n\n{LEAD}\n\n{BODY}\n\nHồng Hạnh".encode())
    assert article.title == "Nâng cao chất lượng du lịch cộng đồng"
    assert not [w for w in article.warnings if "title" in w]


@pytest.mark.parametrize(
    "caps, lead, title",
    [
        # a name keeps the capitals the article writes it with
        ("KHAI MAC LE HOI HOA ANH DAO MANG DEN", "Tối 10/12, huyện khai mạc Lễ hội Hoa anh đào Măng Đen lần thứ II. "
         "Lễ hội hoa anh đào năm nay kéo dài 9 ngày.", "Khai mạc Lễ hội Hoa anh đào Măng Đen"),
        ("VUI DON TET NGUYEN DAN", "Bà con chuẩn bị đón Tết Nguyên đán. Năm nay tết đến vui hơn.", "Vui đón Tết Nguyên đán"),
        # ... but a word capitalised only inside a longer name is an ordinary word
        ("BAO VE MOI TRUONG", "Huyện đoàn hưởng ứng Ngày Môi trường thế giới.", "Bảo vệ môi trường"),
        # ... and a name that a sentence-initial word precedes is still a name
        ("HAT KIEM LAM SA THAY", "Theo Hạt Kiểm lâm Sa Thầy, rừng được bảo vệ.", "Hạt Kiểm lâm Sa Thầy"),
    ],
)
def test_capitals_come_from_the_articles_own_words(caps, lead, title):
    assert restore(caps, lead).title == title


def test_the_word_list_files_say_where_they_come_from_and_are_clean():
    folder = resources.files("feedsvc.articles")
    general = folder.joinpath(GENERAL).read_text("utf-8")
    assert "pyvi" in general[:600] and "MIT" in general[:600] and "Copyright (c) 2016 Viet-Trung Tran" in general
    news = [line for line in folder.joinpath(NEWS).read_text("utf-8").splitlines() if line and not line.startswith("#")]
    assert len(news) == len(set(news)) > 200
    for line in news:
        assert unicodedata.is_normalized("NFC", line) and line == line.lower().strip()
        assert word_list().spellings(fold(line))[0] == line  # the news spelling comes first


def test_the_one_wrong_title_of_blind_round_3_is_named_as_a_guess():
    from conftest import DATA

    from feedsvc.articles import parse_file

    article = parse_file(DATA / "blind3" / "514_fb5cd25bba8009c5.txt")
    guessed = [w for w in article.warnings if w.startswith("title words restored with low confidence")]
    assert guessed and "MUA → mua" in guessed[0]
