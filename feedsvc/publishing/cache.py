"""Rendered documents, compressed once and kept, keyed by what they depend on."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class Document:
    """One representation's bytes, compressed, with its strong ETag (compared by identity).

    Its Last-Modified is not here: it is the clock of what the document shows (see Publisher),
    read when the document is sent, so a cached document never carries a stale one.
    """

    body: bytes
    gzipped: bytes
    etag: str  # strong, from the bytes: every worker computes the same one
    media_type: str

    @property
    def gzip_etag(self) -> str:
        # RFC 9110 §8.8.3: a strong tag names one representation, so the gzip
        # coding gets a tag of its own.
        return self.etag + "-gz"


def make_document(body: bytes, media_type: str) -> Document:
    """Hash and compress once, at generation; requests only pick the bytes."""
    etag = hashlib.sha256(body).hexdigest()[:32]
    # mtime=0 keeps the gzip bytes a pure function of the body.
    gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    return Document(body, gzipped, etag, media_type)


class DocumentCache:
    """LRUs of documents bounded in bytes; each entry is tagged with the listings it shows.

    The bound counts both codings of every document plus a fixed overhead each, so no mix of
    query strings or Host values can grow a worker past it (the keys are whatever the caller
    gives; the bytes are what is bounded). Zones (searches) have a share of the bound and an LRU of
    their own: their long tail of one-off keys cannot push out the feeds that readers poll.
    """

    OVERHEAD = 600  # bytes a cached document costs beyond its two bodies (key, object, headers memo)

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, zones: dict[str, int] | None = None):
        self.max_bytes = max_bytes
        shares = dict(zones or {})
        self._zones = {"": _Zone(max_bytes - sum(shares.values()))}
        self._zones.update((name, _Zone(size)) for name, size in shares.items())
        self._lock = threading.Lock()
        self.builds = 0
        self.hits = 0

    @classmethod
    def cost(cls, document: Document) -> int:
        return len(document.body) + len(document.gzipped) + cls.OVERHEAD

    @property
    def bytes(self) -> int:
        return sum(zone.bytes for zone in self._zones.values())

    def get(self, key: Hashable, build: Callable[[], Document], tags: frozenset[str] = frozenset(),
            zone: str = "") -> Document:
        """The cached document for ``key`` in ``zone`` (one without a share: the main one), built
        (outside the lock) when missing."""
        lru = self._zones.get(zone) or self._zones[""]
        with self._lock:
            found = lru.entries.get(key)
            if found is not None:
                lru.entries.move_to_end(key)
                self.hits += 1
                return found[0]
        document = build()
        cost = self.cost(document)
        with self._lock:
            self.builds += 1
            if cost > lru.max_bytes:
                return document  # larger than the whole zone: served, not kept
            old = lru.entries.pop(key, None)
            if old is not None:
                lru.bytes -= self.cost(old[0])
            lru.entries[key] = (document, tags)
            lru.bytes += cost
            while lru.bytes > lru.max_bytes:
                _, (evicted, _) = lru.entries.popitem(last=False)
                lru.bytes -= self.cost(evicted)
        return document

    def invalidate(self, tags: set[str]) -> int:
        """Drop the entries that show any of these listings; the count dropped."""
        if not tags:
            return 0
        dropped = 0
        with self._lock:
            for lru in self._zones.values():
                stale = [key for key, (_, entry_tags) in lru.entries.items() if entry_tags & tags]
                for key in stale:
                    lru.bytes -= self.cost(lru.entries.pop(key)[0])
                dropped += len(stale)
        return dropped

    def __len__(self) -> int:
        return sum(len(zone.entries) for zone in self._zones.values())


class _Zone:
    """One LRU of a cache and its share of the bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[Hashable, tuple[Document, frozenset[str]]] = OrderedDict()
