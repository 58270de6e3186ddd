"""The persistent parse index: one SQLite file that every worker of a service shares."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedsvc.articles import Article
from feedsvc.corpus import search
from feedsvc.corpus.coordination import Coordinator
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.sqlite_batches import select_in
from feedsvc.corpus.sqlite_schema import (
    COLUMNS,
    SCHEMA,
    CorruptIndex,
    create_tables,
    entry_row,
    is_busy,
    is_corrupt,
    log_changes,
    row_entry,
)
from feedsvc.corpus.store import STORE_ERRORS, Clocks, MemoryStore, Parsed, Store, decode

log = logging.getLogger(__name__)

_BUSY_PATIENCE = 120.0  # seconds a worker keeps retrying an index another process holds locked


class SqliteStore:
    """A restart reparses only the files that changed. File entries and article bodies are two
    tables, so a start reads only the small entries; bodies are read a page at a time.

    One class for one file: every method is one transaction of the Store protocol, and the tables
    it keeps together (entries, bodies, search words, first-seen dates, clocks, the change log)
    must change together, so it stays whole at about 175 lines.
    """

    persistent = True

    def __init__(self, path: Path):
        self.path: Path | None = Path(path)
        self._file = Path(path)
        self._local = threading.local()
        self.identity: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._defer_search = False  # in filling(): search words wait for catch_up_search()
        try:
            self._open_checked()
        except sqlite3.DatabaseError as exc:
            if not is_corrupt(exc):
                raise  # busy, locked, read-only, full: the file may be fine; never delete it for that
            # A corrupt or foreign file is rebuilt from the corpus, never trusted.
            log.warning("parse index %s is unreadable (%s): rebuilding it", self._file, exc)
            self._local.conn = None
            for suffix in ("", "-wal", "-shm"):
                Path(str(self._file) + suffix).unlink(missing_ok=True)
            self._open_checked()
        info = os.stat(self._file)
        self.identity = (info.st_dev, info.st_ino)

    def is_current(self) -> bool:
        try:
            info = os.stat(self._file)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self.identity

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._file, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self, kind: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        conn.execute(f"BEGIN {kind}")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.execute("ROLLBACK")
            raise

    def _open_checked(self) -> None:
        verdict = self._connect().execute("PRAGMA quick_check").fetchone()
        if verdict != ("ok",):
            raise CorruptIndex(f"quick_check says {verdict}")
        with self._transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            found = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if found is None or found[0] != SCHEMA:
                create_tables(conn, SCHEMA)

    def rows(self) -> list[FileEntry]:
        return [row_entry(values) for values in self._connect().execute(f"SELECT {COLUMNS} FROM files")]

    def put(self, items: list[Parsed], seen: dict[str, float] | None = None) -> None:
        with self._transaction() as conn:
            # Out of search while the stored articles are the old ones, back in once they are the new.
            search.remove(conn, [entry.name for entry, _ in items])
            conn.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", list((seen or {}).items()))
            conn.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             [entry_row(e) for e, _ in items])
            conn.executemany("INSERT OR REPLACE INTO bodies VALUES (?,?)",
                             [(e.name, record) for e, record in items if record is not None])
            conn.executemany("DELETE FROM bodies WHERE name = ?",
                             [(e.name,) for e, record in items if record is None])
            search.add(conn, [(e.name, e.date) for e, record in items if record is not None and e.publishable],
                       defer=self._defer_search)
            log_changes(conn, [e.name for e, _ in items])

    @contextmanager
    def filling(self) -> Iterator[None]:
        # With synchronous=NORMAL every WAL checkpoint (each 4 MB) waits for fsync: a first load of
        # 100k articles writes 1 GB and spent 15 s of 80 in them. Until the load is over nobody
        # serves from this index (the others wait on the writing lock), and what a power cut would
        # damage meanwhile is only what is being rebuilt from the corpus; quick_check at the next
        # start sends a damaged file back to be rebuilt (SQLite, "PRAGMA synchronous").
        conn = self._connect()
        conn.execute("PRAGMA synchronous=OFF")
        self._defer_search = True  # the feeds first, search right after (see corpus.search)
        try:
            yield
        finally:
            self._defer_search = False
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # under NORMAL: synced, before anyone serves it

    def seen(self, ids: list[str]) -> dict[str, float]:
        return dict(select_in(self._connect(), "SELECT id, first_seen FROM seen WHERE id IN ({marks})", ids))

    def clocks(self) -> Clocks:
        rows = self._connect().execute("SELECT key, version, modified FROM clocks")
        return {key: (version, modified) for key, version, modified in rows}

    def set_clocks(self, clocks: Clocks) -> None:
        if not clocks:
            return
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO clocks VALUES (?, ?, ?)",
                             [(key, version, modified) for key, (version, modified) in clocks.items()])
            log_changes(conn, [""])  # "" names no file: it only moves the sequence on

    def delete(self, entries: list[FileEntry]) -> None:
        with self._transaction() as conn:
            search.remove(conn, [e.name for e in entries])
            names = [(e.name,) for e in entries]
            conn.executemany("DELETE FROM files WHERE name = ?", names)
            conn.executemany("DELETE FROM bodies WHERE name = ?", names)
            log_changes(conn, [e.name for e in entries])

    def last_change(self) -> int:
        return int(self._connect().execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0])

    def changed_since(self, seq: int) -> tuple[int, dict[str, FileEntry | None] | None]:
        with self._transaction("") as conn:  # one snapshot for the three reads
            last, first = conn.execute("SELECT coalesce(max(seq), 0), coalesce(min(seq), 0) FROM changes").fetchone()
            if last == seq:
                return last, {}
            if first > seq + 1:
                return last, None
            names = [n for (n,) in conn.execute("SELECT DISTINCT name FROM changes WHERE seq > ?", (seq,))]
            found: dict[str, FileEntry | None] = dict.fromkeys(names)
            for values in select_in(conn, f"SELECT {COLUMNS} FROM files WHERE name IN ({{marks}})", names):
                found[values[0]] = row_entry(values)
            return last, found

    def set_note(self, key: str, value: str, *, notify: bool = True) -> None:
        with self._transaction() as conn:
            if conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone() != (value,):
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
                if notify:
                    log_changes(conn, [""])  # "" names no file: it only moves the sequence on

    def note(self, key: str) -> str | None:
        found = self._connect().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def search(self, terms: list[str], limit: int, offset: int) -> tuple[list[str], int]:
        return search.find(self._connect(), terms, limit, offset)

    def search_behind(self) -> bool:
        return search.behind(self._connect())

    def catch_up_search(self, limit: int) -> bool:
        with self._transaction() as conn:
            return search.catch_up(conn, limit)

    def generation(self) -> int:
        # PRAGMA data_version moves when another connection commits: a poll costs microseconds.
        return int(self._connect().execute("PRAGMA data_version").fetchone()[0])

    def ack(self, pid: int, seq: int) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO acks VALUES (?, ?)", (pid, seq))

    def acks(self) -> dict[int, int]:
        return dict(self._connect().execute("SELECT pid, seq FROM acks").fetchall())

    def forget_acks(self, pids: list[int]) -> None:
        with self._transaction() as conn:
            conn.executemany("DELETE FROM acks WHERE pid = ?", [(pid,) for pid in pids])

    def articles(self, names: list[str]) -> dict[str, Article]:
        return dict(_bodies(self._connect(), names))


def _bodies(conn: sqlite3.Connection, names: list[str]) -> Iterator[tuple[str, Article]]:
    for name, raw in select_in(conn, "SELECT name, article FROM bodies WHERE name IN ({marks})", names):
        yield name, decode(raw)


def open_store(path: Path | None, coordinator: Coordinator | None = None) -> Store:
    """The SQLite index at ``path``, or memory when there is no path or it cannot be written."""
    if path is None:
        return MemoryStore()
    coordinator = coordinator or Coordinator(path)
    deadline = time.monotonic() + _BUSY_PATIENCE
    while True:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Every worker opens the index at once: one at a time checks, creates or rebuilds it.
            with coordinator.opening():
                return SqliteStore(Path(path))
        except STORE_ERRORS as exc:
            if is_busy(exc) and time.monotonic() < deadline:
                log.warning("parse index %s is busy (%s): waiting for it", path, exc)
                time.sleep(1.0)
                continue
            log.warning("cannot keep a parse index at %s (%s): working in memory", path, exc)
            return MemoryStore()
