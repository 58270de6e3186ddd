"""Feeds and the OPML list as cached documents: the repository, rendered for one base URL."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

from feedsvc import feeds
from feedsvc.articles.dates import VN_TZ
from feedsvc.cache import Document, DocumentCache, make_document
from feedsvc.repository import ALL, Repository

FORMATS = ("rss", "atom", "json")
OPML_TYPE = "text/x-opml; charset=utf-8"


class PageOutOfRange(LookupError):
    """A ``page`` past the last page of a listing."""

    def __init__(self, page: int, last: int):
        super().__init__(f"page {page} is past the last page ({last})")
        self.page, self.last = page, last


@dataclass(frozen=True)
class Site:
    """What every document says about the site; none of it comes from a request."""

    title: str
    description: str
    tag_authority: str  # "kontumtv.vn,2021": RFC 4151 authority and date
    default_limit: int = 50
    max_age: int = 300

    def entry_id(self, article_id: str) -> str:
        """The permanent id of an article in every format: built from its id alone."""
        return f"tag:{self.tag_authority}:article:{quote(article_id, safe='')}"

    def feed_id(self, slug: str) -> str:
        return f"tag:{self.tag_authority}:feed:{slug or 'all'}"


def feed_path(slug: str, fmt: str) -> str:
    return f"/feeds/{slug or 'all'}.{fmt}"


def article_path(article_id: str) -> str:
    return "/articles/" + quote(article_id, safe="")


def category_path(slug: str) -> str:
    return "/categories/" + slug if slug else "/"


def with_query(path: str, limit: int | None = None, page: int | None = None) -> str:
    """A path with the paging parameters in canonical order, only those given."""
    query = urlencode([(k, v) for k, v in (("limit", limit), ("page", page)) if v is not None])
    return f"{path}?{query}" if query else path


class Publisher:
    """Builds each document once per listing version and serves it from the cache after."""

    def __init__(self, repository: Repository, cache: DocumentCache, site: Site):
        self.repository = repository
        self.cache = cache
        self.site = site

    def feed(self, base_url: str, slug: str, fmt: str, *, limit: int | None = None,
             page: int | None = None) -> Document:
        """One page of a feed. ``limit``/``page`` are as the client gave them (None: absent)."""
        title = self.site.title if slug == ALL else f"{self.repository.category_name(slug)} – {self.site.title}"
        version = self.repository.version(slug)
        key = ("feed", base_url, slug, fmt, limit, page, version)
        tags = frozenset({slug})
        return self.cache.get(key, lambda: self._render(base_url, slug, fmt, limit, page, title), tags)

    def _render(self, base_url: str, slug: str, fmt: str, limit: int | None, page: int | None,
                title: str) -> Document:
        size = limit or self.site.default_limit
        number = page or 1
        articles, total = self.repository.page(slug, size, number)
        last = max(1, math.ceil(total / size))
        if number > last:
            raise PageOutOfRange(number, last)
        path = feed_path(slug, fmt)
        keep = limit if limit not in (None, self.site.default_limit) else None

        def link(n: int) -> str:
            return base_url + with_query(path, keep, n if n > 1 else None)

        paged = last > 1
        feed_page = feeds.FeedPage(
            feed_id=self.site.feed_id(slug),
            title=title,
            description=self.site.description,
            home_url=base_url + category_path(slug),
            self_url=base_url + with_query(path, limit, page),
            articles=tuple(articles),
            article_url=lambda article_id: base_url + article_path(article_id),
            entry_id=self.site.entry_id,
            first_url=link(1) if paged else None,
            last_url=link(last) if paged else None,
            next_url=link(number + 1) if number < last else None,
            previous_url=link(number - 1) if paged and number > 1 else None,
            ttl_minutes=max(1, self.site.max_age // 60),
        )
        body = feeds.RENDERERS[fmt](feed_page)
        newest = max((a.published for a in articles if a.published), default=None)
        return make_document(body, feeds.MEDIA_TYPES[fmt], newest)

    def opml(self, base_url: str, fmt: str = "rss") -> Document:
        """OPML 2.0 list of the site feed and every category feed, in one format."""
        key = ("opml", base_url, fmt, self.repository.version(ALL))
        return self.cache.get(key, lambda: self._render_opml(base_url, fmt), frozenset({ALL}))

    def _render_opml(self, base_url: str, fmt: str) -> Document:
        root = ET.Element("opml", version="2.0")
        head = ET.SubElement(root, "head")
        ET.SubElement(head, "title").text = self.site.title
        # OPML 2.0 wants the RFC 822 date of the list; the newest article keeps it stable.
        newest = self.repository.newest(ALL)
        if newest is not None:
            ET.SubElement(head, "dateModified").text = feeds.rfc822(_from_timestamp(newest))
        body = ET.SubElement(root, "body")
        kind = {"rss": "rss", "atom": "atom", "json": "jsonfeed"}[fmt]
        listings = [(ALL, self.site.title)] + [(s, name) for s, name, _ in self.repository.categories()]
        for slug, name in listings:
            ET.SubElement(body, "outline", type=kind, text=name, title=name,
                          xmlUrl=base_url + feed_path(slug, fmt), htmlUrl=base_url + category_path(slug))
        data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return make_document(data, OPML_TYPE, None)


def _from_timestamp(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=VN_TZ)
