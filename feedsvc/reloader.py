"""Keep a repository in step with its folder: one load at start, then a scan every interval.

With several workers on one index, only one of them scans (whoever holds the scan lock); the
others read the index's change log, which costs one query instead of a stat per file.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path

from feedsvc.cache import DocumentCache
from feedsvc.repository import Repository
from feedsvc.store import file_lock

log = logging.getLogger(__name__)
_SYNC_PAUSE = 1.0  # seconds between looks at the change log, in the workers that do not scan


class Reloader:
    """Runs :meth:`Repository.refresh` and drops the cache entries each change touches."""

    def __init__(self, repository: Repository, cache: DocumentCache, interval: float,
                 lock_path: Path | None = None):
        self.repository = repository
        self.cache = cache
        self.interval = interval
        self.lock_path = lock_path
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._scan_lock = None  # the open file whose lock makes this process the scanner

    def load(self) -> None:
        """One refresh now, under the cross-process lock."""
        # With several workers on one index, the first cold load runs once: the others
        # wait here, then find the index warm and only stat the files.
        with file_lock(self.lock_path):
            changes = self.repository.refresh()
        dropped = self.cache.invalidate(changes.touched)
        if changes.parsed or changes.removed:
            log.info("corpus: %d parsed, %d removed, %d cached documents dropped, %d articles, %d skipped",
                     changes.parsed, changes.removed, dropped, len(self.repository), len(self.repository.skipped))

    def sync(self) -> None:
        """Take in what the scanning worker wrote to the shared index."""
        changes = self.repository.sync()
        dropped = self.cache.invalidate(changes.touched)
        if changes.synced or changes.removed:
            log.info("corpus: %d changed, %d removed by the scanning worker, %d cached documents dropped",
                     changes.synced, changes.removed, dropped)

    def scans(self) -> bool:
        """Whether this process scans the folder: it holds the scan lock, or nobody shares its index."""
        if self.lock_path is None or not self.repository.store.persistent:
            return True
        if self._scan_lock is None:
            handle = None
            try:
                handle = open(str(self.lock_path) + ".scan", "a+b")
                # Held for the life of the process; if it dies, the next worker to try takes over.
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._scan_lock = handle
                log.info("this worker scans the corpus folder; the others follow the index")
            except OSError:
                if handle is not None:
                    handle.close()
                return False
        return True

    def start(self) -> None:
        """Load in the background, then keep scanning; the caller serves 503 until ready."""
        self._thread = threading.Thread(target=self._run, name="feedsvc-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            scanning = True
            try:
                if not self.repository.ready or self.scans():
                    self.load()
                else:
                    scanning = False
                    self.sync()
            except Exception:  # a scan must never kill the thread that keeps feeds fresh
                log.exception("corpus refresh failed; retrying in %.1fs", self.interval or 5)
            if self._scan_lock is not None and not self.repository.store.persistent:
                # This worker fell back to memory: nobody can follow it through the index
                # any more, so another worker takes over the scanning (and this one scans alone).
                self._scan_lock.close()
                self._scan_lock = None
            if not self.interval:
                if self.repository.ready:
                    return
            # Reading the change log is one query: do it often, so a change shows in
            # every worker soon after the scanning one has seen it.
            self._stop.wait((self.interval or 5) if scanning else min(self.interval, _SYNC_PAUSE))
