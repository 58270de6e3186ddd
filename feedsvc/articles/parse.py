"""One exported text file -> one :class:`Article`."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

from feedsvc.articles import byline, datelines, dates, folding, furniture, text, titles
from feedsvc.articles.categories import Vocabulary
from feedsvc.articles.messages import say
from feedsvc.articles.model import Article, ArticleParseError
from feedsvc.articles.text import HAS_LETTER, KEPT_SPACES, clip

# " date 2021-10 Thời sự - Chính trị Phấn đấu …": the date, then "<category> <title>".
# Some exporters write the full ISO 8601 / RFC 3339 instant: " date 2022-03-15T08:30:00+07:00 …".
_HEADER = re.compile(
    r"^date\s+(?P<date>\d{4}-\d{1,2}(?:-\d{1,2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?=\s|$))?)?)(?:\s(?P<rest>.*))?$",
    re.I,
)
# A short line with a full date that no page-timestamp layout reads: "Đăng 16g45 18-8-2022".
_DATED_LINE = re.compile(r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?!\d)")
_ODD_CHARS = re.compile("[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r")  # the controls of _ODD_CHARS
_MAX_STAMP = 80  # "Cập nhật lúc 09:05 (GMT+7) - Chủ nhật, ngày 05/12/2022" is 56 characters
_BYLINE_LINES = 3  # author line, then a source line and a photo credit, in any order
_LS, _PS = KEPT_SPACES
MAX_TITLE = 1000
MAX_SUMMARY = 600
DEFAULT_VOCABULARY = Vocabulary()


def parse_file(path: str | Path, vocabulary: Vocabulary = DEFAULT_VOCABULARY) -> Article:
    """Read and parse one file; its id is the file name without ``.txt``."""
    path = Path(path)
    try:
        # Unbuffered: the whole file is read at once, and a BufferedReader (its 8 KB
        # buffer and an extra copy) cost as much as decoding the text.
        with open(path, "rb", buffering=0) as file:
            data = file.read()
    except OSError as exc:
        raise ArticleParseError(str(path), f"cannot read the file ({exc.strerror or exc})") from exc
    return parse_article(path.stem, data, vocabulary, source_name=str(path))


def parse_article(
    article_id: str, data: bytes, vocabulary: Vocabulary = DEFAULT_VOCABULARY, *, source_name: str = ""
) -> Article:
    """Parse the bytes of one export. Raises :class:`ArticleParseError` and nothing else."""
    where = source_name or article_id
    if b"\x00" in data[:4096]:
        raise ArticleParseError(where, "binary data, not a text file")
    decoded = text.decode(data)
    if _looks_binary(data, decoded):
        raise ArticleParseError(where, "binary data, not a text file")
    lines = text.clean_lines(decoded)
    if not any(HAS_LETTER.search(line) for line in lines):
        raise ArticleParseError(where, "empty file: no text at all")
    return _Reader(article_id, lines, vocabulary).article(where)


def _looks_binary(data: bytes, decoded: str) -> bool:
    sample = decoded[:8192]
    # The usual case, without a regex scan: no U+FFFD, and no control byte in the file. A C0
    # control in the text is one in the bytes: neither UTF-8 nor the cp1258 fallback makes one.
    if "\ufffd" not in sample and len(data.translate(None, _CONTROL_BYTES)) == len(data):
        return False
    if _ODD_CHARS.search(sample) is None:  # no list of matches to build
        return False
    return len(_ODD_CHARS.findall(sample)) > len(sample) / 20


class _Reader:
    """Holds one file's lines while the parts of an article are taken off them."""

    def __init__(self, article_id: str, lines: list[str], vocabulary: Vocabulary):
        self.id = article_id
        self.lines = lines
        self.vocabulary = vocabulary
        self.warnings: list[str] = []

    def article(self, where: str) -> Article:
        header_date, category, title = self._header()
        stamp = self._page_timestamp()
        paragraphs, cut = furniture.cut_tail(self.lines)
        if not title and header_date is None:
            title = titles.headline(paragraphs, self.warnings)
        candidate, dropped = titles.caps_lines(paragraphs)
        authors, source = self._byline(paragraphs)
        body = [_single_spaced(p) for p in paragraphs if p not in dropped]
        if not title and candidate:
            title = titles.restored_title(candidate, body, self.warnings)
        if not title and not any(HAS_LETTER.search(p) for p in body):
            raise ArticleParseError(where, "no article text: only website furniture" if cut else "no article text")
        if not title:
            title = titles.title_from_lead(body[0], self.warnings)
        published, precision = self._date(header_date, stamp, body)
        return Article(
            id=self.id,
            title=unicodedata.normalize("NFC", clip(title, MAX_TITLE)),
            category=category,
            category_slug=folding.slugify(category) if category else None,
            authors=tuple(authors),
            body=tuple(body),
            summary=clip(body[0], MAX_SUMMARY) if body else "",
            published=published,
            date_precision=precision,
            warnings=tuple(self.warnings),
            source=source,
        )

    def _header(self) -> tuple[str | None, str | None, str | None]:
        match = _HEADER.match(self.lines[0])
        if not match:
            return None, None, None
        header, self.lines = self.lines[0], self.lines[1:]
        rest = match.group("rest") or ""
        category, title = self.vocabulary.split(rest)
        if category is None and rest.strip():
            if not rest.startswith(" "):
                self.warnings.append(say("section_unknown", header=repr(clip(header, 100))))
            else:
                self.warnings.append(say("section_empty", header=repr(clip(header, 100))))
        return match.group("date"), category, title or None

    def _page_timestamp(self) -> str | None:
        # The page's own timestamp line sits under the title or above the byline.
        for index, line in enumerate(self.lines):
            # A stamp is short; most lines are paragraphs, which the length rules out cheaply.
            if len(line) <= _MAX_STAMP and datelines.PAGE_TIMESTAMP.match(line):
                del self.lines[index]
                return line
        return None

    def _byline(self, paragraphs: list[str]) -> tuple[list[str], str | None]:
        # The closing credit block, read upwards: "Văn Nghĩa" / "Ảnh: Hồng Hạnh", or
        # "Minh Châu" / "Nguồn: TTXVN". Lines that credit only a source or the photos
        # are taken off too, and the author line above them is still read.
        authors: list[str] = []
        source = None
        for _ in range(_BYLINE_LINES):
            if len(paragraphs) < 2:
                break
            parsed = byline.read_byline(paragraphs[-1])
            if parsed is None:
                break
            paragraphs.pop()
            names, credited = parsed
            source = source or credited
            if names:
                authors = names
                break
        if not authors and not source and paragraphs:
            # A wire story credits its source alone ("Theo TTXVN"): that is not a missing byline.
            self.warnings.append(say("no_byline", line=repr(clip(paragraphs[-1], 80))))
        return authors, source

    def _date(
        self, header_date: str | None, stamp: str | None, body: list[str]
    ) -> tuple[datetime | None, str | None]:
        raw = header_date or stamp
        if raw is None:
            unread = next((line for line in body if len(line) <= 60 and _DATED_LINE.search(line)), None)
            if unread is not None:
                self.warnings.append(say("undated_unread", line=repr(unread)))
            else:
                self.warnings.append(say("undated"))
            return None, None
        try:
            parsed = dates.parse_date(raw)
        except dates.ImplausibleDate:
            self.warnings.append(say("implausible_date", raw=" ".join(raw.split())))
            return None, None
        except dates.DateParseError:
            self.warnings.append(say("unreadable_date", raw=repr(raw)))
            return None, None
        if parsed.precision == "month":
            value = parsed.value
            paragraphs = [datelines.SITE_PREFIX.sub("", body[0]), *body[1:]] if body else []
            day, unused = datelines.search_dateline(paragraphs, value.year, value.month)
            if day is not None:
                return day, "day"
            if unused is not None:
                # Only a dateline the parser found and could not use is worth an editor's eye;
                # a month header with no dateline at all is simply dated to the month.
                self.warnings.append(say("month_only", month=raw, dateline=repr(clip(unused, 80))))
        return parsed.value, parsed.precision


def _single_spaced(line: str) -> str:
    """Words joined by single spaces; most lines already are, and are kept as they are.

    ``line`` is one of :func:`text.clean_lines`: its only whitespace is U+0020 and the two
    separators :data:`text.KEPT_SPACES`, so a line with none of those and no double or outer
    space is already what the join would make of it (checked, not scanned by str.isprintable).
    """
    if "  " not in line and line[:1] != " " and line[-1:] != " " and _LS not in line and _PS not in line:
        return line
    return " ".join(line.split())
