"""Feeds and the OPML list as cached documents: the catalog, rendered for one base URL."""

from __future__ import annotations

from datetime import datetime

from feedsvc.articles.dates import VN_TZ
from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.indexer import RENDERER, Changes
from feedsvc.corpus.listings import ALL
from feedsvc.publishing.cache import Document, DocumentCache, make_document
from feedsvc.publishing.formats import FORMATS, opml
from feedsvc.publishing.formats.page import FeedPage
from feedsvc.publishing.paging import check_page
from feedsvc.publishing.site import Site, article_path, category_path, feed_path, with_query


class Publisher:
    """Builds each document once per listing version and serves it from the cache after."""

    def __init__(self, catalog: Catalog, cache: DocumentCache, site: Site):
        self.catalog = catalog
        self.cache = cache
        self.site = site

    def forget(self, changes: Changes) -> None:
        """A corpus listener: drop the cached documents of the listings that changed."""
        self.cache.invalidate(changes.touched)

    # -- when documents last changed -------------------------------------------

    def modified(self, slug: str = ALL) -> int | None:
        """When the documents of a listing last changed, in POSIX seconds: its clock, or the
        renderer's when code or settings changed since (see Indexer)."""
        return _latest(self.catalog.modified(slug), self.catalog.clock(RENDERER))

    def article_modified(self, article_id: str) -> int | None:
        """When an article's page last changed (UnknownArticle if there is no such article)."""
        changed = int(self.catalog.entry_of(article_id).changed_at) or None
        return _latest(changed, self.catalog.clock(RENDERER))

    # -- documents ---------------------------------------------------------------

    def feed(self, base_url: str, slug: str, fmt: str, *, limit: int | None = None,
             page: int | None = None) -> Document:
        """One page of a feed. ``limit``/``page`` are as the client gave them (None: absent)."""
        title = self.site.title if slug == ALL else f"{self.catalog.category_name(slug)} – {self.site.title}"
        version = self.catalog.version(slug)
        key = ("feed", base_url, slug, fmt, limit, page, version)
        return self.cache.get(key, lambda: self._render(base_url, slug, fmt, limit, page, title), frozenset({slug}))

    def _render(self, base_url: str, slug: str, fmt: str, limit: int | None, page: int | None,
                title: str) -> Document:
        size = limit or self.site.default_limit
        number = page or 1
        articles, total = self.catalog.page(slug, size, number)
        last = check_page(number, total, size)
        path = feed_path(slug, fmt)
        keep = limit if limit not in (None, self.site.default_limit) else None

        def link(n: int) -> str:
            return base_url + with_query(path, keep, n if n > 1 else None)

        paged = last > 1
        listing_changed = self.catalog.modified(slug)
        feed_page = FeedPage(
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
            # An empty feed is updated when its listing last changed (RFC 4287 requires a date).
            updated=datetime.fromtimestamp(listing_changed or 0, tz=VN_TZ) if not articles else None,
            hubs=self.site.hubs,
        )
        form = FORMATS[fmt]
        return make_document(form.render(feed_page), form.media_type)

    def opml(self, base_url: str, fmt: str = "rss") -> Document:
        """OPML 2.0 list of every section's feed in one format: together they hold every article
        exactly once (the site feed, which repeats them all, is offered on the home page)."""
        key = ("opml", base_url, fmt, self.catalog.version(ALL))
        return self.cache.get(key, lambda: self._render_opml(base_url, fmt), frozenset({ALL}))

    def _render_opml(self, base_url: str, fmt: str) -> Document:
        # OPML 2.0 wants the RFC 822 date of the list; the newest article keeps it stable.
        newest = self.catalog.newest(ALL)
        modified = datetime.fromtimestamp(newest, tz=VN_TZ) if newest is not None else None
        outlines = [opml.Outline(name, base_url + feed_path(slug, fmt), base_url + category_path(slug),
                                 FORMATS[fmt].opml_type) for slug, name, _ in self.catalog.categories()]
        return make_document(opml.render(self.site.title, modified, outlines), opml.MEDIA_TYPE)


def _latest(*moments: int | None) -> int | None:
    found = [m for m in moments if m is not None]
    return max(found) if found else None
