"""Rendered documents, compressed once and kept, keyed by what they depend on."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class Document:
    """One representation's bytes with everything a conditional GET needs (compared by identity)."""

    body: bytes
    gzipped: bytes
    etag: str  # strong, from the bytes: every worker computes the same one
    last_modified: datetime | None
    media_type: str

    @property
    def gzip_etag(self) -> str:
        # RFC 9110 §8.8.3: a strong tag names one representation, so the gzip
        # coding gets a tag of its own.
        return self.etag + "-gz"


def make_document(body: bytes, media_type: str, last_modified: datetime | None) -> Document:
    """Hash and compress once, at generation; requests only pick the bytes."""
    etag = hashlib.sha256(body).hexdigest()[:32]
    # mtime=0 keeps the gzip bytes a pure function of the body.
    gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    return Document(body, gzipped, etag, last_modified, media_type)


class DocumentCache:
    """A bounded LRU of documents; each entry is tagged with the listings it shows."""

    def __init__(self, max_entries: int = 1024):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[Document, frozenset[str]]] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, key: Hashable, build: Callable[[], Document], tags: frozenset[str] = frozenset()) -> Document:
        """The cached document for ``key``, built (outside the lock) when missing."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        document = build()
        with self._lock:
            self.builds += 1
            self._entries[key] = (document, tags)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return document

    def invalidate(self, tags: set[str]) -> int:
        """Drop the entries that show any of these listings; the count dropped."""
        if not tags:
            return 0
        with self._lock:
            stale = [key for key, (_, entry_tags) in self._entries.items() if entry_tags & tags]
            for key in stale:
                del self._entries[key]
        return len(stale)

    def __len__(self) -> int:
        return len(self._entries)
