"""Keeps the corpus fresh in the background and tells listeners what changed.

The first load runs at once; then the process that holds the seat (see coordination) scans the
folder every interval, and the others fold in what it wrote to the shared index.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from feedsvc.corpus.indexer import Changes, Indexer

log = logging.getLogger(__name__)
Listener = Callable[[Changes], None]
_SYNC_PAUSE = 1.0  # seconds between looks at the change log, in the workers that do not scan


class Reloader:
    """Runs :meth:`Indexer.refresh` or :meth:`Indexer.sync` and hands each :class:`Changes` to listeners."""

    def __init__(self, indexer: Indexer, interval: float, listeners: tuple[Listener, ...] = ()):
        self.indexer = indexer
        self.interval = interval
        self.listeners: list[Listener] = list(listeners)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> Changes:
        """One refresh now (a scan of the folder)."""
        changes = self.indexer.refresh()
        self._notify(changes)
        if changes.parsed or changes.removed:
            catalog = self.indexer.catalog
            log.info("corpus: %d parsed, %d removed, %d articles, %d skipped",
                     changes.parsed, changes.removed, len(catalog), len(catalog.skipped))
        return changes

    def sync(self) -> Changes:
        """Take in what the scanning process wrote to the shared index."""
        changes = self.indexer.sync()
        self._notify(changes)
        if changes.synced or changes.removed:
            log.info("corpus: %d changed, %d removed by the scanning worker", changes.synced, changes.removed)
        return changes

    def _notify(self, changes: Changes) -> None:
        for listener in self.listeners:
            listener(changes)

    def start(self) -> None:
        """Load in the background, then keep scanning; the caller serves 503 until the catalog is ready."""
        self._thread = threading.Thread(target=self._run, name="feedsvc-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _scans(self) -> bool:
        catalog = self.indexer.catalog
        return not catalog.ready.is_set() or not catalog.store.persistent or self.indexer.coordinator.has_seat()

    def _run(self) -> None:
        catalog = self.indexer.catalog
        while not self._stop.is_set():
            scanning = self._scans()
            try:
                self.load() if scanning else self.sync()
            except Exception:  # a scan must never kill the thread that keeps feeds fresh
                log.exception("corpus refresh failed; retrying in %.1fs", self.interval or 5)
            if not catalog.store.persistent:
                # This process fell back to memory: nobody can follow it through the index
                # any more, so another takes over the scanning (and this one scans alone).
                self.indexer.coordinator.leave_seat()
            if not self.interval and catalog.ready.is_set():
                return
            # Reading the change log is one query: do it often, so a change shows in
            # every worker soon after the scanning one has seen it.
            self._stop.wait((self.interval or 5) if scanning else min(self.interval, _SYNC_PAUSE))
