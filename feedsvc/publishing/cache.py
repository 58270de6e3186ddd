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
    """An LRU of documents bounded in bytes; each entry is tagged with the listings it shows.

    The bound counts both codings of every document plus a fixed overhead each, so no mix of
    query strings or Host values can grow a worker past it (the keys are whatever the caller
    gives; the bytes are what is bounded).
    """

    OVERHEAD = 600  # bytes a cached document costs beyond its two bodies (key, object, headers memo)

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, tuple[Document, frozenset[str]]] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0
        self.hits = 0

    @classmethod
    def cost(cls, document: Document) -> int:
        return len(document.body) + len(document.gzipped) + cls.OVERHEAD

    def get(self, key: Hashable, build: Callable[[], Document], tags: frozenset[str] = frozenset()) -> Document:
        """The cached document for ``key``, built (outside the lock) when missing."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found[0]
        document = build()
        cost = self.cost(document)
        with self._lock:
            self.builds += 1
            if cost > self.max_bytes:
                return document  # larger than the whole cache: served, not kept
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= self.cost(old[0])
            self._entries[key] = (document, tags)
            self.bytes += cost
            while self.bytes > self.max_bytes:
                _, (evicted, _) = self._entries.popitem(last=False)
                self.bytes -= self.cost(evicted)
        return document

    def invalidate(self, tags: set[str]) -> int:
        """Drop the entries that show any of these listings; the count dropped."""
        if not tags:
            return 0
        with self._lock:
            stale = [key for key, (_, entry_tags) in self._entries.items() if entry_tags & tags]
            for key in stale:
                self.bytes -= self.cost(self._entries.pop(key)[0])
        return len(stale)

    def __len__(self) -> int:
        return len(self._entries)
