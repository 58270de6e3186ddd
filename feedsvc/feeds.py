"""Articles -> RSS 2.0, Atom 1.0 and JSON Feed 1.1 bytes. The only module that imports feedgen.

Every value comes from the data, never from the clock, so the same page always renders the same
bytes (ETags built from them match across workers and restarts).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from typing import Callable

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml.etree import SubElement

from feedsvc.articles.dates import VN_TZ

# The documented stand-in where a format REQUIRES a date and the article has none. The
# W3C validator calls dates before 1990 implausible (ImplausibleDate), hence not the epoch.
UNDATED = datetime(2000, 1, 1, tzinfo=VN_TZ)
# How far past its date an article's Atom <updated> may be spread, by what the date knows.
_SPREAD = {"minute": 60, "day": 86_400, "month": 28 * 86_400, None: 365 * 86_400}

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",
}
GENERATOR = "feedsvc"  # no version or date: it would change the bytes
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
DC_NS = "http://purl.org/dc/elements/1.1/"
DC_CREATOR = "{%s}creator" % DC_NS
PAGING_RELS = ("first", "previous", "next", "last")  # RFC 5005 §3


@dataclass(frozen=True)
class FeedPage:
    """One page of one feed, already sorted newest-first and cut; URLs are absolute."""

    feed_id: str
    title: str
    description: str
    home_url: str
    self_url: str
    articles: tuple
    article_url: Callable[[str], str]
    entry_id: Callable[[str], str]
    first_url: str | None = None
    last_url: str | None = None
    next_url: str | None = None
    previous_url: str | None = None
    ttl_minutes: int = 5
    language: str = "vi"
    updated: datetime | None = None


# --- one small function per mapped field -------------------------------------------------

def feed_updated(page: FeedPage) -> datetime:
    """The feed's updated / lastBuildDate: given, else the newest article date, else UNDATED."""
    if page.updated is not None:
        return page.updated
    return max((a.published for a in page.articles if a.published is not None), default=UNDATED)


def paging_links(page: FeedPage) -> list[tuple[str, str]]:
    """The RFC 5005 (rel, href) pairs that are set, in a fixed order."""
    return [(rel, href) for rel, href in zip(
        PAGING_RELS, (page.first_url, page.previous_url, page.next_url, page.last_url)) if href]


def item_title(article) -> str:
    """The title; the id stands in for a blank one (both formats require a title)."""
    return article.title or article.id


