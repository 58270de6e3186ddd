"""The corpus as one process serves it: every file's entry, the listings, and articles on demand."""

from __future__ import annotations

import sys
import threading
import unicodedata
from bisect import insort
from dataclasses import replace
from datetime import datetime

from feedsvc.articles import Article
from feedsvc.articles.dates import VN_TZ
from feedsvc.corpus import search
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.listings import ALL, AUTHOR, Listings, section_slug
from feedsvc.corpus.source import Source
from feedsvc.corpus.store import STORE_ERRORS, Clocks, Store

_BULK_FROM = 1000  # changes from which listings are rebuilt and sorted once, not inserted into one by one
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


class Catalog:
    """Entries by file and by id, the listings, clocks and what was skipped; :meth:`apply` folds changes in.

    Two files may give one id (``x.txt`` and ``x.TXT``): the one whose name sorts first is
    published and the other reported, whatever order they arrived in, so every process and every
    clean start publishes the same bytes.
    """

    def __init__(self, source: Source, store: Store):
        self.source = source
        self.store = store  # the indexer replaces it when it fails
        self.store_error: Exception | None = None  # a failure seen while reading, for the indexer to mend
        self.listings = Listings()
        self.clocks: Clocks = {}
        self.scan_skips: dict[str, str] = {}  # files the listing of the folder refused
        self.skipped: dict[str, str] = {}  # every file not published, and why
        self.problem: str | None = None  # why the source cannot be read at all (the listings stay as they were)
        self.ready = threading.Event()  # set once the first load is in memory
        self.warned = 0  # published articles the parser read with a warning
        self._lock = threading.RLock()
        self._entries: dict[str, FileEntry] = {}
        self._by_id: dict[str, FileEntry] = {}  # the published entry of each id
        self._claims: dict[str, list[str]] = {}  # id -> the names of the files that give it, sorted
        self._errors: dict[str, str] = {}  # file -> why it could not be read or parsed
        self._duplicated: set[str] = set()  # ids that more than one file gives

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
        """The display name of a category slug, or :class:`UnknownCategory`."""
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
            entries = [self._by_id[key.article_id] for key in window]
            total = self.listings.count(slug)
        return self._published(entries), total

    def get(self, article_id: str) -> Article:
        """One article by id, as published, or :class:`UnknownArticle`."""
        entry = self._by_id.get(article_id)
        found = self._published([entry]) if entry is not None else []
        if not found:
            raise UnknownArticle(article_id)
        return found[0]

    def listing_of(self, article_id: str) -> str:
        """The slug of the section listing an article appears in."""
        return section_slug(self.entry_of(article_id))

    def search(self, query: str, limit: int, page: int = 1) -> tuple[list[Article], int]:
        """Articles whose title, authors or body hold every word of ``query``, case and diacritics
        aside, newest first; among equally new ones, those that match the accents exactly first."""
        terms = search.query_terms(query)
        try:
            names, total = self.store.search(terms, limit, (page - 1) * limit)
        except STORE_ERRORS as exc:  # the next refresh mends the store; until then, nothing found
            self.store_error = exc
            return [], 0
        with self._lock:
            entries = [e for e in map(self._entries.get, names)
                       if e is not None and e.publishable and self._by_id.get(e.id or "") is e]
        articles = self._published(entries)
        wanted = unicodedata.normalize("NFC", query).casefold().strip()

        def exact(article: Article) -> bool:
            return wanted in " ".join((article.title, *article.authors, *article.body)).casefold()

        dates = {e.id: e.date for e in entries}
        return sorted(articles, key=lambda a: (-dates[a.id], not exact(a))), total

    def entry_of(self, article_id: str) -> FileEntry:
        """The published entry of an id, or :class:`UnknownArticle`."""
        try:
            return self._by_id[article_id]
        except KeyError:
            raise UnknownArticle(article_id) from None

    def all_articles(self, *, as_parsed: bool = False) -> list[Article]:
        """Every article, in id order: as published, or exactly as the parser read it."""
        with self._lock:
            entries = [self._by_id[i] for i in sorted(self._by_id)]
        if as_parsed:
            found = self._articles([e.name for e in entries])
            return [found[e.name] for e in entries if e.name in found]
        return self._published(entries)

    def entries(self) -> dict[str, FileEntry]:
        """Every file's entry by name (a copy)."""
        with self._lock:
            return dict(self._entries)

    def entry(self, name: str) -> FileEntry | None:
        return self._entries.get(name)

    def _published(self, entries: list[FileEntry]) -> list[Article]:
        """The articles of these entries, an undated one dated when the index first published it."""
        found = self._articles([e.name for e in entries])
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

    def _articles(self, names: list[str]) -> dict[str, Article]:
        """Stored articles by file name; files the store cannot give are read from the source."""
        try:
            found = self.store.articles(names)
        except STORE_ERRORS as exc:
            # A deleted, overwritten or full index must not fail a request: the files
            # are the truth. The next refresh replaces the store.
            self.store_error = exc
            found = {}
        for name in names:
            if name not in found:
                _, article = self.source.read(name)
                if article is not None:
                    found[name] = article
        return found

    def __len__(self) -> int:
        return len(self._by_id)

    # -- changing ------------------------------------------------------------

    def apply(self, fresh: list[FileEntry], gone: list[FileEntry]) -> set[str]:
        """Fold new or changed entries and removed ones into memory; the slugs of the listings touched."""
        bulk = len(fresh) + len(gone) >= _BULK_FROM
        touched: set[str] = set()
        with self._lock:
            ids: set[str] = set()
            for entry in gone:
                ids.update(self._drop(entry.name))
            for entry in fresh:
                ids.update(self._drop(entry.name))
                entry = entry.interned(sys.intern)
                self._entries[entry.name] = entry
                if entry.error:
                    self._errors[entry.name] = entry.error
                if entry.publishable:
                    insort(self._claims.setdefault(entry.id, []), entry.name)  # type: ignore[arg-type]
                    ids.add(entry.id)  # type: ignore[arg-type]
            for article_id in ids:
                touched.update(self._elect(article_id, bulk))
                if len(self._claims.get(article_id, ())) > 1:
                    self._duplicated.add(article_id)
                else:
                    self._duplicated.discard(article_id)
            if bulk:
                self.listings.rebuild(touched, self._by_id.values())
            self._collect_skipped()
        return touched

    def _drop(self, name: str) -> tuple[str, ...]:
        old = self._entries.pop(name, None)
        self._errors.pop(name, None)
        if old is None or not old.publishable:
            return ()
        claims = self._claims[old.id]  # type: ignore[index]
        claims.remove(name)
        if not claims:
            del self._claims[old.id]  # type: ignore[arg-type]
        return (old.id,)  # type: ignore[return-value]

    def _elect(self, article_id: str, bulk: bool) -> tuple[str, ...]:
        """Publish the first-named file of an id; the slugs that changed."""
        names = self._claims.get(article_id)
        winner = self._entries[names[0]] if names else None
        current = self._by_id.get(article_id)
        if current is winner:
            return ()
        touched: tuple[str, ...] = ()
        if current is not None:
            touched += self.listings.remove(current, sort=not bulk)
            del self._by_id[article_id]
            self.warned -= bool(current.warnings)
        if winner is not None:
            touched += self.listings.add(winner, sort=not bulk)
            self._by_id[article_id] = winner
            self.warned += bool(winner.warnings)
        return touched

    def _collect_skipped(self) -> None:
        skipped = {**self.scan_skips, **self._errors}
        for article_id in self._duplicated:
            names = self._claims[article_id]
            for name in names[1:]:
                skipped[name] = f"duplicate id {article_id!r}: {names[0]} is published"
        self.skipped = skipped

    def set_scan_skips(self, skips: dict[str, str]) -> None:
        with self._lock:
            self.scan_skips = skips
            self._collect_skipped()

    def set_clocks(self, clocks: Clocks) -> None:
        """Take the clocks another process wrote (or this one computed)."""
        with self._lock:
            self.clocks = {**self.clocks, **clocks}
