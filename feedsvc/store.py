"""Where parsed articles live: a SQLite parse index on disk, or a dict when there is no disk."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from feedsvc.articles import Article

log = logging.getLogger(__name__)

# Bump when the parser or the row layout changes: an index written by another
# parser version is rebuilt, never trusted.
SCHEMA = "feedsvc-index-4"


@dataclass(frozen=True, slots=True)
class Row:
    """What the repository keeps in memory for one file; the article itself stays in the store."""

    name: str
    size: int
    mtime_ns: int
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


class MemoryStore:
    """Keeps every article in memory: the fallback when no index file can be written."""

    persistent = False

    def __init__(self):
        self._rows: dict[str, Row] = {}
        self._articles: dict[str, str] = {}

    def rows(self) -> list[Row]:
        return list(self._rows.values())

    def put(self, items: list[tuple[Row, Article | None]]) -> None:
        for row, article in items:
            self._rows[row.name] = row
            if article is not None:
                self._articles[article.id] = encode(article)

    def delete(self, rows: list[Row]) -> None:
        for row in rows:
            self._rows.pop(row.name, None)
            if row.id:
                self._articles.pop(row.id, None)

    def articles(self, ids: list[str]) -> dict[str, Article]:
        return {i: decode(self._articles[i]) for i in ids if i in self._articles}


class SqliteStore:
    """The persistent parse index: a restart reparses only the files that changed."""

    persistent = True

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        try:
            self._open_checked()
        except sqlite3.DatabaseError as exc:
            # A corrupt or foreign file is rebuilt from the corpus, never trusted.
            log.warning("parse index %s is unreadable (%s): rebuilding it", self.path, exc)
            self._local.conn = None
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            self._open_checked()

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
        conn.execute("PRAGMA quick_check").fetchone()
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        found = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if found is None or found[0] != SCHEMA:
            conn.execute("DROP TABLE IF EXISTS files")
            conn.execute(
                "CREATE TABLE files (name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
                " fingerprint INTEGER, id TEXT, category TEXT, category_slug TEXT,"
                " timestamp REAL, error TEXT, article TEXT)"
            )
            conn.execute("CREATE INDEX IF NOT EXISTS files_id ON files(id)")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA,))

    def rows(self) -> list[Row]:
        cursor = self._connect().execute(
            "SELECT name, size, mtime_ns, fingerprint, id, category, category_slug, timestamp, error FROM files"
        )
        return [Row(*values) for values in cursor]

    def put(self, items: list[tuple[Row, Article | None]]) -> None:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (r.name, r.size, r.mtime_ns, r.fingerprint, r.id, r.category, r.category_slug,
                     r.timestamp, r.error, encode(a) if a is not None else None)
                    for r, a in items
                ],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def delete(self, rows: list[Row]) -> None:
        conn = self._connect()
        conn.executemany("DELETE FROM files WHERE name = ?", [(r.name,) for r in rows])

    def articles(self, ids: list[str]) -> dict[str, Article]:
        found: dict[str, Article] = {}
        conn = self._connect()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for article_id, raw in conn.execute(
                f"SELECT id, article FROM files WHERE id IN ({marks}) AND article IS NOT NULL", chunk
            ):
                found[article_id] = decode(raw)
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
