"""A folder of exported files -> indexed articles: by id, by category, newest first."""

from __future__ import annotations

import json
import logging
import sys
import threading
from bisect import bisect_left, insort
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from feedsvc import files
from feedsvc.articles import Article
from feedsvc.articles.categories import Vocabulary
from feedsvc.store import STORE_ERRORS, MemoryStore, Row, SqliteStore, open_store

log = logging.getLogger(__name__)

ALL = ""  # the key of the whole-site listing
_PARALLEL_FROM = 2000  # files to parse before a process pool pays for itself
_BATCH = 250  # files per pool job and per index transaction: the index is written while parsing goes on
_SCAN_SKIPS = "scan-skips"  # the note that carries what the scan skipped to the other workers
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


@dataclass
class Changes:
    """What one refresh did: the listings it touched and the files it skipped."""

    parsed: int = 0
    removed: int = 0
    touched: set[str] = field(default_factory=set)
    synced: int = 0  # rows taken from the shared index, written there by another process


def sort_key(row: Row) -> tuple:
    """Newest first; undated last; the id breaks ties so the order never wobbles."""
    if row.timestamp is None:
        return (1, 0.0, row.id)
    return (0, -row.timestamp, row.id)


def _shared(row: Row) -> Row:
    """The row with its category strings interned: every row kept in memory passes here."""
    # 100,000 rows name ten categories: one string each, not one per row.
    if row.category is None or (sys.intern(row.category) is row.category
                                and sys.intern(row.category_slug) is row.category_slug):
        return row
    return replace(row, category=sys.intern(row.category), category_slug=sys.intern(row.category_slug))


