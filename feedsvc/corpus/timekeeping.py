"""Time in the index: the clocks that make Last-Modified, and the date of an undated article.

Every listing has a clock: when its content last changed, in whole seconds, moved to
``max(now + 1, previous + 1)`` (the second after the change, and past the previous value) whenever
its version changes. So it moves strictly forward with every change however many come in one
second, it is later than any moment the old bytes were served (libcurl's time condition, used by
newsboat and sfeed, drops a 200 whose Last-Modified is not newer than the date it sent), and it is
stored, so a restart keeps it. The web layer sends it as Last-Modified (RFC 9110 §8.8.2), which then
changes whenever the bytes do, whatever the articles' own dates. The renderer has one too (code and
settings), a file's entry keeps the same kind of clock (``changed_at``) for its article page, and
every id keeps the time it was first published (``first_seen``), which dates an article whose
source gives no date.
"""

from __future__ import annotations

import math

from feedsvc.corpus.catalog import Catalog, listing_clock
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.store import Clocks, Parsed

RENDERER = "renderer"  # the clock of what the documents are made with (code and settings)
PLAUSIBLE_MTIME = 631_152_000.0  # 1990-01-01: older mtimes are a tool's zero (a zip, a reproducible build), not a date


def tick(previous: float | None, now: float) -> int:
    """A clock's next value: the whole second after now, and always past the previous value."""
    moment = math.floor(now) + 1
    return moment if previous is None else max(moment, math.floor(previous) + 1)


def first_seen(entry: FileEntry, now: float) -> float:
    """When a new id is first published: its file's mtime, never later than now; now when the mtime is no date.

    The mtime is in the files, so every worker and every instance reading them agrees to the second,
    whenever it indexes them: one that saw the file arrive and one started later (scaling out, a
    redeploy on an ephemeral disk). A file written for publication has a fresh mtime and is news; one
    copied in with the time it was written elsewhere (``cp -p``, ``rsync -a``, ``tar x``) is dated then.
    """
    mtime = entry.mtime
    if mtime >= PLAUSIBLE_MTIME:
        return float(math.floor(min(mtime, now)))
    return float(math.floor(now))


def stamp(batch: list[Parsed], known: dict[str, FileEntry], seen: dict[str, float],
          now: float) -> tuple[list[Parsed], dict[str, float]]:
    """Each parsed entry with its first-seen and changed-at times; the first-seen times of ids new
    to the index (``seen``: those it has)."""
    new_ids: dict[str, float] = {}
    stamped: list[Parsed] = []
    for entry, record in batch:
        old = known.get(entry.name)
        unchanged = old is not None and old.fingerprint == entry.fingerprint
        changed_at = old.changed_at if old is not None and unchanged else tick(old.changed_at if old else None, now)
        when = None
        if entry.id:
            when = seen.get(entry.id) or new_ids.get(entry.id)
            if when is None:
                when = new_ids[entry.id] = first_seen(entry, now)
        stamped.append(Parsed(entry.stamped(when, changed_at), record))
    return stamped, new_ids


def move_clocks(catalog: Catalog, touched: set[str], renderer: str, now: float) -> Clocks:
    """Move the clock of every listing whose version changed (and the renderer's); the clocks moved."""
    moved: Clocks = {}
    wanted = {listing_clock(slug): catalog.version(slug) for slug in touched}
    wanted[RENDERER] = renderer
    for key, version in wanted.items():
        old = catalog.clocks.get(key)
        if old is None or old[0] != version:
            moved[key] = (version, tick(old[1] if old else None, now))
    catalog.set_clocks(moved)
    return moved
