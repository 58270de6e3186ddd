"""One page of one feed, and the article fields every format maps the same way.

Every value comes from the data, never from the clock, so the same page always renders the same
bytes (ETags built from them match across workers and restarts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape

from feedsvc.articles import Article

# How far past its date an article's Atom <updated> may be spread, by what the date knows
# ("seen": dated when the index first published it, to the second).
_SPREAD = {"minute": 60, "seen": 60, "day": 86_400, "month": 28 * 86_400}
GENERATOR = "feedsvc"  # no version or date: it would change the bytes
PAGING_RELS = ("first", "previous", "next", "last")  # RFC 5005 §3


@dataclass(frozen=True)
class FeedPage:
    """One page of one feed, already sorted newest-first and cut; URLs are absolute."""

    feed_id: str
    title: str
    description: str
    home_url: str
    self_url: str
    articles: tuple[Article, ...]
    article_url: Callable[[str], str]
    entry_id: Callable[[str], str]
    first_url: str | None = None
    last_url: str | None = None
    next_url: str | None = None
    previous_url: str | None = None
    ttl_minutes: int = 5
    language: str = "vi"
    updated: datetime | None = None
    hubs: tuple[str, ...] = ()  # WebSub hubs (W3C WebSub §4)
    icon_url: str | None = None  # small and square (64 px): Atom <icon>, JSON Feed favicon
    logo_url: str | None = None  # 144 px, RSS's largest <image> width: RSS <image>, Atom <logo>
    large_icon_url: str | None = None  # 512 px: JSON Feed icon


def feed_updated(page: FeedPage) -> datetime:
    """The feed's updated / lastBuildDate: the newest article's date, else (an empty feed) the given
    time the listing last changed. Never the time of rendering, never a made-up date."""
    newest = max((a.published for a in page.articles if a.published is not None), default=None)
    if newest is not None:
        return newest
    if page.updated is None:
        raise ValueError("an empty or undated page needs FeedPage.updated (when its listing last changed)")
    return page.updated


def paging_links(page: FeedPage) -> list[tuple[str, str]]:
    """The RFC 5005 (rel, href) pairs that are set, in a fixed order."""
    hrefs = (page.first_url, page.previous_url, page.next_url, page.last_url)
    return [(rel, href) for rel, href in zip(PAGING_RELS, hrefs) if href]


def item_title(article: Article) -> str:
    """The title; the id stands in for a blank one (every format requires a title)."""
    return article.title or article.id


def item_updated(article: Article, fallback: datetime) -> datetime:
    """Atom entry <updated>: required (RFC 4287 §4.1.2) and distinct per entry.

    The W3C validator warns when two entries share an <updated> (DuplicateUpdated), and a
    newsroom dates many articles to the same day. Within what the date leaves open (the
    time of a day-precise date, the day of a month-precise one), a fixed offset taken from
    the id spreads them: stable forever, never before <published>, never from the clock. An
    article without any date (the catalog dates every article it publishes) takes ``fallback``.
    """
    base = article.published or fallback
    if article.published is None:
        spread = 1
    elif base.hour or base.minute:
        spread = _SPREAD["minute"]
    else:
        spread = _SPREAD.get(article.date_precision or "day", _SPREAD["day"])
    digest = hashlib.blake2b(article.id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return base + timedelta(seconds=int.from_bytes(digest, "big") % spread)


def content_html(article: Article) -> str:
    """The article body as escaped <p>…</p> paragraphs joined by "\\n"."""
    body = article.body
    if not body or any("\n" in paragraph for paragraph in body):
        return "\n".join(["<p>" + escape(p, quote=False) + "</p>" for p in body])
    # Paragraphs are lines: escaped once, joined text; escape() leaves "\n" alone. 8% of a render.
    return "<p>" + escape("\n".join(body), quote=False).replace("\n", "</p>\n<p>") + "</p>"


def item_description(article: Article) -> str:
    """RSS <description> is HTML (RSS Best Practices Profile), so the plain-text lead is escaped."""
    return escape(article.summary, quote=False)


def item_summary(article: Article) -> str | None:
    """Atom summary: the lead; the title when there is neither lead nor body, since the
    validator flags an entry with no textual content and a blank summary alike."""
    if article.summary:
        return article.summary
    return None if article.body else item_title(article)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822(moment: datetime) -> str:
    """Tue, 05 Oct 2021 00:00:00 +0700 (RSS 2.0), English names whatever the locale."""
    offset = moment.utcoffset()
    if offset is None or offset.seconds % 60 or offset.microseconds:
        return format_datetime(moment)
    # email.utils.format_datetime's output, formatted here: it went through timetuple() and
    # strftime("%z"), 6% of an RSS render.
    minutes = int(offset.total_seconds()) // 60
    hours, minutes = divmod(abs(minutes), 60)
    sign = "-" if offset.days < 0 else "+"
    return (f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d}"
            f" {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{minutes:02d}")


def rfc3339(moment: datetime) -> str:
    """2021-10-05T00:00:00+07:00 (JSON Feed 1.1 and RFC 4287 §3.3)."""
    return moment.isoformat()
