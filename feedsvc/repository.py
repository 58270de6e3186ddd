"""A folder of exported files -> indexed articles: by id, by category, newest first."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
from bisect import insort
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from feedsvc.articles import Article, ArticleParseError, parse_article
from feedsvc.articles.categories import Vocabulary
from feedsvc.store import MemoryStore, Row, SqliteStore

log = logging.getLogger(__name__)

ALL = ""  # the key of the whole-site listing
_PARALLEL_FROM = 2000  # files to parse before a process pool pays for itself


class UnknownArticle(LookupError):
    """No article has this id."""

    def __init__(self, article_id: str):
        super().__init__(f"no article with id {article_id!r}")
        self.article_id = article_id


class UnknownCategory(LookupError):
    """No article is filed under this category slug."""

    def __init__(self, slug: str):
        super().__init__(f"no category {slug!r}")
        self.slug = slug


@dataclass
class Changes:
    """What one refresh did: the listings it touched and the files it skipped."""

    parsed: int = 0
    removed: int = 0
    touched: set[str] = field(default_factory=set)


def sort_key(row: Row) -> tuple:
    """Newest first; undated last; the id breaks ties so the order never wobbles."""
    if row.timestamp is None:
        return (1, 0.0, row.id)
    return (0, -row.timestamp, row.id)


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
                return Row(name, info.st_size, info.st_mtime_ns, 0, error=f"file too large ({info.st_size} bytes, limit {size_cap})"), None
            data = handle.read(size_cap + 1)
    except OSError as exc:
        return Row(name, 0, 0, 0, error=f"cannot read the file ({exc.strerror or exc})"), None
    base = Row(name, info.st_size, info.st_mtime_ns, fingerprint(name, data))
    try:
        article = parse_article(name[:-4], data, vocabulary, source_name=name)
    except ArticleParseError as exc:
        return Row(base.name, base.size, base.mtime_ns, base.fingerprint, error=exc.reason), None
    timestamp = article.published.timestamp() if article.published else None
    row = Row(base.name, base.size, base.mtime_ns, base.fingerprint, article.id, article.category,
              article.category_slug, timestamp)
    return row, article


def _read_many(args: tuple) -> list[tuple[Row, Article | None]]:
    corpus, names, size_cap, categories = args
    vocabulary = Vocabulary(categories)
    return [read_one(corpus, name, size_cap, vocabulary) for name in names]


class Repository:
    """The corpus as indexed articles; :meth:`refresh` folds in what changed on disk."""

    def __init__(
        self,
        corpus_dir: str | Path,
        store: MemoryStore | SqliteStore | None = None,
        *,
        vocabulary: Vocabulary | None = None,
        max_file_bytes: int = 2 * 1024 * 1024,
        workers: int | None = None,
    ):
        self.corpus_dir = str(corpus_dir)
        self.store = store if store is not None else MemoryStore()
        self.vocabulary = vocabulary or Vocabulary()
        self.max_file_bytes = max_file_bytes
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._lock = threading.RLock()
        self._rows: dict[str, Row] = {}
        self._by_id: dict[str, Row] = {}
        self._lists: dict[str, list[tuple]] = {ALL: []}
        self._names: dict[str, str] = {}
        self._versions: dict[str, tuple[int, int]] = {ALL: (0, 0)}
        self.skipped: dict[str, str] = {}
        self.ready = False
        for row in self.store.rows():
            self._add(row)

    # -- reading -------------------------------------------------------------

    def version(self, slug: str = ALL) -> str:
        """A digest of the listing's content: equal in every process for the same files."""
        xor, count = self._versions.get(slug, (0, 0))
        return f"{xor:016x}.{count}"

    def categories(self) -> list[tuple[str, str, int]]:
        """(slug, name, article count) of every category, by name."""
        with self._lock:
            found = [(slug, self._names[slug], len(self._lists[slug])) for slug in self._lists if slug != ALL]
        return sorted(found, key=lambda item: (item[1].casefold(), item[0]))

    def category_name(self, slug: str) -> str:
        """The display name of a category slug, or :class:`UnknownCategory`."""
        try:
            return self._names[slug]
        except KeyError:
            raise UnknownCategory(slug) from None

    def count(self, slug: str = ALL) -> int:
        return len(self._lists.get(slug, ()))

    def page(self, slug: str, limit: int, page: int = 1) -> tuple[list[Article], int]:
        """Articles on one page of a listing, newest first, and the listing's size."""
        with self._lock:
            if slug not in self._lists:
                raise UnknownCategory(slug)
            listing = self._lists[slug]
            start = (page - 1) * limit
            ids = [key[2] for key in listing[start : start + limit]]
            total = len(listing)
        found = self.store.articles(ids)
        return [found[i] for i in ids if i in found], total

    def newest(self, slug: str = ALL):
        """The newest dated article's date in a listing (for Last-Modified), or None."""
        with self._lock:
            listing = self._lists.get(slug) or []
            for key in listing[:1]:
                if key[0] == 0:
                    return -key[1]
        return None

    def get(self, article_id: str) -> Article:
        """One article by id, or :class:`UnknownArticle`."""
        if article_id not in self._by_id:
            raise UnknownArticle(article_id)
        found = self.store.articles([article_id])
        if article_id not in found:
            raise UnknownArticle(article_id)
        return found[article_id]

    def fingerprint(self, article_id: str) -> int:
        """The digest of an article's file, or :class:`UnknownArticle`."""
        try:
            return self._by_id[article_id].fingerprint
        except KeyError:
            raise UnknownArticle(article_id) from None

    def all_articles(self) -> list[Article]:
        """Every article, in id order."""
        with self._lock:
            ids = sorted(self._by_id)
        found = self.store.articles(ids)
        return [found[i] for i in ids if i in found]

    def __len__(self) -> int:
        return len(self._by_id)

    # -- loading -------------------------------------------------------------

    def refresh(self) -> Changes:
        """Scan the folder; parse new and changed files, forget removed ones."""
        seen, skipped = self._scan()
        with self._lock:
            gone = [row for name, row in self._rows.items() if name not in seen]
            todo = [name for name, (size, mtime) in seen.items() if self._stale(name, size, mtime)]
        results = self._parse(todo)
        changes = Changes(parsed=len(todo), removed=len(gone))
        with self._lock:
            for row in gone:
                changes.touched.update(self._remove(row))
            self.store.delete(gone)
            fresh: list[tuple[Row, Article | None]] = []
            for row, article in results:
                if row.id and row.id in self._by_id and self._by_id[row.id].name != row.name:
                    row = Row(row.name, row.size, row.mtime_ns, row.fingerprint, error=f"duplicate id {row.id!r}")
                    article = None
                fresh.append((row, article))
                old = self._rows.get(row.name)
                if old is not None:
                    changes.touched.update(self._remove(old))
                changes.touched.update(self._add(row))
            self.store.put(fresh)
            self.skipped = dict(skipped)
            self.skipped.update({r.name: r.error for r in self._rows.values() if r.error})
            self.ready = True
        for name, reason in sorted(self.skipped.items()):
            if name in todo or name in skipped:
                log.warning("skipped %s: %s", name, reason)
        return changes

    def _scan(self) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
        seen: dict[str, tuple[int, int]] = {}
        skipped: dict[str, str] = {}
        try:
            entries = list(os.scandir(self.corpus_dir))
        except OSError as exc:
            log.error("cannot list the corpus folder %s: %s", self.corpus_dir, exc)
            return {name: (row.size, row.mtime_ns) for name, row in self._rows.items()}, skipped
        for entry in entries:
            name = entry.name
            if not name.lower().endswith(".txt") or name.startswith("."):
                continue
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
            if not stat.S_ISREG(info.st_mode):
                continue
            seen[name] = (info.st_size, info.st_mtime_ns)
        return seen, skipped

    def _stale(self, name: str, size: int, mtime_ns: int) -> bool:
        row = self._rows.get(name)
        return row is None or row.size != size or row.mtime_ns != mtime_ns

    def _parse(self, names: list[str]) -> list[tuple[Row, Article | None]]:
        if len(names) < _PARALLEL_FROM or self.workers < 2:
            return [read_one(self.corpus_dir, n, self.max_file_bytes, self.vocabulary) for n in names]
        chunk = max(200, len(names) // (self.workers * 8))
        jobs = [
            (self.corpus_dir, names[i : i + chunk], self.max_file_bytes, self.vocabulary.names)
            for i in range(0, len(names), chunk)
        ]
        with ProcessPoolExecutor(self.workers) as pool:
            return [item for batch in pool.map(_read_many, jobs) for item in batch]

    def _add(self, row: Row) -> set[str]:
        self._rows[row.name] = row
        if row.error or not row.id:
            return set()
        self._by_id[row.id] = row
        slugs = {ALL, row.category_slug} if row.category_slug else {ALL}
        for slug in slugs:
            if slug not in self._lists:
                self._lists[slug] = []
                self._names[slug] = row.category or slug
            insort(self._lists[slug], sort_key(row))
            xor, count = self._versions.get(slug, (0, 0))
            self._versions[slug] = (xor ^ row.fingerprint, count + 1)
        return slugs

    def _remove(self, row: Row) -> set[str]:
        self._rows.pop(row.name, None)
        if row.error or not row.id or self._by_id.get(row.id) is not row:
            return set()
        del self._by_id[row.id]
        slugs = {ALL, row.category_slug} if row.category_slug else {ALL}
        for slug in slugs:
            listing = self._lists[slug]
            listing.remove(sort_key(row))
            xor, count = self._versions[slug]
            self._versions[slug] = (xor ^ row.fingerprint, count - 1)
            if not listing and slug != ALL:
                del self._lists[slug], self._names[slug], self._versions[slug]
        return slugs
