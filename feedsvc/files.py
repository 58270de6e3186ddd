"""The corpus folder as files: list them with a stamp each, read and parse one."""

from __future__ import annotations

import hashlib
import os
import stat
from array import array

from feedsvc.articles import Article, ArticleParseError, parse_article
from feedsvc.articles.categories import Vocabulary
from feedsvc.store import Row, encode, file_stamp


def fingerprint(name: str, data: bytes) -> int:
    """A 63-bit digest of a file's name and bytes: what feed versions are made of."""
    digest = hashlib.blake2b(data, digest_size=8, person=b"feedsvc1", key=name.encode("utf-8", "replace")[:64])
    return int.from_bytes(digest.digest(), "big") >> 1


def read_one(corpus: str, name: str, size_cap: int, vocabulary: Vocabulary) -> tuple[Row, Article | None]:
    """Read and parse one file into its row (with the error, if any) and its article."""
    path = os.path.join(corpus, name)
    try:
        # O_NOFOLLOW: a symlink swapped in after the scan is still not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Row(name, 0, 0, 0, error="not a regular file"), None
            if info.st_size > size_cap:
                return Row(name, info.st_size, file_stamp(info), 0, error=f"file too large ({info.st_size} bytes, limit {size_cap})"), None
            data = handle.read(size_cap + 1)
    except OSError as exc:
        return Row(name, 0, 0, 0, error=f"cannot read the file ({exc.strerror or exc})"), None
    base = Row(name, info.st_size, file_stamp(info), fingerprint(name, data))
    try:
        article = parse_article(name[:-4], data, vocabulary, source_name=name)
    except ArticleParseError as exc:
        return Row(base.name, base.size, base.stamp, base.fingerprint, error=exc.reason), None
    timestamp = article.published.timestamp() if article.published else None
    row = Row(base.name, base.size, base.stamp, base.fingerprint, article.id, article.category,
              article.category_slug, timestamp)
    return row, article


def read_encoded(corpus: str, name: str, size_cap: int, vocabulary: Vocabulary) -> tuple[Row, str | None]:
    """:func:`read_one`, with the article as the JSON the index stores (cheap to pass between processes)."""
    row, article = read_one(corpus, name, size_cap, vocabulary)
    return row, encode(article) if article is not None else None


def read_many(args: tuple) -> list[tuple[Row, str | None]]:
    corpus, names, size_cap, categories = args
    vocabulary = Vocabulary(categories)
    return [read_encoded(corpus, name, size_cap, vocabulary) for name in names]


def list_folder(corpus: str) -> tuple[list[str], array, array, dict[str, str]]:
    """Names, sizes and stamps (see file_stamp) of the regular .txt files in a folder, and the files skipped."""
    names: list[str] = []
    sizes, stamps = array("q"), array("q")  # compact: cheap to send back from a helper process
    skipped: dict[str, str] = {}
    # Iterated, not listed: 100,000 DirEntry objects at once would stay in the heap.
    with os.scandir(corpus) as entries:
        for entry in entries:
            name = entry.name
            if not name.lower().endswith(".txt") or name.startswith("."):
                continue
            if not name.isascii():
                try:
                    name.encode("utf-8")
                except UnicodeEncodeError:
                    skipped[name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")] = "file name is not UTF-8"
                    continue
            try:
                if entry.is_symlink():
                    skipped[name] = "symbolic link, not followed"
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # vanished between listing and stat
            if stat.S_ISREG(info.st_mode):
                names.append(name)
                sizes.append(info.st_size)
                stamps.append(file_stamp(info))
    return names, sizes, stamps, skipped


def default_workers() -> int:
    # One process more than cores: while one waits on its pipe, the cores stay busy
    # (20k files on 2 cores: 2,570 articles/s with 2 processes, 3,000 with 3).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + 1 if cores > 1 else 1
