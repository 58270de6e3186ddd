"""What the index keeps in memory for one file of the corpus (the article itself stays in the store)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file as last read: its identity on disk, its digest and the article fields listings need."""

    name: str
    size: int
    file_stamp: int  # source.file_stamp(): moves whenever the file is written, renamed over or touched
    fingerprint: int  # source.fingerprint(): a digest of the name and bytes, what listing versions are made of
    id: str | None = None
    category: str | None = None
    category_slug: str | None = None
    published_at: float | None = None  # the article's publication time (POSIX seconds), when it has one
    error: str | None = None  # why the file is not published

    def skipped(self, reason: str) -> FileEntry:
        """The same file, unpublished for ``reason``."""
        return FileEntry(self.name, self.size, self.file_stamp, self.fingerprint, error=reason)

    def interned(self, intern: Callable[[str], str]) -> FileEntry:
        """The entry with its category strings passed through ``intern`` (sys.intern)."""
        if self.category is None or self.category_slug is None:
            return self
        category, slug = intern(self.category), intern(self.category_slug)
        if category is self.category and slug is self.category_slug:
            return self
        return replace(self, category=category, category_slug=slug)
