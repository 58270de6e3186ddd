"""The corpus as one process serves it: every file's entry, the listings, and articles on demand."""

from __future__ import annotations

import sys
import threading

from feedsvc.articles import Article
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.listings import ALL, Listings
from feedsvc.corpus.source import Source
from feedsvc.corpus.store import STORE_ERRORS, Store

_BULK_FROM = 1000  # changes from which listings are rebuilt and sorted once, not inserted into one by one


class UnknownArticle(LookupError):
    """No article has this id."""

    def __init__(self, article_id: str):
        super().__init__(f"no article with id {article_id!r}")
        self.article_id = article_id


class UnknownCategory(LookupError):
    """No article is filed under this category slug."""

    def __init__(self, slug: str):
        super().__init__(f"no category {slug!r}")
        self.slug = slug


class Catalog:
    """Entries by file and by id, the listings, and what was skipped; :meth:`apply` folds changes in."""

    def __init__(self, source: Source, store: Store):
        self.source = source
        self.store = store  # the indexer replaces it when it fails
        self.store_error: Exception | None = None  # a failure seen while reading, for the indexer to mend
        self.listings = Listings()
        self.skipped: dict[str, str] = {}
        self.ready = threading.Event()  # set once the first load is in memory
        self._lock = threading.RLock()
        self._entries: dict[str, FileEntry] = {}
        self._by_id: dict[str, FileEntry] = {}

    # -- reading -------------------------------------------------------------

    def version(self, slug: str = ALL) -> str:
        return self.listings.version(slug)

    def categories(self) -> list[tuple[str, str, int]]:
        """(slug, name, article count) of every category, by name."""
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
        """Articles on one page of a listing, newest first, and the listing's size."""
        with self._lock:
            try:
                window = self.listings.window(slug, (page - 1) * limit, page * limit)
            except KeyError:
                raise UnknownCategory(slug) from None
            names = [self._by_id[key.article_id].name for key in window]
            total = self.listings.count(slug)
        found = self._articles(names)
        return [found[n] for n in names if n in found], total

    def get(self, article_id: str) -> Article:
        """One article by id, or :class:`UnknownArticle`."""
        entry = self._by_id.get(article_id)
        found = self._articles([entry.name]) if entry is not None else {}
        if entry is None or entry.name not in found:
            raise UnknownArticle(article_id)
        return found[entry.name]

    def fingerprint(self, article_id: str) -> int:
        """The digest of an article's file, or :class:`UnknownArticle`."""
        try:
            return self._by_id[article_id].fingerprint
        except KeyError:
            raise UnknownArticle(article_id) from None

    def all_articles(self) -> list[Article]:
        """Every article, in id order."""
        with self._lock:
            names = [self._by_id[i].name for i in sorted(self._by_id)]
        found = self._articles(names)
        return [found[n] for n in names if n in found]

    def entries(self) -> dict[str, FileEntry]:
        """Every file's entry by name (a copy)."""
        with self._lock:
            return dict(self._entries)

    def entry(self, name: str) -> FileEntry | None:
        return self._entries.get(name)

    def owner(self, article_id: str) -> str | None:
        """The file that publishes this id now."""
        entry = self._by_id.get(article_id)
        return entry.name if entry is not None else None

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
            for entry in gone:
                touched.update(self._remove(entry, bulk))
            for entry in fresh:
                old = self._entries.get(entry.name)
                if old is not None:
                    touched.update(self._remove(old, bulk))
                touched.update(self._add(entry.interned(sys.intern), bulk))
            if bulk:
                self.listings.rebuild(touched, self._by_id.values())
        return touched

    def _add(self, entry: FileEntry, bulk: bool) -> tuple[str, ...]:
        self._entries[entry.name] = entry
        if entry.error or not entry.id:
            return ()
        self._by_id[entry.id] = entry
        return self.listings.add(entry, sort=not bulk)

    def _remove(self, entry: FileEntry, bulk: bool) -> tuple[str, ...]:
        self._entries.pop(entry.name, None)
        if entry.error or not entry.id or self._by_id.get(entry.id) is not entry:
            return ()
        del self._by_id[entry.id]
        return self.listings.remove(entry, sort=not bulk)