class Repository:
    """The corpus as indexed articles; :meth:`refresh` folds in what changed on disk."""

    def __init__(
        self,
        corpus_dir: str | Path,
        store: MemoryStore | SqliteStore | None = None,
        *,
        vocabulary: Vocabulary | None = None,
        max_file_bytes: int = 2 * 1024 * 1024,
        workers: int | None = None,
    ):
        self.corpus_dir = str(corpus_dir)
        self.store = store if store is not None else MemoryStore()
        self.vocabulary = vocabulary or Vocabulary()
        self.max_file_bytes = max_file_bytes
        self.workers = workers if workers is not None else files.default_workers()
        self._lock = threading.RLock()
        self._refreshing = threading.Lock()
        self._loaded = False
        self._seq = 0  # the shared index's change log, read up to here
        self._lister: ProcessPoolExecutor | None = None
        self._reparse_all = False  # set when the store was replaced: every file goes into the new one
        self._store_error: Exception | None = None  # a failure seen while reading, for refresh() to mend
        self._rows: dict[str, Row] = {}
        self._by_id: dict[str, Row] = {}
        self._lists: dict[str, list[tuple]] = {ALL: []}
        self._names: dict[str, str] = {}
        self._versions: dict[str, tuple[int, int]] = {ALL: (0, 0)}
        self.skipped: dict[str, str] = {}
        self.ready = False

    # -- reading -------------------------------------------------------------

    def version(self, slug: str = ALL) -> str:
        """A digest of the listing's content: equal in every process for the same files."""
        xor, count = self._versions.get(slug, (0, 0))
        return f"{xor:016x}.{count}"

    def categories(self) -> list[tuple[str, str, int]]:
        """(slug, name, article count) of every category, by name."""
        with self._lock:
            found = [(slug, self._names[slug], len(self._lists[slug])) for slug in self._lists if slug != ALL]
        return sorted(found, key=lambda item: (item[1].casefold(), item[0]))

    def category_name(self, slug: str) -> str:
        """The display name of a category slug, or :class:`UnknownCategory`."""
        try:
            return self._names[slug]
        except KeyError:
            raise UnknownCategory(slug) from None

    def count(self, slug: str = ALL) -> int:
        return len(self._lists.get(slug, ()))

    def page(self, slug: str, limit: int, page: int = 1) -> tuple[list[Article], int]:
        """Articles on one page of a listing, newest first, and the listing's size."""
        with self._lock:
            if slug not in self._lists:
                raise UnknownCategory(slug)
            listing = self._lists[slug]
            start = (page - 1) * limit
            names = [self._by_id[key[2]].name for key in listing[start : start + limit]]
            total = len(listing)
        found = self._articles(names)
        return [found[n] for n in names if n in found], total

    def newest(self, slug: str = ALL):
        """The newest dated article's date in a listing (for Last-Modified), or None."""
        with self._lock:
            listing = self._lists.get(slug) or []
            for key in listing[:1]:
                if key[0] == 0:
                    return -key[1]
        return None

    def get(self, article_id: str) -> Article:
        """One article by id, or :class:`UnknownArticle`."""
        row = self._by_id.get(article_id)
        if row is None:
            raise UnknownArticle(article_id)
        found = self._articles([row.name])
        if row.name not in found:
            raise UnknownArticle(article_id)
        return found[row.name]

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

    def _articles(self, names: list[str]) -> dict[str, Article]:
        """Stored articles by file name; files the store cannot give are read from the folder."""
        try:
            found = self.store.articles(names)
        except STORE_ERRORS as exc:
            # A deleted, overwritten or full index must not fail a request: the files
            # are the truth. The next refresh replaces the store.
            self._store_error = exc
            found = {}
        missing = [name for name in names if name not in found]
        for name in missing:
            _, article = files.read_one(self.corpus_dir, name, self.max_file_bytes, self.vocabulary)
            if article is not None:
                found[name] = article
        return found

    def __len__(self) -> int:
        return len(self._by_id)

    # -- loading -------------------------------------------------------------

    def refresh(self) -> Changes:
        """Scan the folder; parse new and changed files, forget removed ones.

        A store that fails (deleted, overwritten, disk full) is reopened, and if it fails
        again it is replaced by memory; either way every file is parsed into the new one.
        """
        with self._refreshing:
            for attempt in range(3):
                try:
                    if self._store_error is not None or not self._store_is_current():
                        self._replace_store(in_memory=attempt > 0)
                    return self._refresh_once()
                except STORE_ERRORS as exc:
                    self._store_error = exc
            raise self._store_error

    def _store_is_current(self) -> bool:
        return not isinstance(self.store, SqliteStore) or self.store.is_current()

    def _replace_store(self, *, in_memory: bool) -> None:
        path = getattr(self.store, "path", None)
        reason = self._store_error or "the file was deleted or replaced"
        if in_memory or path is None:
            log.warning("parse index %s failed again (%s): working in memory", path, reason)
            self.store = MemoryStore()
        else:
            log.warning("parse index %s failed (%s): reopening it", path, reason)
            self.store = open_store(path)  # rebuilt if corrupt; memory if it cannot be written
        self._store_error = None
        self._reparse_all = True
        self._seq = 0

    def _refresh_once(self) -> Changes:
        if not self._loaded:
            # Read the index here, not in __init__: a worker that waited for another
            # to build it (see reloader) then finds every row and reparses nothing.
            self._apply(self.store.rows(), [])
            self._loaded = True
        changes = self._refresh()
        self._reparse_all = False
        if self.store.persistent:
            # Callers serialise refreshes across processes (reloader's lock), so every
            # change logged up to now is in memory already.
            self._seq = self.store.last_change()
        return changes

    def sync(self) -> Changes:
        """Fold in what another process wrote to the shared index, without scanning the folder."""
        if not self.store.persistent or not self._loaded or self._store_error or not self._store_is_current():
            return self.refresh()
        try:
            return self._sync_once()
        except STORE_ERRORS as exc:
            self._store_error = exc
            return self.refresh()

    def _sync_once(self) -> Changes:
        with self._refreshing:
            seq, found = self.store.changed_since(self._seq)
            if seq == self._seq:
                return Changes()
            if found is None:  # the log was trimmed past us: compare every row
                rows = {row.name: row for row in self.store.rows()}
                found = {name: rows.get(name) for name in rows.keys() | self._rows.keys()}
            fresh = [row for name, row in found.items() if row is not None and row != self._rows.get(name)]
            gone = [self._rows[name] for name, row in found.items() if row is None and name in self._rows]
            with self._lock:
                changes = Changes(removed=len(gone), synced=len(fresh), touched=self._apply(fresh, gone))
                self._collect_skipped(self._stored_scan_skips())
            self._seq = seq
        return changes

    def _stored_scan_skips(self) -> dict[str, str]:
        raw = self.store.note(_SCAN_SKIPS)
        return json.loads(raw) if raw else {}

    def _collect_skipped(self, scan_skips: dict[str, str]) -> None:
        self.skipped = dict(scan_skips)
        self.skipped.update({r.name: r.error for r in self._rows.values() if r.error})

    def _refresh(self) -> Changes:
        seen, skipped = self._scan()
        gone = [self._rows[name] for name in self._rows.keys() - seen.keys()]
        # In name order: the index's b-trees then grow at one end (100k files: 4 s of
        # inserts instead of 12 s in the folder's hash order).
        todo = sorted(name for name, stale in seen.items() if stale)
        if gone:
            self.store.delete(gone)
        gone_names = {row.name for row in gone}
        claimed: dict[str, str | None] = {}
        fresh: list[Row] = []
        for batch in self._parse(todo):
            checked = [self._claim(row, record, claimed, gone_names) for row, record in batch]
            self.store.put(checked)  # batch by batch, while the pool parses the next ones
            fresh += [row for row, _ in checked]
        changes = Changes(parsed=len(todo), removed=len(gone))
        if self.store.persistent:
            self.store.set_note(_SCAN_SKIPS, json.dumps(skipped, sort_keys=True))  # for the workers that sync
        with self._lock:
            changes.touched = self._apply(fresh, gone)
            self._collect_skipped(skipped)
            self.ready = True
        todo_names = set(todo)
        for name, reason in sorted(self.skipped.items()):
            if name in todo_names or name in skipped:
                log.warning("skipped %s: %s", name, reason)
        return changes

    def _owner(self, article_id: str, claimed: dict, gone_names: set) -> str | None:
        if article_id in claimed:
            return claimed[article_id]
        row = self._by_id.get(article_id)
        return row.name if row is not None and row.name not in gone_names else None

    def _claim(self, row: Row, record: str | None, claimed: dict, gone_names: set) -> tuple[Row, str | None]:
        """The row as parsed, or an error row when another file already has its id."""
        old = self._rows.get(row.name)
        if old is not None and old.id and self._owner(old.id, claimed, gone_names) == row.name:
            claimed[old.id] = None  # the file's old id is free again
        if row.id:
            owner = self._owner(row.id, claimed, gone_names)
            if owner is not None and owner != row.name:
                return Row(row.name, row.size, row.stamp, row.fingerprint, error=f"duplicate id {row.id!r}"), None
            claimed[row.id] = row.name
        return row, record

    def _apply(self, fresh: list[Row], gone: list[Row]) -> set[str]:
        """Fold rows into the in-memory listings; the slugs touched."""
        bulk = len(fresh) + len(gone) >= _BULK_FROM
        touched: set[str] = set()
        with self._lock:
            for row in gone:
                touched |= self._remove(row, bulk)
            for row in fresh:
                old = self._rows.get(row.name)
                if old is not None:
                    touched |= self._remove(old, bulk)
                touched |= self._add(_shared(row), bulk)
            if bulk:
                self._rebuild(touched)
        return touched

    def _scan(self) -> tuple[dict[str, bool], dict[str, str]]:
        """({file present: new or changed since its row?}, {file skipped: why})."""
        rows = self._rows  # only refresh() changes it, and refreshes take turns
        try:
            if len(rows) >= _PARALLEL_FROM and self.workers > 1:
                # A stat per file is most of a scan (0.65 s of CPU for 100k files here):
                # a helper process pays it, so this worker's GIL stays with its requests.
                if self._lister is None:
                    self._lister = ProcessPoolExecutor(1)
                names, sizes, stamps, skipped = self._lister.submit(files.list_folder, self.corpus_dir).result()
            else:
                names, sizes, stamps, skipped = files.list_folder(self.corpus_dir)
        except OSError as exc:
            log.error("cannot list the corpus folder %s: %s", self.corpus_dir, exc)
            return dict.fromkeys(rows, False), {}
        seen: dict[str, bool] = {}
        for name, size, stamp in zip(names, sizes, stamps):
            row = rows.get(name)
            seen[name] = self._reparse_all or row is None or row.size != size or row.stamp != stamp
        return seen, skipped

    def _parse(self, names: list[str]) -> Iterator[list[tuple[Row, str | None]]]:
        """Batches of (row, encoded article), in the order of ``names``."""
        args = (self.corpus_dir, self.max_file_bytes, self.vocabulary.names)
        jobs = [(args[0], names[i : i + _BATCH], args[1], args[2]) for i in range(0, len(names), _BATCH)]
        if len(names) < _PARALLEL_FROM or self.workers < 2:
            for job in jobs:
                yield [files.read_encoded(job[0], name, job[2], self.vocabulary) for name in job[1]]
            return
        with ProcessPoolExecutor(self.workers) as pool:
            yield from pool.map(files.read_many, jobs)

    def _add(self, row: Row, bulk: bool = False) -> set[str]:
        self._rows[row.name] = row
        if row.error or not row.id:
            return set()
        self._by_id[row.id] = row
        key = sort_key(row)  # one tuple, shared by both listings
        slugs = {ALL, row.category_slug} if row.category_slug else {ALL}
        for slug in slugs:
            if slug not in self._lists:
                self._lists[slug] = []
                self._names[slug] = row.category or slug
            if not bulk:
                insort(self._lists[slug], key)
            xor, count = self._versions.get(slug, (0, 0))
            self._versions[slug] = (xor ^ row.fingerprint, count + 1)
        return slugs

    def _remove(self, row: Row, bulk: bool = False) -> set[str]:
        self._rows.pop(row.name, None)
        if row.error or not row.id or self._by_id.get(row.id) is not row:
            return set()
        del self._by_id[row.id]
        slugs = {ALL, row.category_slug} if row.category_slug else {ALL}
        for slug in slugs:
            xor, count = self._versions[slug]
            self._versions[slug] = (xor ^ row.fingerprint, count - 1)
            if bulk:
                continue  # _rebuild redoes the listing
            listing = self._lists[slug]
            del listing[bisect_left(listing, sort_key(row))]
            if not listing and slug != ALL:
                del self._lists[slug], self._names[slug], self._versions[slug]
        return slugs

    def _rebuild(self, slugs: set[str]) -> None:
        # Many changes at once (a first load): one sort per listing, not an insort per row.
        keys: dict[str, list[tuple]] = {slug: [] for slug in slugs}
        everything = keys.get(ALL)
        for row in self._by_id.values():
            key = sort_key(row)
            if everything is not None:
                everything.append(key)
            if row.category_slug in keys:
                keys[row.category_slug].append(key)
        for slug, listing in keys.items():
            listing.sort()
            if listing or slug == ALL:
                self._lists[slug] = listing
            else:
                self._lists.pop(slug, None)
                self._names.pop(slug, None)
                self._versions.pop(slug, None)
