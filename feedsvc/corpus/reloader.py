"""Keeps the corpus fresh in the background and tells listeners what changed.

The first load runs at once. Then the one process that holds the seat (see coordination) watches
the folder: file events name the changed files, which alone are read again; a full scan runs
every ``rescan_interval`` as a safety net, or every ``interval`` where the folder cannot be
watched. The other processes poll the shared index's generation (a microsecond pragma) five
times a second and fold in what the watcher wrote, then record how far they got (an ack), so
the watcher knows when every process serves a change. Each change, in each process, goes to
the listeners: dropping cached documents is the first, pinging WebSub hubs another.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from feedsvc.corpus.indexer import Changes, Indexer
from feedsvc.corpus.store import STORE_ERRORS
from feedsvc.corpus.watcher import Watcher

log = logging.getLogger(__name__)
Listener = Callable[[Changes], None]
FOLLOW_PAUSE = 0.2  # seconds between looks at the shared index, in the processes that follow it
_SEAT_PAUSE = 1.0  # seconds between tries for the seat, in the processes that follow


class Reloader:
    """Runs :meth:`Indexer.refresh` or :meth:`Indexer.sync` and hands each :class:`Changes` to listeners."""

    def __init__(self, indexer: Indexer, interval: float, listeners: tuple[Listener, ...] = (), *,
                 rescan_interval: float = 300.0, watch: bool = True):
        self.indexer = indexer
        self.interval = interval
        self.rescan_interval = rescan_interval
        self.watch = watch
        self.listeners: list[Listener] = list(listeners)
        self.scanning = False  # whether this process holds the seat
        self._search_behind = True  # a first load may have left search to catch up (see corpus.search)
        self._watcher: Watcher | None = None
        self._next_full = 0.0
        self._generation: int | None = None
        self._seat_tried = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one step each -------------------------------------------------------

    def load(self, names: set[str] | None = None) -> Changes:
        """One refresh now: a scan of the folder, or a look at the files named."""
        changes = self.indexer.refresh(names)
        self._search_behind = self._search_behind or changes.parsed > 0
        self._notify(changes)
        if changes.parsed or changes.removed:
            catalog = self.indexer.catalog
            log.info("corpus: %d parsed, %d removed, %d articles, %d skipped",
                     changes.parsed, changes.removed, len(catalog), len(catalog.skipped))
        return changes

    def sync(self) -> Changes:
        """Take in what the watching process wrote to the shared index."""
        changes = self.indexer.sync()
        self._notify(changes)
        if changes.seq:
            self.indexer.catalog.store.ack(os.getpid(), changes.seq)
        if changes.synced or changes.removed:
            log.info("corpus: %d changed, %d removed by the watching worker", changes.synced, changes.removed)
        return changes

    def catch_up_search(self) -> None:
        """Index for search all a first load left to it, a step at a time (see corpus.search)."""
        self.indexer.finish_search(self._stop.is_set)
        self._search_behind = False

    def _notify(self, changes: Changes) -> None:
        for listener in self.listeners:
            try:
                listener(changes)
            except Exception:  # one listener's failure must not stop the others or the reloader
                log.exception("a corpus listener failed")

    # -- the loop ------------------------------------------------------------

    def start(self) -> None:
        """Load in the background, then keep watching; the caller serves 503 until the catalog is ready."""
        self._thread = threading.Thread(target=self._run, name="feedsvc-reloader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching, wait for the thread, and give the seat to another process."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._thread is None or not self._thread.is_alive():
            self.indexer.coordinator.leave_seat()
            self.scanning = False

    def _scans(self) -> bool:
        catalog = self.indexer.catalog
        if not catalog.store.persistent or self.scanning:
            return True  # alone (nobody follows a private store), or the watcher already
        now = time.monotonic()
        if now - self._seat_tried < _SEAT_PAUSE:
            return False
        self._seat_tried = now
        if self.indexer.coordinator.has_seat():
            self.scanning = True
            self._next_full = 0.0  # the new watcher catches up with a full scan (and its listeners with it)
            return True
        return False

    def _run(self) -> None:
        catalog = self.indexer.catalog
        while not self._stop.is_set():
            try:
                if not catalog.ready.is_set():
                    changes = self.load()  # every process loads first (the writing lock makes them take turns)
                    if changes.seq:
                        catalog.store.ack(os.getpid(), changes.seq)
                    self._next_full = time.monotonic() + (self.interval or 5)
                elif self._scans():
                    self._scan_step()
                else:
                    self._follow_step()
            except Exception:  # a refresh must never kill the thread that keeps feeds fresh
                log.exception("corpus refresh failed; retrying in %.1fs", self.interval or 5)
                self._stop.wait(self.interval or 5)
            if not catalog.store.persistent and self.scanning:
                # This process fell back to memory: nobody can follow it through the index any
                # more, so another takes over the watching (and this one scans alone).
                self.indexer.coordinator.leave_seat()
                self.scanning = False
            if not self.interval and catalog.ready.is_set():
                self.catch_up_search()  # the feeds are served meanwhile
                return  # scanning is off: the first load was all

    def _scan_step(self) -> None:
        if self.interval and self.watch and self._watcher is None:
            watcher = Watcher(self.indexer.catalog.source.location)
            self._watcher = watcher if watcher.start() else None
            self.watch = self._watcher is not None
            if self._watcher is not None:
                self._next_full = 0.0  # a file written before the watch began has no event: scan once now
        elif self._watcher is not None and not self._watcher.still_the_folder():
            # A deploy replaced the folder (mv new export): the watch still follows the old one and
            # hears nothing of the new. One stat a second notices it; the scan below moves the watch.
            self._next_full = 0.0
        now = time.monotonic()
        if now >= self._next_full:
            self.load()
            if self._watcher is not None and not self._watcher.still_the_folder():
                log.warning("the corpus folder was replaced: watching the new one")
                self._watcher.stop()
                self._watcher = None
                self.watch = True
            self._next_full = time.monotonic() + (self.rescan_interval if self._watcher else self.interval)
            return
        behind = self._search_behind  # then only a glance at the events between catch-up steps
        if self._watcher is None:
            self._stop.wait(0.0 if behind else self._next_full - now)
        elif self._watcher.wait(0.01 if behind else min(self._next_full - now, 1.0)):
            names = self._watcher.take()
            if names:
                self.load(names)
        if behind:
            self._search_behind = not self.indexer.catch_up_search()

    def _follow_step(self) -> None:
        catalog = self.indexer.catalog
        store = catalog.store
        # A deleted or replaced index file never moves this connection's generation: a stat says so.
        try:
            generation = store.generation() if store.is_current() else None
        except STORE_ERRORS as exc:  # overwritten with junk: the sync below mends it
            catalog.store_error, generation = exc, None
        if generation is None or generation != self._generation:
            self._generation = generation
            self.sync()  # reopens a replaced index (Indexer.sync falls back to a refresh)
        self._stop.wait(FOLLOW_PAUSE)
