"""Keep a repository in step with its folder: one load at start, then a scan every interval."""

from __future__ import annotations

import fcntl
import logging
import threading
from contextlib import contextmanager
from pathlib import Path

from feedsvc.cache import DocumentCache
from feedsvc.repository import Repository

log = logging.getLogger(__name__)


@contextmanager
def _exclusive(lock_path: Path | None):
    # With several workers on one index, the first cold load runs once: the
    # others wait here, then find the index warm and only stat the files.
    if lock_path is None:
        yield
        return
    try:
        handle = open(lock_path, "a+b")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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

    def load(self) -> None:
        """One refresh now, under the cross-process lock."""
        with _exclusive(self.lock_path):
            changes = self.repository.refresh()
        dropped = self.cache.invalidate(changes.touched)
        if changes.parsed or changes.removed:
            log.info("corpus: %d parsed, %d removed, %d cached documents dropped, %d articles, %d skipped",
                     changes.parsed, changes.removed, dropped, len(self.repository), len(self.repository.skipped))

    def start(self) -> None:
        """Load in the background, then keep scanning; the caller serves 503 until ready."""
        self._thread = threading.Thread(target=self._run, name="feedsvc-reloader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.load()
            except Exception:  # a scan must never kill the thread that keeps feeds fresh
                log.exception("corpus refresh failed; retrying in %.1fs", self.interval or 5)
            if not self.interval:
                if self.repository.ready:
                    return
            self._stop.wait(self.interval or 5)
