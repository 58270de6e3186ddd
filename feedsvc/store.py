"""Where parsed articles live: a SQLite parse index on disk, or a dict when there is no disk."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from feedsvc.articles import Article

log = logging.getLogger(__name__)

LAYOUT = "feedsvc-index-7"  # bump when the tables change


def _parser_digest() -> str:
    # The parser's own source is part of the schema: an index written by another
    # parser version is rebuilt, never trusted, without anyone remembering to bump.
    digest = hashlib.sha256()
    package = resources.files("feedsvc.articles")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".py", ".txt")):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


SCHEMA = f"{LAYOUT}:{_parser_digest()}"


@dataclass(frozen=True, slots=True)
class Row:
    """What the repository keeps in memory for one file; the article itself stays in the store."""

    name: str
    size: int
    stamp: int  # file_stamp(): changes whenever the file is written, renamed over or touched
    fingerprint: int
    id: str | None = None
    category: str | None = None
    category_slug: str | None = None
    timestamp: float | None = None
    error: str | None = None


def encode(article: Article) -> str:
    """An article as the JSON text the index stores."""
    record = article.to_json()
    record.update(body=list(article.body), source=article.source)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def decode(raw: str) -> Article:
    """The inverse of :func:`encode`."""
    record = json.loads(raw)
    published = record["published"]
    return Article(
        id=record["id"],
        title=record["title"],
        category=record["category"],
        category_slug=record["category_slug"],
        authors=tuple(record["authors"]),
        body=tuple(record["body"]),
        summary=record["summary"],
        published=datetime.fromisoformat(published) if published else None,
        date_precision=record["date_precision"],
        warnings=tuple(record["warnings"]),
        source=record["source"],
    )


_ROW_COLUMNS = "name, size, stamp, fingerprint, id, category, category_slug, timestamp, error"
# What a failing index raises: the repository then reopens or replaces it.
STORE_ERRORS = (sqlite3.Error, OSError)


def file_stamp(info) -> int:
    """One number for a file's mtime, ctime and inode: an edit that keeps the size and puts
    the old mtime back (os.utime, tar, an exporter stamping the article date) still moves
    ctime, which nobody can set, and a file renamed over another has a new inode."""
    return hash((info.st_mtime_ns, info.st_ctime_ns, info.st_ino))  # ints hash the same in every process
_CHANGES_KEPT = 200_000


@contextmanager
def file_lock(lock_path: Path | None):
    """Hold an exclusive flock on ``lock_path`` (none when None or it cannot be opened).

    flock belongs to an open file, so the same process blocks itself on a second open
    of one lock file: each use below has a file of its own.
    """
    if lock_path is None:
        yield
        return
    try:
        handle = open(lock_path, "a+b")
    except OSError:  # a folder we cannot write: open_store falls back to memory anyway
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class MemoryStore:
    """Keeps every article in memory: the fallback when no index file can be written."""

    persistent = False  # nothing survives the process, and no other process sees it

    def __init__(self):
        self._rows: dict[str, Row] = {}
        self._articles: dict[str, str] = {}

    def rows(self) -> list[Row]:
        return list(self._rows.values())

    def put(self, items: list[tuple[Row, str | None]]) -> None:
        """Store rows with their article as :func:`encode` made it (None: no article)."""
        for row, record in items:
            self._rows[row.name] = row
            if record is None:
                self._articles.pop(row.name, None)
            else:
                self._articles[row.name] = record

    def delete(self, rows: list[Row]) -> None:
        for row in rows:
            self._rows.pop(row.name, None)
            self._articles.pop(row.name, None)

    def articles(self, names: list[str]) -> dict[str, Article]:
        """The stored articles of these files, by file name."""
        return {n: decode(self._articles[n]) for n in names if n in self._articles}


class SqliteStore:
    """The persistent parse index: a restart reparses only the files that changed.

    File rows and article bodies are two tables, so a start reads only the small
    rows; bodies are read by primary key, a page at a time, when a page is rendered.
    """

    persistent = True

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self.identity: tuple[int, int] | None = None  # (device, inode) of the file opened
        # Every gunicorn worker opens the index at once: one at a time checks it, creates
        # or migrates its tables, or rebuilds it, so none deletes a file another just made.
        with file_lock(Path(str(self.path) + ".open-lock")):
            try:
                self._open_checked()
            except sqlite3.DatabaseError as exc:
                # A corrupt or foreign file is rebuilt from the corpus, never trusted.
                log.warning("parse index %s is unreadable (%s): rebuilding it", self.path, exc)
                self._local.conn = None
                for suffix in ("", "-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
                self._open_checked()
            info = os.stat(self.path)
            self.identity = (info.st_dev, info.st_ino)

    def is_current(self) -> bool:
        """Whether the file at the path is still the one opened (not deleted or replaced)."""
        try:
            info = os.stat(self.path)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self.identity

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def _open_checked(self) -> None:
        conn = self._connect()
        verdict = conn.execute("PRAGMA quick_check").fetchone()
        if verdict != ("ok",):
            raise sqlite3.DatabaseError(f"quick_check says {verdict}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            found = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if found is None or found[0] != SCHEMA:
                self._create_tables(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _create_tables(conn: sqlite3.Connection) -> None:
        for table in ("files", "bodies", "changes"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(
            "CREATE TABLE files (name TEXT PRIMARY KEY, size INTEGER, stamp INTEGER,"
            " fingerprint INTEGER, id TEXT, category TEXT, category_slug TEXT,"
            " timestamp REAL, error TEXT) WITHOUT ROWID"
        )
        conn.execute("CREATE TABLE bodies (name TEXT PRIMARY KEY, article TEXT NOT NULL)")
        # One line per file written or deleted: how the workers that do not scan
        # learn what the scanning one changed (see changed_since).
        conn.execute("CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)")
        conn.execute("DELETE FROM meta")
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))

    def rows(self) -> list[Row]:
        return [Row(*values) for values in self._connect().execute(f"SELECT {_ROW_COLUMNS} FROM files")]

    def put(self, items: list[tuple[Row, str | None]]) -> None:
        """Store rows with their article as :func:`encode` made it (None: no article)."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?)",
                [(r.name, r.size, r.stamp, r.fingerprint, r.id, r.category, r.category_slug, r.timestamp,
                  r.error) for r, _ in items],
            )
            conn.executemany("INSERT OR REPLACE INTO bodies VALUES (?,?)",
                             [(r.name, record) for r, record in items if record is not None])
            conn.executemany("DELETE FROM bodies WHERE name = ?", [(r.name,) for r, record in items if record is None])
            self._log_changes(conn, [r.name for r, _ in items])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            raise

    def delete(self, rows: list[Row]) -> None:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            names = [(r.name,) for r in rows]
            conn.executemany("DELETE FROM files WHERE name = ?", names)
            conn.executemany("DELETE FROM bodies WHERE name = ?", names)
            self._log_changes(conn, [r.name for r in rows])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            raise

    def _log_changes(self, conn: sqlite3.Connection, names: list[str]) -> None:
        conn.executemany("INSERT INTO changes (name) VALUES (?)", [(n,) for n in names])
        # Keep the log bounded; a reader that fell further behind rereads every row.
        conn.execute("DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?", (_CHANGES_KEPT,))

    def last_change(self) -> int:
        """The sequence number of the latest change (0: none yet)."""
        return self._connect().execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]

    def changed_since(self, seq: int) -> tuple[int, dict[str, Row | None] | None]:
        """(latest seq, {file: its row, or None if deleted}) for the changes after ``seq``;
        None in place of the dict when the log no longer reaches back that far."""
        conn = self._connect()
        conn.execute("BEGIN")  # one snapshot for the three reads
        try:
            last, first = conn.execute("SELECT coalesce(max(seq), 0), coalesce(min(seq), 0) FROM changes").fetchone()
            if last == seq:
                return last, {}
            if first > seq + 1:
                return last, None
            names = [n for (n,) in conn.execute("SELECT DISTINCT name FROM changes WHERE seq > ?", (seq,))]
            found: dict[str, Row | None] = dict.fromkeys(names)
            for start in range(0, len(names), 500):
                chunk = names[start : start + 500]
                for values in conn.execute(
                    f"SELECT {_ROW_COLUMNS} FROM files WHERE name IN ({','.join('?' * len(chunk))})", chunk
                ):
                    found[values[0]] = Row(*values)
            return last, found
        finally:
            conn.execute("COMMIT")

    def set_note(self, key: str, value: str) -> None:
        """Keep a small text beside the index (what a scan skipped), for the other workers."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone() != (value,):
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
                self._log_changes(conn, [""])  # "" names no file: it only moves the sequence on
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            raise

    def note(self, key: str) -> str | None:
        found = self._connect().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def articles(self, names: list[str]) -> dict[str, Article]:
        """The stored articles of these files, by file name."""
        found: dict[str, Article] = {}
        conn = self._connect()
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for name, raw in conn.execute(f"SELECT name, article FROM bodies WHERE name IN ({marks})", chunk):
                found[name] = decode(raw)
        return found


def open_store(path: Path | None) -> MemoryStore | SqliteStore:
    """The SQLite index at ``path``, or memory when there is no path or it cannot be written."""
    if path is None:
        return MemoryStore()
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(Path(path))
    except (OSError, sqlite3.Error) as exc:
        log.warning("cannot keep a parse index at %s (%s): working in memory", path, exc)
        return MemoryStore()
