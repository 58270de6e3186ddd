"""File events for the corpus folder: which files changed, as soon as the kernel says so.

On Linux, watchdog reads inotify: a new, written, closed, moved or deleted `.txt` file is named
within milliseconds, so only that file is read again instead of the whole folder being statted.
A file still being written (modified, not yet closed) is held back until it is closed or quiet
for a while, so a half-written article is not published; an atomic writer (write, then rename)
is seen at the rename. Where the folder cannot be watched (no inotify, a network filesystem, the
watch limit) :meth:`start` says so and the reloader scans on its interval instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from watchdog.events import (
    FileClosedEvent,
    FileModifiedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
    FileSystemMovedEvent,
)
from watchdog.observers import Observer

log = logging.getLogger(__name__)

QUIET = 0.05  # seconds without a new event before a batch of changes is handed over
MAX_WAIT = 0.5  # ... but never longer than this after the first one
WRITE_GRACE = 2.0  # a file modified and not closed is read anyway after this long without a write


def _article_name(path: str | bytes) -> str | None:
    name = os.path.basename(os.fsdecode(path))
    return name if name.lower().endswith(".txt") and not name.startswith(".") else None


class Watcher(FileSystemEventHandler):
    """Collects the names of changed `.txt` files in one folder; :meth:`take` hands them over."""

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder
        self._lock = threading.Lock()
        self._changed: set[str] = set()
        self._writing: dict[str, float] = {}  # name -> last write, for files not yet closed
        self._first: float | None = None
        self._last = 0.0
        self._event = threading.Event()
        self._stopped = False
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self.identity: tuple[int, int] | None = None

    def start(self) -> bool:
        """Watch the folder; False (and a log line) when it cannot be watched."""
        try:
            info = os.stat(self.folder)
            observer = Observer()
            observer.schedule(self, self.folder, recursive=False)
            observer.daemon = True
            observer.start()
        except (OSError, RuntimeError) as exc:
            log.warning("cannot watch %s for changes (%s): scanning it on an interval instead", self.folder, exc)
            return False
        self._observer = observer
        self.identity = (info.st_dev, info.st_ino)
        log.info("watching %s for changes", self.folder)
        return True

    def stop(self) -> None:
        self._stopped = True
        self._event.set()  # wakes a thread in wait()
        if self._observer is not None:
            self._observer.stop()
            self._observer = None

    @property
    def watching(self) -> bool:
        return self._observer is not None and self._observer.is_alive()

    def still_the_folder(self) -> bool:
        """Whether the path still names the folder being watched (not replaced or deleted)."""
        try:
            info = os.stat(self.folder)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self.identity

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        paths = [event.src_path]
        if isinstance(event, FileSystemMovedEvent):
            paths.append(event.dest_path)
        now = time.monotonic()
        with self._lock:
            for path in paths:
                name = _article_name(path)
                if name is None:
                    continue
                if isinstance(event, FileModifiedEvent):
                    self._writing[name] = now
                elif isinstance(event, FileClosedEvent):
                    self._writing.pop(name, None)
                self._changed.add(name)
                self._first = self._first or now
                self._last = now
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Block until a batch of changes is ready (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if not self._event.wait(remaining) or self._stopped:
                return False
            # Let a burst of events settle (an editor's save, a copy of many files).
            now = time.monotonic()
            with self._lock:
                ready = bool(self._ready_names(now)) and (
                    now - self._last >= QUIET or (self._first is not None and now - self._first >= MAX_WAIT))
                if not self._changed:
                    self._event.clear()
            if ready:
                return True
            time.sleep(min(QUIET, max(0.0, remaining)))

    def _ready_names(self, now: float) -> set[str]:
        return {n for n in self._changed if now - self._writing.get(n, -WRITE_GRACE) >= WRITE_GRACE}

    def take(self) -> set[str]:
        """The names changed since the last call, but those still being written."""
        now = time.monotonic()
        with self._lock:
            ready = self._ready_names(now)
            self._changed -= ready
            for name in ready:
                self._writing.pop(name, None)
            self._first = now if self._changed else None
            if not self._changed:
                self._event.clear()
        return ready
