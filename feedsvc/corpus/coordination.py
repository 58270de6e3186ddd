"""Every rule between the processes that share one parse index, in one place.

gunicorn's workers each keep the corpus in memory and share one index file. They agree through
three flock(2) locks beside it; the kernel frees a lock when its holder dies, so a SIGKILLed
worker never leaves one behind:

- ``<index>.open-lock``: one process at a time opens, migrates or rebuilds the index file, so none
  deletes a file another has just made;
- ``<index>.lock``: one process at a time writes the index (a first load or a refresh). Within a
  process a thread lock is taken first: flock belongs to an open file, and a second open of the
  same lock file by the same process would block it on itself;
- ``<index>.lock.scan``: held for life by the one process that scans the folder (the seat); the
  others follow the index's change log. When the holder dies, the next to ask takes the seat.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


@contextmanager
def file_lock(path: Path | None) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (none when None or it cannot be opened)."""
    if path is None:
        yield
        return
    try:
        handle = open(path, "a+b")
    except OSError:  # a folder we cannot write: the store falls back to memory anyway
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Coordinator:
    """The locks of one index path (None: a private corpus that nobody shares)."""

    def __init__(self, index_path: Path | None):
        self.index_path = Path(index_path) if index_path is not None else None
        self._turn = threading.Lock()  # one writer per process; the flock orders the processes
        self._seat: IO[bytes] | None = None

    def _lock_path(self, suffix: str) -> Path | None:
        return None if self.index_path is None else Path(str(self.index_path) + suffix)

    @contextmanager
    def opening(self) -> Iterator[None]:
        """While the index file is opened, checked, migrated or rebuilt."""
        with file_lock(self._lock_path(".open-lock")):
            yield

    @contextmanager
    def writing(self) -> Iterator[None]:
        """While this process writes the index and folds the change into memory."""
        with self._turn, file_lock(self._lock_path(".lock")):
            yield

    @contextmanager
    def reading_changes(self) -> Iterator[None]:
        """While this process folds another's changes into memory: never during its own write."""
        with self._turn:
            yield

    def has_seat(self) -> bool:
        """Whether this process scans the folder: it holds the seat, or nobody shares its index."""
        path = self._lock_path(".lock.scan")
        if path is None:
            return True
        if self._seat is None:
            handle = None
            try:
                handle = open(path, "a+b")
                # Held for the life of the process; if it dies, the next worker to ask takes over.
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if handle is not None:
                    handle.close()
                return False
            self._seat = handle
            log.info("this worker scans the corpus folder; the others follow the index")
        return True

    def leave_seat(self) -> None:
        """Give the seat up (this process can no longer be followed through the index)."""
        if self._seat is not None:
            self._seat.close()
            self._seat = None
