"""The parse index's tables, what makes it current (its layout and the parser's source), and what
makes it corrupt rather than busy."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from functools import lru_cache
from importlib import resources

from feedsvc.corpus import search
from feedsvc.corpus.entry import FileEntry

LAYOUT = "feedsvc-index-15"  # bump when the tables change
CHANGES_KEPT = 200_000
# SQLite's primary result codes that mean the file itself is bad (anything else, such as
# SQLITE_BUSY or SQLITE_LOCKED from a worker writing at that moment, is not a reason to delete it).
_CORRUPT, _NOTADB = 11, 26


class CorruptIndex(sqlite3.DatabaseError):
    """The index file is damaged or is not an index: it is rebuilt from the corpus."""


def is_corrupt(exc: BaseException) -> bool:
    """Whether an error says the file is damaged, as opposed to busy, locked or unwritable."""
    if isinstance(exc, CorruptIndex):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.DatabaseError) and code is not None and code & 0xFF in (_CORRUPT, _NOTADB)


def is_busy(exc: BaseException) -> bool:
    """Whether another connection holds the lock: worth waiting for, never a reason to give up the file."""
    return isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorcode", 0) & 0xFF in (5, 6)
COLUMNS = ("name, size, file_stamp, fingerprint, id, category, category_slug, published_at, error, mtime,"
            " first_seen, changed_at, warnings, authors")


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


def row_entry(values: tuple[object, ...]) -> FileEntry:
    *fields, authors = values
    # The columns are the fields, in order; authors are stored as a JSON list. A worker holds every
    # entry: strings and bylines that many share are kept once (sections, names).
    for column in (5, 6):  # category, category_slug
        value = fields[column]
        if isinstance(value, str):
            fields[column] = sys.intern(value)
    names = _byline(authors) if isinstance(authors, str) and authors else ()
    return FileEntry(*fields, authors=names)  # type: ignore[arg-type, misc]


@lru_cache(maxsize=1 << 16)
def _byline(stored: str) -> tuple[str, ...]:
    """A byline as stored -> its names: one tuple for every entry with that byline."""
    return tuple(sys.intern(name) for name in json.loads(stored))


def entry_row(entry: FileEntry) -> tuple[object, ...]:
    return (entry.name, entry.size, entry.file_stamp, entry.fingerprint, entry.id, entry.category,
            entry.category_slug, entry.published_at, entry.error, entry.mtime, entry.first_seen, entry.changed_at,
            entry.warnings, json.dumps(entry.authors, ensure_ascii=False) if entry.authors else None)


def create_tables(conn: sqlite3.Connection, schema: str = SCHEMA) -> None:
    for table in ("files", "bodies", "changes", "seen", "clocks", "acks", "search", "search_docs", "search_pending"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    search.create(conn)
    conn.execute(
        "CREATE TABLE files (name TEXT PRIMARY KEY, size INTEGER, file_stamp INTEGER, fingerprint INTEGER,"
        " id TEXT, category TEXT, category_slug TEXT, published_at REAL, error TEXT, mtime REAL,"
        " first_seen REAL, changed_at REAL, warnings INTEGER, authors TEXT) WITHOUT ROWID"
    )
    # Kept when a file goes: an id that comes back keeps the date it was first published under.
    conn.execute("CREATE TABLE seen (id TEXT PRIMARY KEY, first_seen REAL NOT NULL) WITHOUT ROWID")
    conn.execute("CREATE TABLE clocks (key TEXT PRIMARY KEY, version TEXT NOT NULL, modified INTEGER NOT NULL)")
    # Each worker's progress through the change log: a WebSub ping waits until all serve a change.
    conn.execute("CREATE TABLE acks (pid INTEGER PRIMARY KEY, seq INTEGER NOT NULL)")
    conn.execute("CREATE TABLE bodies (name TEXT PRIMARY KEY, article BLOB NOT NULL)")
    # One line per file written or deleted: how the workers that do not scan learn what
    # the scanning one changed (see changed_since).
    conn.execute("CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)")
    conn.execute("DELETE FROM meta")
    conn.execute("INSERT INTO meta VALUES ('schema', ?)", (schema,))


def log_changes(conn: sqlite3.Connection, names: list[str]) -> None:
    conn.executemany("INSERT INTO changes (name) VALUES (?)", [(n,) for n in names])
    # Keep the log bounded; a reader that fell further behind rereads every entry.
    conn.execute("DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?", (CHANGES_KEPT,))


