"""Reading the closing byline, and cutting the website furniture after it."""

from __future__ import annotations

import pytest

from feedsvc.articles.byline import read_byline
from feedsvc.articles.furniture import cut_tail, is_tail


@pytest.mark.parametrize(
    "line, authors, source",
    [
        ("Thanh Tùng – Thanh Thái", ["Thanh Tùng", "Thanh Thái"], None),
        ("Thu Trang, A Khuyên", ["Thu Trang", "A Khuyên"], None),
        ("Thu Hà - Minh Long - Quốc Việt", ["Thu Hà", "Minh Long", "Quốc Việt"], None),
        ("Y Liên", ["Y Liên"], None),
        ("Văn Trọng (Theo TTXVN)", ["Văn Trọng"], "TTXVN"),
        ("Tin, ảnh: Thanh Tùng", ["Thanh Tùng"], None),
        ("(Theo TTXVN)", [], "TTXVN"),
        ("**Hồng Hạnh và Văn Nghĩa**", ["Hồng Hạnh", "Văn Nghĩa"], None),
        ("Bài và ảnh: Hoàng Anh", ["Hoàng Anh"], None),
        ("Bài, ảnh: Quang Mẫn", ["Quang Mẫn"], None),
        ("Tin - ảnh: Thanh Tùng", ["Thanh Tùng"], None),
        ("Hoàng Anh (Theo Báo Kon Tum)", ["Hoàng Anh"], "Báo Kon Tum"),
        ("Thanh Hòa (TTXVN)", ["Thanh Hòa"], "TTXVN"),  # the agency in parentheses is the source
        ("Nguồn: TTXVN", [], "TTXVN"),
        ("Theo Báo Kon Tum", [], "Báo Kon Tum"),
        ("Lê Dung, Trung Kiên, Thu Trang", ["Lê Dung", "Trung Kiên", "Thu Trang"], None),
        ("Nhóm PV", ["Nhóm PV"], None),  # a desk credit, kept as written
        ("PV", ["PV"], None),
        ("Nhóm phóng viên", ["Nhóm phóng viên"], None),
        # photographs are credited, not authored
        ("Bài: Văn Nghĩa - Ảnh: Hồng Hạnh", ["Văn Nghĩa"], None),
        ("Ảnh: Hồng Hạnh", [], None),
        ("Ảnh: ST", [], None),
        ("Thu Hiền (Ảnh: Quang Huy)", ["Thu Hiền"], None),
        # notes that are neither a source nor an author
        ("Minh Châu (tổng hợp)", ["Minh Châu"], None),
        ("Thanh Tùng (CTV)", ["Thanh Tùng"], None),
        # a source may be a web address or a paper named after the authors
        ("Nguồn: baokontum.com.vn", [], "baokontum.com.vn"),
        ("Hồng Thắm (Theo vov.vn)", ["Hồng Thắm"], "vov.vn"),
        ("Hồng Thắm - Báo Kon Tum", ["Hồng Thắm"], "Báo Kon Tum"),
        ("Báo Kon Tum", [], "Báo Kon Tum"),
        ("Đài Trang", ["Đài Trang"], None),  # a name, not the radio station
        ("Quang Mẫn.", ["Quang Mẫn"], None),  # a full stop after the name
        # a role before a name is not part of it (issue 14)
        ("Phóng viên: Hồng Hạnh", ["Hồng Hạnh"], None),
        ("PV Thanh Tùng – BTV Minh Châu", ["Thanh Tùng", "Minh Châu"], None),
        ("Cộng tác viên Y Liên", ["Y Liên"], None),
        ("Biên tập viên: Thu Hiền", ["Thu Hiền"], None),
        ("Phóng viên: Văn Nghĩa; Ảnh: Hoàng Anh", ["Văn Nghĩa"], None),
        ("Tin: PV Hữu Đức – Ảnh: Quang Huy", ["Hữu Đức"], None),
        ("Bài, ảnh: PV Quang Mẫn", ["Quang Mẫn"], None),
        ("CTV. A Khuyên (Theo Báo Kon Tum)", ["A Khuyên"], "Báo Kon Tum"),
        ("Ảnh: CTV", [], None),
        ("BTV", ["BTV"], None),
        ("Phóng viên", ["Phóng viên"], None),
    ],
)
def test_bylines(line, authors, source):
    assert read_byline(line) == (authors, source)


@pytest.mark.parametrize(
    "line",
    [
        "Nghệ nhân Ưu tú A Ngưm – người giữ hồn cồng chiêng Ba Na",  # a related headline
        "Đối với các xã vùng sâu, đội tiêm lưu động sẽ đến các điểm trường.",
        "Kon Tum: Sẵn sàng các điều kiện cho năm học mới 2022 – 2023",
        "Ảnh minh họa",
        "",
        "Theo Chi cục Kiểm lâm, mùa khô năm nay đến sớm",  # a clause, not a source
        "Xã hội hóa nguồn lực",
        "Đăk Glei – Điểm sáng trong phát triển cây quế",
        "Đối với các xã vùng sâu.",
        "Tin liên quan.",
    ],
)
def test_not_bylines(line):
    assert read_byline(line) is None


@pytest.mark.parametrize(
    "line", ["Trả lời", "TIN LIÊN QUAN", "Bài viết liên quan", "Chia sẻ:", "Tags: Măng Đen, du lịch", "Bài trước",
             "Email của bạn sẽ không được hiển thị công khai. Các trường bắt buộc được đánh dấu *",
             # edge punctuation and counts do not hide a marker
             "TIN LIÊN QUAN:", "Bài viết liên quan:", "« Bài trước", "Bài sau »", "Bình luận (0)",
             "Bài trước:  Kon Tum giành 3 huy chương", "Tin cùng chuyên mục", "Có thể bạn quan tâm",
             "Ý kiến bạn đọc", "Tin mới",
             # a share bar on one line, comment counts, other "more news" headings
             "Facebook Twitter Zalo In bài viết", "Email", "0 bình luận", "(3) Ý kiến bạn đọc", "Tin tức khác",
             "Các tin đã đưa"]
)
def test_furniture(line):
    assert is_tail(line)


def test_body_sentences_that_start_like_furniture_are_kept():
    assert not is_tail("Theo Chi cục Kiểm lâm tỉnh Kon Tum, mùa khô năm nay đến sớm.")
    assert not is_tail("Bình luận về kết quả này, ông cho biết sẽ tiếp tục.")
    assert not is_tail("Tin mới nhận được cho biết, đoàn công tác đã đến nơi.")
    assert not is_tail("Chia sẻ với phóng viên, ông A Thanh cho biết.")
    assert not is_tail("Facebook là kênh tuyên truyền hiệu quả của huyện.")
    assert not is_tail("In ấn tài liệu tuyên truyền được thực hiện kịp thời.")
    assert not is_tail("2022 là năm bản lề của giai đoạn 2021 – 2025.")


def test_cut_tail_cuts_from_the_first_furniture_line():
    paragraphs = ["Lead.", "Body.", "Thu Hà", "Tin liên quan", "Thu Hà – Minh Long", "Trả lời"]
    assert cut_tail(paragraphs) == (["Lead.", "Body.", "Thu Hà"], True)
    assert cut_tail(["Lead.", "Body."]) == (["Lead.", "Body."], False)
