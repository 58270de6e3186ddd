"""The corpus as one process serves it: every file's entry, the listings, and articles on demand."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import replace
from datetime import datetime

from feedsvc.articles import Article
from feedsvc.articles.dates import VN_TZ
from feedsvc.corpus import search
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.ledger import Ledger
from feedsvc.corpus.listings import ALL, AUTHOR, Listings, section_slug
from feedsvc.corpus.source import Source
from feedsvc.corpus.store import STORE_ERRORS, Clocks, Store

SEEN = "seen"  # the date_precision of an article dated by when the index first published it


class UnknownArticle(LookupError):
    """No article has this id."""

    def __init__(self, article_id: str):
        super().__init__(f"no article with id {article_id!r}")
        self.article_id = article_id


class UnknownCategory(LookupError):
    """No article is filed under this listing's slug (a section's, or an author's)."""

    def __init__(self, slug: str):
        what = f"author {slug[len(AUTHOR):]!r}" if slug.startswith(AUTHOR) else f"category {slug!r}"
        super().__init__(f"no {what}")
        self.slug = slug


def listing_clock(slug: str) -> str:
    return "listing:" + slug


class Bodies:
    """Articles read on demand: from the store, or from the source when the store cannot give them."""

    def __init__(self, source: Source, store: Store):
        self.source = source
        self.store = store  # the indexer replaces it when it fails
        self.store_error: Exception | None = None  # a failure seen while reading, for the indexer to mend

    def articles(self, names: list[str]) -> dict[str, Article]:
        """Articles by file name, as the parser read them."""
        try:
            found = self.store.articles(names)
        except STORE_ERRORS as exc:
            # A deleted, overwritten or full index must not fail a request: the files are the
            # truth. The next refresh replaces the store.
            self.store_error = exc
            found = {}
        for name in names:
            if name not in found:
                _, article = self.source.read(name)
                if article is not None:
                    found[name] = article
        return found

    def published(self, entries: list[FileEntry]) -> list[Article]:
        """The articles of these entries, an undated one dated when the index first published it."""
        found = self.articles([e.name for e in entries])
        articles = []
        for entry in entries:
            article = found.get(entry.name)
            if article is None:
                continue
            if article.published is None and entry.first_seen is not None:
                moment = datetime.fromtimestamp(entry.first_seen, tz=VN_TZ)
                article = replace(article, published=moment, date_precision=SEEN)
            articles.append(article)
        return articles


