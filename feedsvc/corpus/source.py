"""Where articles come from: a folder of exported `.txt` files, listed with a stamp each and read one by one."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from array import array
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import NamedTuple, Protocol

from feedsvc.articles import Article, ArticleParseError, parse_article
from feedsvc.articles.categories import Vocabulary
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.listings import RESERVED_SLUGS
from feedsvc.corpus.store import Parsed, encode

log = logging.getLogger(__name__)
# O_NOFOLLOW: a symlink swapped in after the scan is still not followed. O_NONBLOCK: a FIFO
# swapped in is opened at once (and then refused as not a regular file) instead of blocking
# the scan until a writer comes; on a regular file it changes nothing.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)



class Listing(NamedTuple):
    """What a source holds now: names with their size and stamp, and the names it refuses."""

    names: list[str]
    sizes: array[int]
    stamps: array[int]
    skipped: dict[str, str]


class Source(Protocol):
    """A corpus the index can scan and read: the folder is the first one."""

    location: str

    def listing(self) -> Listing: ...

    def look(self, names: set[str]) -> Listing:
        """What :meth:`listing` says of just these names (those gone are absent)."""
        ...

    def read(self, name: str) -> tuple[FileEntry, Article | None]: ...

    def batch_reader(self) -> Callable[[list[str]], list[Parsed]]:
        """A picklable function that reads many names, for a helper process."""
        ...


def fingerprint(name: str, data: bytes) -> int:
    """A 63-bit digest of a file's name and bytes: what listing versions are made of."""
    digest = hashlib.blake2b(data, digest_size=8, person=b"feedsvc1", key=name.encode("utf-8", "replace")[:64])
    return int.from_bytes(digest.digest(), "big") >> 1


def file_stamp(info: os.stat_result) -> int:
    """One number for a file's mtime, ctime and inode: an edit that keeps the size and puts
    the old mtime back (os.utime, tar, an exporter stamping the article date) still moves
    ctime, which nobody can set, and a file renamed over another has a new inode."""
    return hash((info.st_mtime_ns, info.st_ctime_ns, info.st_ino))  # ints hash the same in every process


class FolderSource:
    """A folder of `.txt` exports; a file's name without `.txt` is its article's id."""

    def __init__(self, folder: str | os.PathLike[str], max_file_bytes: int = 2 * 1024 * 1024,
                 vocabulary: Vocabulary | None = None):
        self.location = str(folder)
        self.max_file_bytes = max_file_bytes
        self.vocabulary = vocabulary or Vocabulary()

    def listing(self) -> Listing:
        return list_folder(self.location)

    def look(self, names: set[str]) -> Listing:
        return look_up(self.location, names)

    def read(self, name: str) -> tuple[FileEntry, Article | None]:
        return read_file(self.location, name, self.max_file_bytes, self.vocabulary)

    def batch_reader(self) -> Callable[[list[str]], list[Parsed]]:
        return partial(read_batch, self.location, self.max_file_bytes, self.vocabulary.names)


def read_file(folder: str, name: str, size_cap: int, vocabulary: Vocabulary) -> tuple[FileEntry, Article | None]:
    """Read and parse one file into its entry (with the error, if any) and its article.

    The one boundary of a file: whatever goes wrong with it (the system, the parser, a date past
    what the calendar holds) makes it a skipped file with a reason, never an error for the scan.
    """
    try:
        fd = os.open(os.path.join(folder, name), _OPEN_FLAGS)
        try:
            # Before fdopen, which refuses a directory and would leave the descriptor open.
            info = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            return FileEntry(name, 0, 0, 0, error="not a regular file"), None
        with os.fdopen(fd, "rb", buffering=0) as handle:
            if info.st_size > size_cap:
                return FileEntry(name, info.st_size, file_stamp(info), 0, mtime=info.st_mtime,
                                 error=f"file too large ({info.st_size} bytes, limit {size_cap})"), None
            # Sized by fstat, unbuffered: read(size_cap + 1) allocated 2 MB a file, 65 of the 340 µs
            # a file cost the helpers. A file that grew since has a new stamp and is read again.
            data = handle.read(info.st_size + 1)
    except OSError as exc:
        return FileEntry(name, 0, 0, 0, error=f"cannot read the file ({exc.strerror or exc})"), None
    base = FileEntry(name, info.st_size, file_stamp(info), fingerprint(name, data), mtime=info.st_mtime)
    try:
        article = parse_article(name[:-4], data, vocabulary, source_name=name)
        published_at = article.published.timestamp() if article.published else None
    except ArticleParseError as exc:
        return base.skipped(exc.reason), None
    except Exception as exc:  # a parser bug must cost one file, not the scan
        log.exception("parsing %r failed", name)
        return base.skipped(f"the parser failed on this file ({type(exc).__name__}: {exc})"[:300]), None
    if article.category_slug in RESERVED_SLUGS:
        article = replace(article, category_slug=RESERVED_SLUGS[article.category_slug])
    entry = FileEntry(base.name, base.size, base.file_stamp, base.fingerprint, article.id, article.category,
                      article.category_slug, published_at, mtime=info.st_mtime, warnings=len(article.warnings),
                      authors=article.authors)
    return entry, article


def read_batch(folder: str, size_cap: int, categories: tuple[str, ...], names: list[str]) -> list[Parsed]:
    """:func:`read_file` for many names, articles encoded for the store (cheap to send between
    processes, and done by the helpers in parallel)."""
    vocabulary = Vocabulary(categories)
    found: list[Parsed] = []
    for name in names:
        entry, article = read_file(folder, name, size_cap, vocabulary)
        if article is None:
            found.append(Parsed(entry, None))
            continue
        try:
            found.append(Parsed(entry, encode(article)))
        except (TypeError, ValueError) as exc:  # not JSON-able: the boundary again
            found.append(Parsed(entry.skipped(f"cannot store the article ({exc})"[:300]), None))
    return found


def list_folder(folder: str) -> Listing:
    """Names, sizes and stamps of the regular `.txt` files in a folder, and the files skipped."""
    listing = Listing([], array("q"), array("q"), {})  # arrays: compact, cheap to send from a helper
    # Iterated, not listed: 100,000 DirEntry objects at once would stay in the heap.
    with os.scandir(folder) as entries:
        for entry in entries:
            _add(listing, entry.name, lambda entry=entry: entry.stat(follow_symlinks=False))  # type: ignore[misc]
    return listing


def look_up(folder: str, names: set[str]) -> Listing:
    """:func:`list_folder` for these names only (a file event named them)."""
    listing = Listing([], array("q"), array("q"), {})
    for name in sorted(names):
        _add(listing, name, lambda name=name: os.stat(os.path.join(folder, name), follow_symlinks=False))  # type: ignore[misc]
    return listing


def _add(listing: Listing, name: str, look: Callable[[], os.stat_result]) -> None:
    """Put one directory entry in a listing, or in its skipped files, or nowhere (not an article)."""
    if not name.lower().endswith(".txt") or name.startswith("."):
        return
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            listing.skipped[shown] = "file name is not UTF-8"
            return
    try:
        info = look()
    except OSError:
        return  # vanished between listing and stat
    if stat.S_ISLNK(info.st_mode):
        listing.skipped[name] = "symbolic link, not followed"
    elif stat.S_ISREG(info.st_mode):
        listing.names.append(name)
        listing.sizes.append(info.st_size)
        listing.stamps.append(file_stamp(info))
