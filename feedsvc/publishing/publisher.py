"""Feeds and the OPML list as cached documents: the catalog, rendered for one base URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from feedsvc.articles import Article
from feedsvc.articles.dates import VN_TZ
from feedsvc.articles.folding import fold
from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.indexer import RENDERER, Changes
from feedsvc.corpus.listings import ALL, is_author
from feedsvc.publishing.cache import Document, DocumentCache, make_document
from feedsvc.publishing.formats import FORMATS, opml
from feedsvc.publishing.formats.page import FeedPage
from feedsvc.publishing.paging import check_page
from feedsvc.publishing.site import Site, article_path, category_path, feed_path, search_path, with_query

Select = Callable[[int, int], tuple[list[Article], int]]  # (limit, page) -> (articles, total)
SEARCHES = "searches"  # the cache zone of search results (see DocumentCache)
ICONS = ("/static/icon-64.png", "/static/icon-144.png", "/static/icon-512.png")  # made by deploy/make_icons.py


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

    # -- feeds -------------------------------------------------------------------

    def title(self, slug: str) -> str:
        """A listing's feed title (UnknownCategory for no such listing)."""
        if slug == ALL:
            return self.site.title
        name = self.catalog.category_name(slug)
        return f"Bài viết của {name} – {self.site.title}" if is_author(slug) else f"{name} – {self.site.title}"

    def feed(self, base_url: str, slug: str, fmt: str, *, limit: int | None = None,
             page: int | None = None) -> Document:
        """One page of a listing's feed. ``limit``/``page`` are as the client gave them (None: absent)."""
        title = self.title(slug)
        key = ("feed", base_url, slug, fmt, limit, page, self.catalog.version(slug))

        def render() -> Document:
            select: Select = lambda size, number: self.catalog.page(slug, size, number)  # noqa: E731
            return self._render(base_url, fmt, limit, page, select, feed_id=self.site.feed_id(slug), title=title,
                                path=feed_path(slug, fmt), home=category_path(slug))

        return self.cache.get(key, render, frozenset({slug}))

    def search_feed(self, base_url: str, query: str, fmt: str, *, limit: int | None = None,
                    page: int | None = None) -> Document:
        """One page of the results of a search, as a feed a reader can keep (a saved search)."""
        key = ("search", base_url, query, fmt, limit, page, self.catalog.version(ALL))

        def render() -> Document:
            select: Select = lambda size, number: self.catalog.search(query, size, number)  # noqa: E731
            terms = "+".join(fold(query).split())
            return self._render(base_url, fmt, limit, page, select, feed_id=self.site.feed_id(f"search:{terms}"),
                                title=f"Tìm kiếm “{query}” – {self.site.title}", path=search_path(fmt),
                                home=with_query(search_path(), q=query), q=query)

        # Every search shows the whole site: any change may change its results.
        return self.cache.get(key, render, frozenset({ALL}), zone=SEARCHES)

    def _render(self, base_url: str, fmt: str, limit: int | None, page: int | None, select: Select, *,
                feed_id: str, title: str, path: str, home: str, q: str | None = None) -> Document:
        size = limit or self.site.default_limit
        number = page or 1
        articles, total = select(size, number)
        last = check_page(number, total, size)
        keep = limit if limit not in (None, self.site.default_limit) else None

        def link(n: int) -> str:
            return base_url + with_query(path, keep, n if n > 1 else None, q=q)

        paged = last > 1
        feed_page = FeedPage(
            feed_id=feed_id,
            title=title,
            description=self.site.description,
            home_url=base_url + home,
            self_url=base_url + with_query(path, limit, page, q=q),
            articles=tuple(articles),
            article_url=lambda article_id: base_url + article_path(article_id),
            entry_id=self.site.entry_id,
            first_url=link(1) if paged else None,
            last_url=link(last) if paged else None,
            next_url=link(number + 1) if number < last else None,
            previous_url=link(number - 1) if paged and number > 1 else None,
            ttl_minutes=max(1, self.site.max_age // 60),
            # An empty feed (a search that finds nothing) still needs a date (RFC 4287 §4.2.15): the
            # site's newest article's, which every instance agrees on; an empty site's, the epoch.
            updated=None if articles else datetime.fromtimestamp(self.catalog.newest(ALL) or 0, tz=VN_TZ),
            hubs=self.site.hubs,
            icon_url=base_url + ICONS[0], logo_url=base_url + ICONS[1], large_icon_url=base_url + ICONS[2],
        )
        form = FORMATS[fmt]
        return make_document(form.render(feed_page), form.media_type)

    # -- the OPML list -------------------------------------------------------------

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
