"""Helper processes that parse files and list the folder, so a worker's own GIL stays with its requests.

They are started with ``spawn`` (a fresh interpreter, not a fork of the worker), so they inherit
none of the worker's file descriptors: not its listening socket, not the flock(2) locks of the
index (see coordination), not gunicorn's signal handlers. And each asks Linux to kill it when its
parent dies (PR_SET_PDEATHSIG): a worker SIGKILLed by the OOM killer or by hand takes its helpers
with it, so nothing of a dead worker holds a lock, a port or a core.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Helpers parse with the cores the worker leaves: its requests, and in a first load the index writes
# they feed, come first. At the same priority three helpers and the writer shared 2 cores by four, the
# writer fell behind with half a core, and a first load of 100k articles finished on one core alone.
HELPER_NICENESS = 10


def default_workers() -> int:
    """Helper processes for a first load: one more than cores, so the cores stay busy while one waits on its pipe."""
    # 20k files on 2 cores: 2,570 articles/s with 2 processes, 3,000 with 3.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1 if cores > 1 else 1


def die_with_parent(parent: int) -> None:
    """In a helper: be killed when the process that started it dies (and exit if it already has), and
    yield the cores to it (:data:`HELPER_NICENESS`)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(0)
    os.nice(HELPER_NICENESS)


def pool(workers: int) -> ProcessPoolExecutor:
    """A pool of spawned helpers that die with this process."""
    # Spawned lazily, from the thread that submits (the reloader's); PR_SET_PDEATHSIG follows that
    # thread, which lives as long as the worker.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=die_with_parent, initargs=(os.getpid(),))


def map_in_helpers(function: Callable[[T], R], jobs: list[T], workers: int) -> Iterator[R]:
    """``map(function, jobs)`` in ``workers`` helper processes, results in order as they come."""
    with pool(workers) as helpers:
        yield from helpers.map(function, jobs)


class Helper:
    """One long-lived helper process for a repeated job (listing a big folder)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _helper(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = pool(1)
        return self._pool

    def start(self, function: Callable[[], R]) -> Callable[[], R]:
        """Start ``function`` now; what is returned waits for its result (as :meth:`run` would give it)."""
        future = self._helper().submit(function)

        def result() -> R:
            try:
                return future.result()
            except BrokenProcessPool:
                return self.run(function)  # it died meanwhile: run() starts another
        return result

    def run(self, function: Callable[[], R]) -> R:
        for attempt in (1, 2):
            helper = self._helper()
            try:
                return helper.submit(function).result()
            except BrokenProcessPool:  # the helper was killed (OOM killer, kill -9): start another
                helper.shutdown(wait=False)
                self._pool = None
                if attempt == 2:
                    raise
        raise AssertionError("not reached")
