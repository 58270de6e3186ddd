"""Keeps a catalog and its store in step with the source: scan, parse what changed, write, fold in.

The indexer is the one writer of its process's catalog: :meth:`Indexer.refresh` scans the source
(or looks at the files events named) and writes the shared index; :meth:`Indexer.sync` folds in what
another process wrote there. Time (clocks, first-seen dates) is timekeeping.py's.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.coordination import Coordinator
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.scanning import Scanner, stale
from feedsvc.corpus.sqlite_store import open_store
from feedsvc.corpus.store import STORE_ERRORS, MemoryStore, Store
from feedsvc.corpus.timekeeping import RENDERER, move_clocks, stamp

__all__ = ["RENDERER", "Changes", "Indexer"]  # RENDERER: the publisher reads its clock

log = logging.getLogger(__name__)

FILLING_FROM = 1000  # new files into an empty store: a first load, made durable once at its end
SEARCH_STEP = 2000  # articles a catch-up step takes into search (about 0.3 s), under the writing lock
_SCAN_NOTE = "scan"  # the note that carries what the scan skipped, and any problem, to the other workers


@dataclass
class Changes:
    """What one refresh or sync did: the listings it touched."""

    parsed: int = 0
    removed: int = 0
    touched: set[str] = field(default_factory=set)
    synced: int = 0  # entries taken from the shared index, written there by another process
    seq: int = 0  # the shared index's change log, read or written up to here (0: no shared index)
    source_wide: bool = False  # a scan of the whole source, not of the files events named
    newest_mtime: float | None = None  # the latest modification time of the files it took in


class Indexer:
    """The one writer of a catalog: :meth:`refresh` scans the source, :meth:`sync` follows the shared index.

    One class at about 160 lines: both share the writer's state (whether the index was read, the
    change-log cursor, a store that failed and was replaced), which must move together.
    """

    def __init__(self, catalog: Catalog, coordinator: Coordinator | None = None, *, workers: int | None = None,
                 clock: Callable[[], float] = time.time, renderer: str = ""):
        self.catalog = catalog
        self.coordinator = coordinator or Coordinator(None)
        self.scanner = Scanner(catalog.source, workers)
        self.clock = clock
        self.renderer = renderer  # a digest of the code and settings that make the documents
        self._loaded = False
        self._seq = 0  # the shared index's change log, read up to here
        self._reparse_all = False  # the store was replaced: every file goes into the new one
        self._reported: dict[str, str] = {}  # skipped files already in the log, with their reason

    # -- scanning ------------------------------------------------------------

    def refresh(self, names: set[str] | None = None) -> Changes:
        """Scan the source (or look at just these names, which file events gave); parse new and
        changed files, forget removed ones.

        A store that fails (deleted, overwritten, disk full) is reopened, and if it fails
        again it is replaced by memory; either way every file is parsed into the new one.
        """
        with self.coordinator.writing():
            for attempt in range(3):
                try:
                    if self.catalog.store_error is not None or not self.catalog.store.is_current():
                        self._replace_store(in_memory=attempt > 0)
                    return self._refresh_once(names)
                except STORE_ERRORS as exc:
                    self.catalog.store_error = exc
            raise self.catalog.store_error  # type: ignore[misc]

    def _replace_store(self, *, in_memory: bool) -> None:
        catalog = self.catalog
        path = catalog.store.path
        reason = catalog.store_error or "the file was deleted or replaced"
        if in_memory or path is None:
            log.warning("parse index %s failed again (%s): working in memory", path, reason)
            new: Store = MemoryStore()
        else:
            log.warning("parse index %s failed (%s): reopening it", path, reason)
            new = open_store(path, self.coordinator)  # rebuilt if corrupt; memory if it cannot be written
        # What the index knew of time goes with the entries: the new store starts from memory's.
        new.set_clocks(catalog.clocks)
        catalog.store = new
        catalog.store_error = None
        self._reparse_all = True
        self._seq = 0

    def _refresh_once(self, names: set[str] | None) -> Changes:
        catalog, store = self.catalog, self.catalog.store
        if not self._loaded:
            # Read the index here, not at start: a worker that waited for another to
            # build it (the writing lock) then finds every entry and reparses nothing.
            rows = store.rows()
            self.scanner.scan_ahead(len(rows))  # a first look covers the whole folder
            catalog.apply(rows, [])
            catalog.set_clocks(store.clocks())
            self._loaded = True
            names = None
        scope = None if self._reparse_all else names
        changes = self._scan_and_parse(scope)
        changes.source_wide = scope is None
        self._reparse_all = False
        if store.persistent:
            # Refreshes hold the writing lock, so every change logged up to now is in memory.
            self._seq = changes.seq = store.last_change()
        return changes

    def _scan_and_parse(self, names: set[str] | None) -> Changes:
        catalog, store = self.catalog, self.catalog.store
        known = catalog.entries()
        seen, scan_skips = self._scan(known) if names is None else self._look(known, names)
        gone = [known[name] for name in (known.keys() if names is None else names & known.keys()) - seen.keys()]
        # In name order: the index's b-trees then grow at one end (100k files: 4 s of
        # inserts instead of 12 s in the folder's hash order).
        todo = sorted(name for name, stale in seen.items() if stale)
        if gone:
            store.delete(gone)
        fresh: list[FileEntry] = []
        with store.filling() if not known and len(todo) >= FILLING_FROM else nullcontext():
            for batch in self.scanner.parse(todo):
                ids = [item.entry.id for item in batch if item.entry.id]
                stamped, new_ids = stamp(batch, known, store.seen(ids) if ids else {}, self.clock())
                store.put(stamped, new_ids)  # batch by batch, while the helpers parse the next ones
                fresh += [item.entry for item in stamped]
        if store.persistent:  # for the workers that sync (a note that did not change is not written)
            store.set_note(_SCAN_NOTE, json.dumps({"skips": scan_skips, "problem": catalog.problem}, sort_keys=True))
        catalog.set_scan_skips(scan_skips)
        touched = catalog.apply(fresh, gone)
        store.set_clocks(move_clocks(catalog, touched, self.renderer, self.clock()))
        catalog.ready.set()
        self._report_skipped()
        return Changes(parsed=len(todo), removed=len(gone), touched=touched,
                       newest_mtime=max((e.mtime for e in fresh), default=None))

    def _report_skipped(self) -> None:
        """Log each skipped file once, and again only when its reason changes."""
        skipped = self.catalog.skipped
        for name in sorted(skipped.keys() - self._reported.keys() | {
                n for n in skipped.keys() & self._reported.keys() if skipped[n] != self._reported[n]}):
            log.warning("skipped %r: %s", name, skipped[name])  # %r: a name cannot forge a log line
        self._reported = dict(skipped)

    def _scan(self, known: dict[str, FileEntry]) -> tuple[dict[str, bool], dict[str, str]]:
        """({file present: new or changed since its entry?}, {file skipped: why})."""
        catalog = self.catalog
        try:
            listing = self.scanner.scan(known)
        except OSError as exc:
            problem = f"cannot read the corpus folder {catalog.source.location}: {exc.strerror or exc}"
            if problem != catalog.problem:
                log.error("%s; serving what was read before", problem)
            catalog.problem = problem
            return dict.fromkeys(known, False), catalog.scan_skips
        if catalog.problem:
            log.info("the corpus folder %s can be read again", catalog.source.location)
            catalog.problem = None
        return stale(listing, known, self._reparse_all), listing.skipped

    def _look(self, known: dict[str, FileEntry], names: set[str]) -> tuple[dict[str, bool], dict[str, str]]:
        """:meth:`_scan` for these names only; the other files keep what the last scan said."""
        try:
            listing = self.scanner.look(names)
        except OSError as exc:
            log.error("cannot look at %d files in %s: %s", len(names), self.catalog.source.location, exc)
            return {name: False for name in names if name in known}, self.catalog.scan_skips
        skips = {name: why for name, why in self.catalog.scan_skips.items() if name not in names}
        return stale(listing, known), {**skips, **listing.skipped}

    def catch_up_search(self) -> bool:
        """One step of indexing for search what a first load left to it; True when nothing is left.

        Each step holds the writing lock alone, so file changes and the other workers' first
        loads go between steps, not after the whole catch-up.
        """
        store = self.catalog.store
        try:
            if not store.search_behind():
                return True
            with self.coordinator.writing():
                return store.catch_up_search(SEARCH_STEP)
        except STORE_ERRORS as exc:  # the next refresh mends or replaces the store, and refills it
            self.catalog.store_error = exc
            return True

    def finish_search(self, stop: Callable[[], bool] = lambda: False) -> None:
        """:meth:`catch_up_search` until nothing is left (or ``stop`` says so)."""
        while not stop() and not self.catch_up_search():
            pass

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
        note = json.loads(store.note(_SCAN_NOTE) or "{}")
        catalog.problem = note.get("problem")
        catalog.set_scan_skips(note.get("skips", {}))
        changes = Changes(removed=len(gone), synced=len(fresh), touched=catalog.apply(fresh, gone),
                          newest_mtime=max((e.mtime for e in fresh), default=None))
        catalog.set_clocks(store.clocks())  # after the entries: a clock never runs ahead of its bytes
        self._seq = changes.seq = seq
        return changes
