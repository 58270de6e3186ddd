"""Splitting a header's text into section and title."""

from __future__ import annotations

import pytest

from feedsvc.articles.categories import DEFAULT_CATEGORIES, Vocabulary


@pytest.mark.parametrize(
    "rest, category, title",
    [
        ("Thời sự - Chính trị Phấn đấu hoàn thành", "Thời sự - Chính trị", "Phấn đấu hoàn thành"),
        ("Y tế Y tế cơ sở Kon Tum", "Y tế", "Y tế cơ sở Kon Tum"),
        ("Giáo dục Giáo dục Kon Tum: Hơn 152.000 học sinh", "Giáo dục", "Giáo dục Kon Tum: Hơn 152.000 học sinh"),
        ("Văn hóa - Xã hội Xã hội hóa nguồn lực", "Văn hóa - Xã hội", "Xã hội hóa nguồn lực"),
        ("Pháp luật Kon Tum - Quảng Ngãi phối hợp", "Pháp luật", "Kon Tum - Quảng Ngãi phối hợp"),
        ("Văn hoá – Xã hội Lễ hội cồng chiêng", "Văn hóa - Xã hội", "Lễ hội cồng chiêng"),  # old tone, en dash
        ("THỂ THAO Giải việt dã", "Thể thao", "Giải việt dã"),
        ("Văn hóa-Xã hội Lễ hội Đâm trâu", "Văn hóa - Xã hội", "Lễ hội Đâm trâu"),  # no spaces round the dash
        ("Nông nghiệp – Nông thôn Nông thôn mới ở Đăk Tô", "Nông nghiệp - Nông thôn", "Nông thôn mới ở Đăk Tô"),
        ("Kinh tế - Giá cà phê tăng", "Kinh tế", "Giá cà phê tăng"),  # a separator after the section
        ("Kinh tế Kinh tế – xã hội 9 tháng", "Kinh tế", "Kinh tế – xã hội 9 tháng"),
        (" Tiêu đề khi mục trống", None, "Tiêu đề khi mục trống"),  # empty section: a double space
        ("Môi trường Trồng rừng", None, "Môi trường Trồng rừng"),  # unknown section: nothing is cut
        ("Kinh tế", None, "Kinh tế"),  # a section with no title after it is the title
    ],
)
def test_split(rest, category, title):
    assert Vocabulary().split(rest) == (category, title)


def test_operator_sections_extend_the_vocabulary():
    vocabulary = Vocabulary.extended(["Môi trường", "Thời sự"])
    assert vocabulary.split("Môi trường Trồng rừng") == ("Môi trường", "Trồng rừng")
    # the longest name still wins over a shorter operator one
    assert vocabulary.split("Thời sự - Chính trị Họp báo")[0] == "Thời sự - Chính trị"
    assert set(DEFAULT_CATEGORIES) < set(vocabulary.names)
