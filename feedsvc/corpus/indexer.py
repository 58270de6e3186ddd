"""Keeps a catalog and its store in step with the source: scan, parse what changed, write, fold in."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.coordination import Coordinator
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.helpers import Helper, default_workers, map_in_helpers
from feedsvc.corpus.source import Encoded
from feedsvc.corpus.sqlite_store import open_store
from feedsvc.corpus.store import STORE_ERRORS, MemoryStore

log = logging.getLogger(__name__)

PARALLEL_FROM = 2000  # files to parse before helper processes pay for themselves
BATCH = 250  # files per helper job and per index transaction: the index is written while parsing goes on
_SCAN_SKIPS = "scan-skips"  # the note that carries what the scan skipped to the other workers


@dataclass
class Changes:
    """What one refresh or sync did: the listings it touched."""

    parsed: int = 0
    removed: int = 0
    touched: set[str] = field(default_factory=set)
    synced: int = 0  # entries taken from the shared index, written there by another process


class Indexer:
    """The one writer of a catalog: :meth:`refresh` scans the source, :meth:`sync` follows the shared index."""

    def __init__(self, catalog: Catalog, coordinator: Coordinator | None = None, *, workers: int | None = None):
        self.catalog = catalog
        self.coordinator = coordinator or Coordinator(None)
        self.workers = workers if workers is not None else default_workers()
        self._lister = Helper()
        self._loaded = False
        self._seq = 0  # the shared index's change log, read up to here
        self._reparse_all = False  # the store was replaced: every file goes into the new one

    # -- scanning ------------------------------------------------------------

    def refresh(self) -> Changes:
        """Scan the source; parse new and changed files, forget removed ones.

        A store that fails (deleted, overwritten, disk full) is reopened, and if it fails
        again it is replaced by memory; either way every file is parsed into the new one.
        """
        with self.coordinator.writing():
            for attempt in range(3):
                try:
                    if self.catalog.store_error is not None or not self.catalog.store.is_current():
                        self._replace_store(in_memory=attempt > 0)
                    return self._refresh_once()
                except STORE_ERRORS as exc:
                    self.catalog.store_error = exc
            raise self.catalog.store_error  # type: ignore[misc]

    def _replace_store(self, *, in_memory: bool) -> None:
        catalog = self.catalog
        path = catalog.store.path
        reason = catalog.store_error or "the file was deleted or replaced"
        if in_memory or path is None:
            log.warning("parse index %s failed again (%s): working in memory", path, reason)
            catalog.store = MemoryStore()
        else:
            log.warning("parse index %s failed (%s): reopening it", path, reason)
            catalog.store = open_store(path, self.coordinator)  # rebuilt if corrupt; memory if it cannot be written
        catalog.store_error = None
        self._reparse_all = True
        self._seq = 0

    def _refresh_once(self) -> Changes:
        catalog, store = self.catalog, self.catalog.store
        if not self._loaded:
            # Read the index here, not at start: a worker that waited for another to
            # build it (the writing lock) then finds every entry and reparses nothing.
            catalog.apply(store.rows(), [])
            self._loaded = True
        changes = self._scan_and_parse()
        self._reparse_all = False
        if store.persistent:
            # Refreshes hold the writing lock, so every change logged up to now is in memory.
            self._seq = store.last_change()
        return changes

    def _scan_and_parse(self) -> Changes:
        catalog, store = self.catalog, self.catalog.store
        known = catalog.entries()
        seen, scan_skips = self._scan(known)
        gone = [known[name] for name in known.keys() - seen.keys()]
        # In name order: the index's b-trees then grow at one end (100k files: 4 s of
        # inserts instead of 12 s in the folder's hash order).
        todo = sorted(name for name, stale in seen.items() if stale)
        if gone:
            store.delete(gone)
        claims = _Claims(catalog, {entry.name for entry in gone})
        fresh: list[FileEntry] = []
        for batch in self._parse(todo):
            checked = [claims.check(entry, record) for entry, record in batch]
            store.put(checked)  # batch by batch, while the helpers parse the next ones
            fresh += [entry for entry, _ in checked]
        if store.persistent:
            store.set_note(_SCAN_SKIPS, json.dumps(scan_skips, sort_keys=True))  # for the workers that sync
        changes = Changes(parsed=len(todo), removed=len(gone), touched=catalog.apply(fresh, gone))
        self._collect_skipped(scan_skips)
        catalog.ready.set()
        todo_names = set(todo)
        for name, reason in sorted(catalog.skipped.items()):
            if name in todo_names or name in scan_skips:
                log.warning("skipped %s: %s", name, reason)
        return changes

    def _scan(self, known: dict[str, FileEntry]) -> tuple[dict[str, bool], dict[str, str]]:
        """({file present: new or changed since its entry?}, {file skipped: why})."""
        source = self.catalog.source
        try:
            if len(known) >= PARALLEL_FROM and self.workers > 1:
                # A stat per file is most of a scan (0.65 s of CPU for 100k files here):
                # a helper process pays it, so this worker's GIL stays with its requests.
                listing = self._lister.run(source.listing)
            else:
                listing = source.listing()
        except OSError as exc:
            log.error("cannot list the corpus folder %s: %s", source.location, exc)
            return dict.fromkeys(known, False), {}
        seen: dict[str, bool] = {}
        for name, size, stamp in zip(listing.names, listing.sizes, listing.stamps):
            entry = known.get(name)
            seen[name] = self._reparse_all or entry is None or entry.size != size or entry.file_stamp != stamp
        return seen, listing.skipped

    def _parse(self, names: list[str]) -> Iterator[list[Encoded]]:
        """Batches of (entry, encoded article), in the order of ``names``."""
        reader = self.catalog.source.batch_reader()
        jobs = [names[i : i + BATCH] for i in range(0, len(names), BATCH)]
        if len(names) < PARALLEL_FROM or self.workers < 2:
            yield from map(reader, jobs)
            return
        yield from map_in_helpers(reader, jobs, self.workers)

    def _collect_skipped(self, scan_skips: dict[str, str]) -> None:
        skipped = dict(scan_skips)
        skipped.update({e.name: e.error for e in self.catalog.entries().values() if e.error})
        self.catalog.skipped = skipped

    # -- following -----------------------------------------------------------

    def sync(self) -> Changes:
        """Fold in what another process wrote to the shared index, without scanning the source."""
        store = self.catalog.store
        if not store.persistent or not self._loaded or self.catalog.store_error or not store.is_current():
            return self.refresh()
        try:
            with self.coordinator.reading_changes():
                return self._sync_once()
        except STORE_ERRORS as exc:
            self.catalog.store_error = exc
            return self.refresh()

    def _sync_once(self) -> Changes:
        catalog, store = self.catalog, self.catalog.store
        seq, found = store.changed_since(self._seq)
        if seq == self._seq:
            return Changes()
        known = catalog.entries()
        if found is None:  # the log was trimmed past us: compare every entry
            stored = {entry.name: entry for entry in store.rows()}
            found = {name: stored.get(name) for name in stored.keys() | known.keys()}
        fresh = [e for name, e in found.items() if e is not None and e != known.get(name)]
        gone = [known[name] for name, e in found.items() if e is None and name in known]
        changes = Changes(removed=len(gone), synced=len(fresh), touched=catalog.apply(fresh, gone))
        raw = store.note(_SCAN_SKIPS)
        self._collect_skipped(json.loads(raw) if raw else {})
        self._seq = seq
        return changes


class _Claims:
    """Which file holds each id during one refresh: the first keeps it, a second is reported."""

    def __init__(self, catalog: Catalog, gone: set[str]):
        self.catalog = catalog
        self.gone = gone
        self.claimed: dict[str, str | None] = {}

    def _owner(self, article_id: str) -> str | None:
        if article_id in self.claimed:
            return self.claimed[article_id]
        owner = self.catalog.owner(article_id)
        return owner if owner not in self.gone else None

    def check(self, entry: FileEntry, record: str | None) -> Encoded:
        """The entry as parsed, or an error entry when another file already has its id."""
        old = self.catalog.entry(entry.name)
        if old is not None and old.id and self._owner(old.id) == entry.name:
            self.claimed[old.id] = None  # the file's old id is free again
        if entry.id:
            owner = self._owner(entry.id)
            if owner is not None and owner != entry.name:
                return entry.skipped(f"duplicate id {entry.id!r}"), None
            self.claimed[entry.id] = entry.name
        return entry, record
