"""The editor's report of `feedsvc check`: what to check, what was read with confidence, totals.

Vietnamese by default (the newsroom's editors), English with ``--lang en``. Only what the
parser guessed with low confidence or found and could not use is flagged, each warning naming
the words or the line; the JSON lines of ``--json`` are not this module's.
"""

from __future__ import annotations

from collections import Counter

from feedsvc.articles.messages import translate

LANGUAGES = ("vi", "en")
TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "confident": "ĐỌC CHẮC CHẮN ({count} bài)",
        "check": "CẦN KIỂM TRA ({count} bài): mỗi dấu ! là một chỗ trình đọc phải đoán hoặc không dùng được",
        "skipped_head": "BỎ QUA ({count} tệp)",
        "skipped": "bỏ qua {name}: {reason}",
        "month": "{month} (chỉ có tháng)",
        "undated": "không có ngày",
        "no_section": "(không có chuyên mục)",
        "authors": "tác giả: {names}",
        "nobody": "(không có)",
        "source": "nguồn (Theo …): {source}",
        "totals": "{articles} bài: {confident} đọc chắc chắn, {check} cần kiểm tra; {day} có ngày đăng, "
        "{month} chỉ có tháng, {undated} không có ngày; {skipped} tệp bị bỏ qua",
    },
    "en": {
        "confident": "READ WITH CONFIDENCE ({count} articles)",
        "check": "PLEASE CHECK ({count} articles): each ! is a place where the parser guessed or found "
        "something it could not use",
        "skipped_head": "SKIPPED ({count} files)",
        "skipped": "skipped {name}: {reason}",
        "month": "{month} (month only)",
        "undated": "undated",
        "no_section": "(no section)",
        "authors": "authors: {names}",
        "nobody": "(none)",
        "source": "source (Theo …): {source}",
        "totals": "{articles} articles: {confident} read with confidence, {check} to check; {day} dated to the "
        "day, {month} to the month, {undated} undated; {skipped} files skipped",
    },
}
# Why a file was skipped (feedsvc.articles and feedsvc.files say it in English), by how it starts.
SKIP_REASONS_VI: tuple[tuple[str, str], ...] = (
    ("binary data", "dữ liệu nhị phân, không phải tệp văn bản"),
    ("empty file", "tệp rỗng, không có chữ nào"),
    ("no article text: only website furniture", "không có nội dung bài, chỉ có phần thừa của trang web"),
    ("no article text", "không có nội dung bài"),
    ("not a regular file", "không phải tệp thường (liên kết, thư mục …)"),
    ("file too large", "tệp quá lớn"),
    ("cannot read the file", "không đọc được tệp"),
)


def article_lines(article, lang: str = "vi") -> list[str]:
    """One article as the report shows it: date, section, title, authors, source, then its warnings."""
    text = TEXT[lang]
    if article.published is None:
        date = text["undated"]
    elif article.date_precision == "day":
        date = article.published.strftime("%Y-%m-%d")
    else:
        date = text["month"].format(month=article.published.strftime("%Y-%m"))
    lines = [
        f"{article.id}  {date}  {article.category or text['no_section']}",
        f"    {article.title}",
        "    " + text["authors"].format(names=", ".join(article.authors) or text["nobody"]),
    ]
    if article.source:
        lines.append("    " + text["source"].format(source=article.source))
    lines.extend(f"    ! {translate(warning, lang)}" for warning in article.warnings)
    return lines


def skipped_line(name: str, reason: str, lang: str = "vi") -> str:
    """One skipped file and why, in the report's language."""
    if lang == "vi":
        for start, said in SKIP_REASONS_VI:
            if reason.startswith(start):
                detail = reason[len(start) :].strip(" :,")  # "(3000000 bytes, limit 2097152)", "(Permission denied)"
                reason = f"{said} {detail}" if detail.startswith("(") else said
                break
    return TEXT[lang]["skipped"].format(name=name, reason=reason)


def report_lines(articles, skipped: dict[str, str], lang: str = "vi") -> list[str]:
    """The whole report: articles to check, articles read with confidence, skipped files, totals."""
    text = TEXT[lang]
    confident = [a for a in articles if not a.warnings]
    to_check = [a for a in articles if a.warnings]
    lines: list[str] = []
    for head, group in (("check", to_check), ("confident", confident)):
        if group:
            lines += [text[head].format(count=len(group)), ""]
            for article in group:
                lines += article_lines(article, lang) + [""]
    if skipped:
        lines += [text["skipped_head"].format(count=len(skipped)), ""]
        lines += [skipped_line(name, reason, lang) for name, reason in sorted(skipped.items())] + [""]
    precision = Counter(a.date_precision or "undated" for a in articles)
    lines.append(
        text["totals"].format(
            articles=len(articles), confident=len(confident), check=len(to_check), day=precision["day"],
            month=precision["month"], undated=precision["undated"], skipped=len(skipped),
        )
    )
    return lines