def item_updated(article) -> datetime:
    """Atom entry <updated>: required (RFC 4287 §4.1.2) and distinct per entry.

    The W3C validator warns when two entries share an <updated> (DuplicateUpdated), and a
    newsroom dates many articles to the same day. Within what the date leaves open (the
    time of a day-precise date, the day of a month-precise one), a fixed offset taken from
    the id spreads them: stable forever, never before <published>, never from the clock.
    """
    base = article.published or UNDATED
    if article.published is None:
        spread = _SPREAD[None]
    elif base.hour or base.minute:
        spread = _SPREAD["minute"]
    else:
        spread = _SPREAD.get(article.date_precision, _SPREAD["day"])
    digest = hashlib.blake2b(article.id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return base + timedelta(seconds=int.from_bytes(digest, "big") % spread)


def content_html(article) -> str:
    """The article body as escaped <p>…</p> paragraphs joined by "\\n"."""
    return "\n".join(["<p>" + escape(p, quote=False) + "</p>" for p in article.body])


def item_description(article) -> str:
    """RSS <description> is HTML (RSS Best Practices Profile), so the plain-text lead is escaped."""
    return escape(article.summary, quote=False)


def item_summary(article) -> str | None:
    """Atom summary: the lead; the title when there is neither lead nor body, since the
    validator flags an entry with no textual content and a blank summary alike."""
    if article.summary:
        return article.summary
    return None if article.body else item_title(article)


def rfc822(moment: datetime) -> str:
    """Tue, 05 Oct 2021 00:00:00 +0700 (RSS 2.0), English names whatever the locale."""
    return format_datetime(moment)


def rfc3339(moment: datetime) -> str:
    """2021-10-05T00:00:00+07:00 (JSON Feed 1.1 and RFC 4287 §3.3)."""
    return moment.isoformat()


# --- what feedgen 1.0 cannot write (or writes slowly), added to the elements it built ------

class _RssChannel(BaseExtension):
    """Declares the dc namespace and adds RFC 5005 atom:links (feedgen writes only rel=self)."""

    def __init__(self):
        self.links = []

    def extend_ns(self):
        return {"dc": DC_NS}

    def extend_rss(self, rss_feed):
        channel = rss_feed[0]
        for rel, href in self.links:
            SubElement(channel, ATOM_LINK, href=href, rel=rel, type=RSS_TYPE)
        return rss_feed


class _RssItem(FeedEntry):
    """An RSS item with pubDate, dc:creator per author and a plain-text category.

    feedgen's own dc extension costs ~30% of the render (it probes 15 fields per item), and a
    name-only <author> is invalid RSS (it must be an email address). feedgen formats pubDate by
    switching the process-wide locale around strftime, which is not thread-safe.
    """

    published: datetime | None = None
    creators: tuple = ()
    category_text: str | None = None

    def rss_entry(self, extensions=True):
        item = super().rss_entry(extensions)
        if self.published is not None:
            SubElement(item, "pubDate").text = rfc822(self.published)
        for name in self.creators:
            SubElement(item, DC_CREATOR).text = name
        if self.category_text is not None:
            SubElement(item, "category").text = self.category_text
        return item


class _AtomEntry(FeedEntry):
    """An Atom entry with an html title, a typed alternate link, authors and a category."""

    has_content = False
    authors: tuple = ()
    category_term: str | None = None
    category_label: str | None = None

    def atom_entry(self, extensions=True):
        entry = super().atom_entry(extensions)
        # Children so far: id, title, updated, [content], link, ... (authors are ours, below).
        # The title was escaped for type="html": a title like '<script>…</script>' is then text
        # to every reader (RFC 4287 §3.1.1.2); as type="text" the validator flags it as HTML.
        entry[1].set("type", "html")
        # feedgen 1.0 drops rel/type from entry links (its loop shadows the link dict).
        link = entry[4] if self.has_content else entry[3]
        link.set("rel", "alternate")
        link.set("type", "text/html")
        for name in self.authors:
            SubElement(SubElement(entry, "author"), "name").text = name
        if self.category_term is not None:
            category = SubElement(entry, "category")
            category.set("term", self.category_term)
            category.set("label", self.category_label)
        return entry


def _generator(page: FeedPage) -> FeedGenerator:
    """The channel/feed fields both XML formats share; links are format-specific."""
    fg = FeedGenerator()
    fg.id(page.feed_id)
    fg.title(page.title)
    fg.description(page.description or page.title)  # also atom:subtitle; RSS requires one
    fg.language(page.language)  # also xml:lang on <feed>
    fg.generator(GENERATOR)
    fg.updated(feed_updated(page))  # also lastBuildDate; feedgen defaults both to now
    return fg


# --- renderers -----------------------------------------------------------------------------

def render_rss(page: FeedPage) -> bytes:
    """RSS 2.0 with content:encoded, dc:creator and atom:link self/paging."""
    fg = _generator(page)
    fg.ttl(page.ttl_minutes)
    # The last fg.link() becomes <channel><link>: self first, the HTML page last.
    fg.link(href=page.self_url, rel="self", type=RSS_TYPE)
    fg.link(href=page.home_url, rel="alternate", type="text/html")
    url, guid = page.article_url, page.entry_id
    for article in page.articles:
        fe = _RssItem()
        fe.title(item_title(article))
        fe.link(href=url(article.id))
        # isPermaLink="false": a tag: URI is not a dereferenceable URL.
        fe.guid(guid(article.id), permalink=False)
        fe.description(item_description(article))
        if article.body:
            fe.content(content_html(article))  # content:encoded
        fe.published = article.published
        fe.creators = article.authors
        fe.category_text = article.category
        fg.add_entry(fe, order="append")  # feedgen prepends by default
    # Registered last, so feedgen does not try to attach it to every entry.
    fg.register_extension("channel", _RssChannel, None, atom=False, rss=True)
    fg.channel.links = paging_links(page)
    return fg.rss_str()


def render_atom(page: FeedPage) -> bytes:
    """Atom 1.0 (RFC 4287) with RFC 5005 paging links."""
    fg = _generator(page)
    # RFC 4287 §4.1.1: entries without an author inherit the feed's.
    fg.author(name=page.title)
    fg.link(href=page.self_url, rel="self", type=ATOM_TYPE)
    fg.link(href=page.home_url, rel="alternate", type="text/html")
    for rel, href in paging_links(page):
        fg.link(href=href, rel=rel, type=ATOM_TYPE)
    url, entry_id = page.article_url, page.entry_id
    used: set[datetime] = set()
    for article in page.articles:
        fe = _AtomEntry()
        fe.id(entry_id(article.id))
        fe.title(escape(item_title(article), quote=False))  # type="html", see _AtomEntry
        updated = item_updated(article)
        while updated in used:  # two ids hashed to one second: rare, settled in page order
            updated += timedelta(seconds=1)
        used.add(updated)
        fe.updated(updated)  # feedgen defaults to now
        if article.published is not None:
            fe.published(article.published)
        # Always present, so an entry without content still validates (RFC 4287 §4.1.2).
        fe.link(href=url(article.id))
        summary = item_summary(article)
        if summary is not None:
            # type="html" like the title; description() followed by content() would drop it.
            fe.summary(escape(summary, quote=False), type="html")
        if article.body:
            fe.content(content_html(article), type="html")
            fe.has_content = True
        fe.authors = article.authors
        if article.category_slug is not None:
            fe.category_term = article.category_slug
            fe.category_label = article.category or article.category_slug
        fg.add_entry(fe, order="append")
    return fg.atom_str()


def json_item(page: FeedPage, article) -> dict:
    """One JSON Feed 1.1 item, keys in a fixed order; optional keys only when set."""
    item = {
        "id": page.entry_id(article.id),
        "url": page.article_url(article.id),
        "title": item_title(article),
    }
    if article.summary:
        item["summary"] = article.summary
    item["content_html"] = content_html(article)  # content_html or content_text is required
    if article.published is not None:
        item["date_published"] = rfc3339(article.published)
    if article.authors:
        item["authors"] = [{"name": name} for name in article.authors]
    if article.category is not None:
        item["tags"] = [article.category]
    return item


def render_json(page: FeedPage) -> bytes:
    """JSON Feed 1.1, compact UTF-8, built with the standard library."""
    doc = {
        "version": JSON_FEED_VERSION,
        "title": page.title,
        "home_page_url": page.home_url,
        "feed_url": page.self_url,
        "description": page.description,
        "language": page.language,
    }
    if page.next_url:
        doc["next_url"] = page.next_url
    doc["items"] = [json_item(page, article) for article in page.articles]
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # "<" as \u003c: same JSON value, but no raw "<script>" in the bytes if ever sniffed as HTML.
    return text.replace("<", "\\u003c").encode("utf-8")


RENDERERS = {"rss": render_rss, "atom": render_atom, "json": render_json}
