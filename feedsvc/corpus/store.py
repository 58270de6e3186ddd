"""Where parsed articles live: the :class:`Store` protocol, the article codec and the memory store."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from feedsvc.articles import Article
from feedsvc.corpus import search
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.sqlite_batches import select_in

# What a failing store raises: the indexer then reopens or replaces it.
STORE_ERRORS = (sqlite3.Error, OSError)
# key -> (version, modified): when each versioned thing (a listing, the renderer) last changed,
# in whole seconds. See Indexer for how they move.
Clocks = dict[str, tuple[str, int]]


class Parsed(NamedTuple):
    """A file as read: its entry, and its article as :func:`encode` made it (None: no article)."""

    entry: FileEntry
    record: bytes | None


class Store(Protocol):
    """The parse index: every file's entry, its article, and a log of what changed."""

    @property
    def persistent(self) -> bool:
        """Shared with other processes and kept across restarts."""

    @property
    def path(self) -> Path | None:
        """The file it lives in (None: memory)."""

    def rows(self) -> list[FileEntry]: ...

    def put(self, items: list[Parsed], seen: dict[str, float] | None = None) -> None:
        """Store files as read, and the first-seen times of ids new to the index."""

    def search(self, terms: list[str], limit: int, offset: int) -> tuple[list[str], int]:
        """File names of the articles with every folded term, newest first, and how many in all.
        Raises :class:`search.SearchNotReady` while a first load's words wait."""

    def search_behind(self) -> bool:
        """Whether a first load's words still wait for :meth:`catch_up_search`."""

    def catch_up_search(self, limit: int) -> bool:
        """Index up to ``limit`` articles a first load left to search; True when none is left."""

    def filling(self) -> AbstractContextManager[None]:
        """Around the puts of a first load into an empty store: durable at the end, not at each put."""

    def seen(self, ids: list[str]) -> dict[str, float]:
        """When each of these ids was first published (ids never seen are missing)."""

    def clocks(self) -> Clocks: ...

    def set_clocks(self, clocks: Clocks) -> None:
        """Store these clocks (the others stay) and tell the followers."""

    def delete(self, entries: list[FileEntry]) -> None: ...

    def articles(self, names: list[str]) -> dict[str, Article]:
        """The stored articles of these files, by file name."""

    def last_change(self) -> int:
        """The sequence number of the latest change (0: none yet)."""

    def changed_since(self, seq: int) -> tuple[int, dict[str, FileEntry | None] | None]:
        """(latest seq, {file: its entry, or None if deleted}) after ``seq``; None when the log is too short."""

    def set_note(self, key: str, value: str, *, notify: bool = True) -> None:
        """Keep a small text in the index; ``notify``: move the change log so followers look."""

    def note(self, key: str) -> str | None: ...

    def is_current(self) -> bool:
        """Whether the store is still the one at its path (not deleted or replaced)."""

    def generation(self) -> int:
        """A number that changes whenever another process commits (cheap enough to poll)."""

    def ack(self, pid: int, seq: int) -> None:
        """Record that process ``pid`` serves every change up to ``seq``."""

    def acks(self) -> dict[int, int]:
        """Every process's last :meth:`ack`."""

    def forget_acks(self, pids: list[int]) -> None: ...


def encode(article: Article) -> bytes:
    """An article as the JSON the index stores, in UTF-8.

    Bytes, not text: a helper process sends them as they are (unpickling 100k articles' text
    decoded it all again, 2 s of the index writer's CPU), and SQLite stores them without encoding.
    """
    record = article.to_json()
    record.update(body=list(article.body), source=article.source)
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(raw: bytes | str) -> Article:
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

    persistent = False  # nothing survives the process, and no other process sees it
    path: Path | None = None

    def __init__(self) -> None:
        self._rows: dict[str, FileEntry] = {}
        self._notes: dict[str, str] = {}
        self._seen: dict[str, float] = {}
        self._clocks: Clocks = {}
        # The articles and their search index in a private in-memory database: the same SQL as the index file's.
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("CREATE TABLE bodies (name TEXT PRIMARY KEY, article BLOB NOT NULL)")
        search.create(self._db)

    def rows(self) -> list[FileEntry]:
        return list(self._rows.values())

    def put(self, items: list[Parsed], seen: dict[str, float] | None = None) -> None:
        for article_id, moment in (seen or {}).items():
            self._seen.setdefault(article_id, moment)
        with self._lock:
            search.remove(self._db, [entry.name for entry, _ in items])
            self._db.executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?)",
                                 [(entry.name, record) for entry, record in items if record is not None])
            self._db.executemany("DELETE FROM bodies WHERE name = ?",
                                 [(entry.name,) for entry, record in items if record is None])
            search.add(self._db, [(entry.name, entry.date) for entry, record in items
                                  if record is not None and entry.publishable])
        for entry, _ in items:
            self._rows[entry.name] = entry

    def filling(self) -> AbstractContextManager[None]:
        return nullcontext()  # memory is never durable

    def seen(self, ids: list[str]) -> dict[str, float]:
        return {i: self._seen[i] for i in ids if i in self._seen}

    def clocks(self) -> Clocks:
        return dict(self._clocks)

    def set_clocks(self, clocks: Clocks) -> None:
        self._clocks.update(clocks)

    def delete(self, entries: list[FileEntry]) -> None:
        with self._lock:
            search.remove(self._db, [entry.name for entry in entries])
            self._db.executemany("DELETE FROM bodies WHERE name = ?", [(entry.name,) for entry in entries])
        for entry in entries:
            self._rows.pop(entry.name, None)

    def search(self, terms: list[str], limit: int, offset: int) -> tuple[list[str], int]:
        with self._lock:
            return search.find(self._db, terms, limit, offset)

    def search_behind(self) -> bool:
        return False  # memory never defers: it has no filling()

    def catch_up_search(self, limit: int) -> bool:
        return True

    def articles(self, names: list[str]) -> dict[str, Article]:
        with self._lock:
            found = list(select_in(self._db, "SELECT name, article FROM bodies WHERE name IN ({marks})", names))
        return {name: decode(raw) for name, raw in found}

    def last_change(self) -> int:
        return 0  # nobody follows a private store

    def changed_since(self, seq: int) -> tuple[int, dict[str, FileEntry | None] | None]:
        return 0, {}

    def set_note(self, key: str, value: str, *, notify: bool = True) -> None:
        self._notes[key] = value

    def note(self, key: str) -> str | None:
        return self._notes.get(key)

    def is_current(self) -> bool:
        return True

    def generation(self) -> int:
        return 0

    def ack(self, pid: int, seq: int) -> None:
        pass  # nobody follows a private store: there is no one to wait for

    def acks(self) -> dict[int, int]:
        return {}

    def forget_acks(self, pids: list[int]) -> None:
        pass