class Catalog(Bodies):
    """The corpus as this process serves it: the ledger of entries and listings, clocks, what was
    skipped, and (as :class:`Bodies`) its articles."""

    def __init__(self, source: Source, store: Store):
        super().__init__(source, store)
        self.ledger = Ledger()
        self.clocks: Clocks = {}
        self.scan_skips: dict[str, str] = {}  # files the listing of the folder refused
        self.skipped: dict[str, str] = {}  # every file not published, and why
        self.problem: str | None = None  # why the source cannot be read at all (the listings stay as they were)
        self.ready = threading.Event()  # set once the first load is in memory
        # Moves (under the lock) whenever what the catalog shows may have changed: entries, skips,
        # clocks. Whoever keeps something derived from it compares one number to know it is current.
        self.edition = 0
        self._lock = threading.RLock()

    @property
    def listings(self) -> Listings:
        return self.ledger.listings

    @property
    def warned(self) -> int:
        return self.ledger.warned

    # -- reading -------------------------------------------------------------

    def version(self, slug: str = ALL) -> str:
        return self.listings.version(slug)

    def modified(self, slug: str = ALL) -> int | None:
        """When the listing last changed (whole seconds), or None before the index has said."""
        found = self.clocks.get(listing_clock(slug))
        return found[1] if found else None

    def clock(self, key: str) -> int | None:
        found = self.clocks.get(key)
        return found[1] if found else None

    def authors(self) -> list[tuple[str, str, int]]:
        """(slug, name, article count) of every author, by name."""
        with self._lock:
            return self.listings.authors()

    def categories(self) -> list[tuple[str, str, int]]:
        """(slug, name, article count) of every section listing, by name; articles without a section last."""
        with self._lock:
            return self.listings.sections()

    def category_name(self, slug: str) -> str:
        """The display name of a listing's slug, or :class:`UnknownCategory`."""
        try:
            return self.listings.names[slug]
        except KeyError:
            raise UnknownCategory(slug) from None

    def count(self, slug: str = ALL) -> int:
        return self.listings.count(slug)

    def newest(self, slug: str = ALL) -> float | None:
        with self._lock:
            return self.listings.newest(slug)

    def page(self, slug: str, limit: int, page: int = 1) -> tuple[list[Article], int]:
        """Articles on one page of a listing, newest first, as published, and the listing's size."""
        with self._lock:
            try:
                window = self.listings.window(slug, (page - 1) * limit, page * limit)
            except KeyError:
                raise UnknownCategory(slug) from None
            entries = [self.ledger.by_id[key.article_id] for key in window]
            total = self.listings.count(slug)
        return self.published(entries), total

    def search_behind(self) -> bool:
        """Whether search still takes in the articles of a first load (it answers SearchNotReady meanwhile)."""
        try:
            return self.store.search_behind()
        except STORE_ERRORS:  # the next refresh mends the store
            return False

    def search(self, query: str, limit: int, page: int = 1) -> tuple[list[Article], int]:
        """Articles whose title, authors or body hold every word of ``query``, case and diacritics
        aside, newest first; among equally new ones, those that match the accents exactly first."""
        try:
            names, total = self.store.search(search.query_terms(query), limit, (page - 1) * limit)
        except STORE_ERRORS as exc:  # the next refresh mends the store; until then, nothing found
            self.store_error = exc
            return [], 0
        with self._lock:
            entries = [e for e in map(self.ledger.entries.get, names) if e is not None and self.ledger.is_published(e)]
        wanted = unicodedata.normalize("NFC", query).casefold().strip()

        def rank(article: Article) -> tuple[float, bool]:
            exact = wanted in " ".join((article.title, *article.authors, *article.body)).casefold()
            return -dates[article.id], not exact

        dates = {e.id: e.date for e in entries}
        return sorted(self.published(entries), key=rank), total

    def get(self, article_id: str) -> Article:
        """One article by id, as published, or :class:`UnknownArticle`."""
        entry = self.ledger.by_id.get(article_id)
        found = self.published([entry]) if entry is not None else []
        if not found:
            raise UnknownArticle(article_id)
        return found[0]

    def entry_of(self, article_id: str) -> FileEntry:
        """The published entry of an id, or :class:`UnknownArticle`."""
        try:
            return self.ledger.by_id[article_id]
        except KeyError:
            raise UnknownArticle(article_id) from None

    def listing_of(self, article_id: str) -> str:
        """The slug of the section listing an article appears in."""
        return section_slug(self.entry_of(article_id))

    def all_articles(self, *, as_parsed: bool = False) -> list[Article]:
        """Every article, in id order: as published, or exactly as the parser read it."""
        with self._lock:
            entries = [self.ledger.by_id[i] for i in sorted(self.ledger.by_id)]
        if as_parsed:
            found = self.articles([e.name for e in entries])
            return [found[e.name] for e in entries if e.name in found]
        return self.published(entries)

    def entries(self) -> dict[str, FileEntry]:
        """Every file's entry by name (a copy)."""
        with self._lock:
            return dict(self.ledger.entries)

    def entry(self, name: str) -> FileEntry | None:
        return self.ledger.entries.get(name)

    def __len__(self) -> int:
        return len(self.ledger.by_id)

    # -- changing (the indexer's) -------------------------------------------------

    def apply(self, fresh: list[FileEntry], gone: list[FileEntry]) -> set[str]:
        """Fold new or changed entries and removed ones in; the slugs of the listings touched."""
        with self._lock:
            touched = self.ledger.apply(fresh, gone)
            self.skipped = self.ledger.skipped(self.scan_skips)
            if fresh or gone:
                self.edition += 1
        return touched

    def set_scan_skips(self, skips: dict[str, str]) -> None:
        with self._lock:
            if skips != self.scan_skips:
                self.edition += 1
            self.scan_skips = skips
            self.skipped = self.ledger.skipped(skips)

    def set_clocks(self, clocks: Clocks) -> None:
        """Take the clocks another process wrote (or this one computed)."""
        with self._lock:
            merged = {**self.clocks, **clocks}
            if merged != self.clocks:
                self.clocks = merged
                self.edition += 1
