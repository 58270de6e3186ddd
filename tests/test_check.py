"""`python -m feedsvc check`: the editor's report and the JSON lines other tools read."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import DATA, ROOT

from feedsvc.articles.messages import MESSAGES, kind_of, say, translate

pytestmark = pytest.mark.e2e  # the check command run as a real process, ten times

KEYS = ["id", "title", "category", "category_slug", "published", "date_precision", "authors", "summary", "warnings"]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "feedsvc", "check", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_json_lines_have_exactly_the_documented_keys(corpus):
    result = run(str(corpus), "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(list(corpus.glob("*.txt")))
    for record in records:
        assert list(record) == KEYS
    seed = next(r for r in records if r["id"] == "000_904bb3c4e8a3bd42")
    assert seed["published"] == "2021-10-05T00:00:00+07:00" and seed["date_precision"] == "day"
    assert seed["category_slug"] == "thoi-su-chinh-tri" and seed["authors"] == ["Thanh Tùng", "Thanh Thái"]
    # the warnings stay in English whatever the report's language
    assert run(str(corpus), "--json", "--lang", "vi").stdout == result.stdout


def test_default_corpus_is_the_bundled_seeds():
    result = run("--json")
    ids = sorted(json.loads(line)["id"] for line in result.stdout.splitlines())
    assert ids == sorted(p.stem for p in (ROOT / "seeds").glob("*.txt"))


def test_report_in_english_names_problems_and_totals(corpus):
    (corpus / "broken.txt").write_bytes(b"\x00\x01\x02" * 10)
    result = run(str(corpus), "--lang", "en")
    assert result.returncode == 1  # a skipped file is worth an editor's attention
    assert "skipped broken.txt: binary data" in result.stdout
    assert "Kon Tum tiếp tục đẩy mạnh phát triển các vùng kinh tế động lực" in result.stdout
    assert "! undated" in result.stdout
    last = result.stdout.rstrip().splitlines()[-1]
    assert last.startswith("18 articles: ") and "read with confidence" in last and "1 files skipped" in last


def test_report_speaks_vietnamese_by_default(corpus):
    (corpus / "broken.txt").write_bytes(b"\x00\x01\x02" * 10)
    result = run(str(corpus))
    assert result.returncode == 1
    assert "bỏ qua broken.txt: dữ liệu nhị phân" in result.stdout
    assert "CẦN KIỂM TRA" in result.stdout and "ĐỌC CHẮC CHẮN" in result.stdout
    assert "! không có ngày đăng" in result.stdout
    last = result.stdout.rstrip().splitlines()[-1]
    assert last.startswith("18 bài: ") and "1 tệp bị bỏ qua" in last
    assert "undated" not in result.stdout and "articles" not in result.stdout


def _sections(stdout):
    check, confident = stdout.split("ĐỌC CHẮC CHẮN")
    return check, confident.split("BỎ QUA")[0]


def test_only_guesses_and_unusable_finds_are_flagged_and_each_names_its_words(tmp_path):
    corpus = tmp_path / "blind3"
    shutil.copytree(DATA / "blind3", corpus)
    result = run(str(corpus))
    check, confident = _sections(result.stdout)
    # the one wrong title is flagged, naming the guessed word; the right restored titles are not
    assert "514_fb5cd25bba8009c5" in check and "! tiêu đề có từ được thêm dấu chưa chắc chắn: MUA → mua" in check
    assert "Trao danh hiệu Nghệ nhân Ưu tú cho 5 nghệ nhân dân tộc Ba Na" in confident
    assert "!" not in confident
    # a dateline it found and could not use is named; the source a wire line credits is shown
    assert "ngày ở đầu bài 'Chiều 31/8' không phải một ngày của tháng đó" in check
    assert "nguồn (Theo …): Báo Kon Tum" in confident
    assert result.stdout.rstrip().splitlines()[-1].startswith("20 bài: 15 đọc chắc chắn, 5 cần kiểm tra;")


def test_a_timestamp_in_a_layout_it_does_not_read_is_named(corpus):
    (corpus / "odd.txt").write_text(
        "Đăng 16g45 ngày 18-8-2022\n\nTONG KET CONG TAC PHONG CHONG THIEN TAI\n\n"
        "(kontumtv.vn) – UBND tỉnh tổng kết công tác phòng, chống thiên tai.\n\nHồng Hạnh", "utf-8"
    )
    result = run(str(corpus), "--lang", "en")
    assert "! undated: no header date; a line has a date in a layout the parser does not read: " \
           "'Đăng 16g45 ngày 18-8-2022'" in result.stdout


def test_every_warning_has_both_languages_and_reads_back():
    for kind, message in MESSAGES.items():
        fields = {name: f"<{name}>" for name in ("header", "line", "words", "raw", "month", "dateline")}
        english = say(kind, **{k: v for k, v in fields.items() if "{" + k + "}" in message.en})
        assert kind_of(english) == kind
        vietnamese = translate(english, "vi")
        assert vietnamese != english and all(v in vietnamese for k, v in fields.items() if "{" + k + "}" in message.en)


def test_missing_folder_is_a_usage_error(tmp_path):
    result = run(str(tmp_path / "nope"))
    assert result.returncode == 2 and "not a folder" in result.stderr
