"""Which file publishes which article: every file's entry, the published one per id, the listings.

Two files may give one id (``x.txt`` and ``x.TXT``): the one whose name sorts first is published
and the other reported, whatever order they arrived in, so every process and every clean start
publishes the same bytes.
"""

from __future__ import annotations

import sys

from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.listings import Listings

BULK_FROM = 1000  # changes from which listings are rebuilt and sorted once, not inserted into one by one


class Ledger:
    """Entries by file and the published entry of each id; :meth:`apply` folds changes in.

    Not thread-safe by itself: the catalog holds its lock around every call.
    """

    def __init__(self) -> None:
        self.listings = Listings()
        self.entries: dict[str, FileEntry] = {}
        self.by_id: dict[str, FileEntry] = {}  # the published entry of each id
        self.warned = 0  # published articles the parser read with a warning
        # id -> the names of the files that give it, sorted. Tuples: nearly every id has one file, and
        # a tuple of one is 48 bytes where a list grown by insort is 88 (4 MB a worker at 100,000).
        self._claims: dict[str, tuple[str, ...]] = {}
        self._errors: dict[str, str] = {}  # file -> why it could not be read or parsed
        self._duplicated: set[str] = set()  # ids that more than one file gives

    def apply(self, fresh: list[FileEntry], gone: list[FileEntry]) -> set[str]:
        """Fold new or changed entries and removed ones in; the slugs of the listings touched."""
        if not self.entries and not gone and len(fresh) >= BULK_FROM and len({e.name for e in fresh}) == len(fresh):
            return self._load(fresh)
        bulk = len(fresh) + len(gone) >= BULK_FROM
        touched: set[str] = set()
        ids: set[str] = set()
        for entry in gone:
            ids.update(self._drop(entry.name))
        for entry in fresh:
            ids.update(self._drop(entry.name))
            entry = entry.interned(sys.intern)
            self.entries[entry.name] = entry
            if entry.error:
                self._errors[entry.name] = entry.error
            if entry.id and entry.publishable:
                self._claims[entry.id] = tuple(sorted((*self._claims.get(entry.id, ()), entry.name)))
                ids.add(entry.id)
        for article_id in ids:
            touched.update(self._elect(article_id, bulk))
            if len(self._claims.get(article_id, ())) > 1:
                self._duplicated.add(article_id)
            else:
                self._duplicated.discard(article_id)
        if bulk:
            self.listings.rebuild(touched, self.by_id.values())
        return touched

    def _load(self, fresh: list[FileEntry]) -> set[str]:
        """:meth:`apply` into an empty ledger (a worker's start): the same state, with nothing to drop
        and each id elected once (a warm start of 100k entries spent 3 s in the general path)."""
        claims: dict[str, list[str]] = {}
        for entry in fresh:
            entry = entry.interned(sys.intern)
            self.entries[entry.name] = entry
            if entry.error:
                self._errors[entry.name] = entry.error
            if entry.id and entry.publishable:
                claims.setdefault(entry.id, []).append(entry.name)
        for article_id, names in claims.items():
            if len(names) > 1:
                names.sort()
            self._claims[article_id] = tuple(names)
            winner = self.by_id[article_id] = self.entries[names[0]]
            self.warned += bool(winner.warnings)
            if len(names) > 1:
                self._duplicated.add(article_id)
        return self.listings.load(self.by_id.values())

    def _drop(self, name: str) -> tuple[str, ...]:
        old = self.entries.pop(name, None)
        self._errors.pop(name, None)
        if old is None or not old.id or not old.publishable:
            return ()
        claims = tuple(claim for claim in self._claims[old.id] if claim != name)
        if claims:
            self._claims[old.id] = claims
        else:
            del self._claims[old.id]
        return (old.id,)

    def _elect(self, article_id: str, bulk: bool) -> tuple[str, ...]:
        """Publish the first-named file of an id; the slugs that changed."""
        names = self._claims.get(article_id)
        winner = self.entries[names[0]] if names else None
        current = self.by_id.get(article_id)
        if current is winner:
            return ()
        touched: tuple[str, ...] = ()
        if current is not None:
            touched += self.listings.remove(current, sort=not bulk)
            del self.by_id[article_id]
            self.warned -= bool(current.warnings)
        if winner is not None:
            touched += self.listings.add(winner, sort=not bulk)
            self.by_id[article_id] = winner
            self.warned += bool(winner.warnings)
        return touched

    def is_published(self, entry: FileEntry) -> bool:
        return entry.publishable and self.by_id.get(entry.id or "") is entry

    def skipped(self, scan_skips: dict[str, str]) -> dict[str, str]:
        """Every file not published and why: refused by the scan, unreadable, or a duplicate id."""
        found = {**scan_skips, **self._errors}
        for article_id in self._duplicated:
            names = self._claims[article_id]
            for name in names[1:]:
                found[name] = f"duplicate id {article_id!r}: {names[0]} is published"
        return found
