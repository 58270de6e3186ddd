"""What the index keeps in memory for one file of the corpus (the article itself stays in the store)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file as last read: its identity on disk, its digest, the article fields listings need, and
    the times the index keeps for it."""

    name: str
    size: int
    file_stamp: int  # source.file_stamp(): moves whenever the file is written, renamed over or touched
    fingerprint: int  # source.fingerprint(): a digest of the name and bytes, what listing versions are made of
    id: str | None = None
    category: str | None = None
    category_slug: str | None = None
    published_at: float | None = None  # the article's own date (POSIX seconds), when the source gives one
    error: str | None = None  # why the file is not published
    mtime: float = 0.0  # the file's modification time when read
    first_seen: float | None = None  # when the index first published this id (see Indexer): an undated article's date
    changed_at: float = 0.0  # when the index last saw these bytes change: the article page's Last-Modified
    warnings: int = 0  # how many things the parser had to guess or could not use
    authors: tuple[str, ...] = ()  # as the byline names them: each has a listing of their own

    def __reduce__(self) -> tuple[type[FileEntry], tuple[object, ...]]:
        # To and from the helper processes by the field values: the state functions dataclasses
        # gives a slotted class cost 6 µs an entry each way.
        return FileEntry, tuple(getattr(self, name) for name in _FIELDS)

    def stamped(self, first_seen: float | None, changed_at: float) -> FileEntry:
        """The same file with the index's times (dataclasses.replace costs 9 µs; this, 3)."""
        return FileEntry(self.name, self.size, self.file_stamp, self.fingerprint, self.id, self.category,
                         self.category_slug, self.published_at, self.error, self.mtime, first_seen, changed_at,
                         self.warnings, self.authors)

    @property
    def publishable(self) -> bool:
        return self.error is None and bool(self.id)

    @property
    def date(self) -> float:
        """The date the article is listed and published under: its own, else when it was first seen."""
        if self.published_at is not None:
            return self.published_at
        return self.first_seen or 0.0

    def skipped(self, reason: str) -> FileEntry:
        """The same file, unpublished for ``reason``."""
        return FileEntry(self.name, self.size, self.file_stamp, self.fingerprint, error=reason, mtime=self.mtime)

    def interned(self, intern: Callable[[str], str]) -> FileEntry:
        """The entry with its category strings passed through ``intern`` (sys.intern)."""
        if self.category is None or self.category_slug is None:
            return self
        category, slug = intern(self.category), intern(self.category_slug)
        if category is self.category and slug is self.category_slug:
            return self
        return replace(self, category=category, category_slug=slug)


_FIELDS = tuple(field.name for field in fields(FileEntry))
