"""Reading the source for the indexer: list it (in a helper process when it is big), look at the
files events named, and parse many files (in helper processes when there are many)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.helpers import Helper, default_workers, map_in_helpers
from feedsvc.corpus.source import Listing, Source
from feedsvc.corpus.store import Parsed

PARALLEL_FROM = 2000  # files before helper processes pay for themselves (to stat, or to parse)
BATCH = 250  # files per helper job and per index transaction: the index is written while parsing goes on


def stale(listing: Listing, known: dict[str, FileEntry], every: bool = False) -> dict[str, bool]:
    """{file listed: new or changed since its entry?} (``every``: all of them)."""
    found: dict[str, bool] = {}
    for name, size, file_stamp in zip(listing.names, listing.sizes, listing.stamps):
        entry = known.get(name)
        found[name] = every or entry is None or entry.size != size or entry.file_stamp != file_stamp
    return found


class Scanner:
    """The indexer's reader of one source. Raises OSError when the source cannot be listed."""

    def __init__(self, source: Source, workers: int | None = None):
        self.source = source
        self.workers = workers if workers is not None else default_workers()
        self._lister = Helper()
        self._ahead: Callable[[], Listing] | None = None

    def scan_ahead(self, expected: int) -> None:
        """Start the next :meth:`scan` now, in the helper, if ``expected`` files make it worth one (a
        start lists the folder while it reads the index: 1 of a 100k warm start's 5 s)."""
        if expected >= PARALLEL_FROM and self.workers > 1:
            self._ahead = self._lister.start(self.source.listing)

    def scan(self, known: dict[str, FileEntry]) -> Listing:
        """Every file of the source with its size and stamp, and the files it refuses."""
        if self._ahead is not None:
            ahead, self._ahead = self._ahead, None
            return ahead()
        if len(known) >= PARALLEL_FROM and self.workers > 1:
            # A stat per file is most of a scan (0.65 s of CPU for 100k files here): a helper
            # process pays it, so this worker's GIL stays with its requests.
            return self._lister.run(self.source.listing)
        return self.source.listing()

    def look(self, names: set[str]) -> Listing:
        """What :meth:`scan` says of just these names."""
        return self.source.look(names)

    def parse(self, names: list[str]) -> Iterator[list[Parsed]]:
        """Batches of files read and parsed, in the order of ``names``."""
        reader = self.source.batch_reader()
        jobs = [names[i : i + BATCH] for i in range(0, len(names), BATCH)]
        if len(names) < PARALLEL_FROM or self.workers < 2:
            yield from map(reader, jobs)
            return
        yield from map_in_helpers(reader, jobs, self.workers)
