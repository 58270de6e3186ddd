"""Reading rows for many keys at once, in batches SQLite accepts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

# SQLite caps the parameters of one statement (SQLITE_MAX_VARIABLE_NUMBER: 999 before 3.32).
BATCH = 500


def select_in(conn: sqlite3.Connection, query: str, keys: Sequence[Any]) -> Iterator[Any]:
    """The rows of ``query``, whose ``{marks}`` is the list of an ``IN (…)``, for every key
    (a statement that returns none, an INSERT … SELECT, is run for every key too)."""
    for start in range(0, len(keys), BATCH):
        chunk = keys[start : start + BATCH]
        yield from conn.execute(query.format(marks=",".join("?" * len(chunk))), chunk)


def execute_in(conn: sqlite3.Connection, statement: str, keys: Sequence[Any]) -> None:
    """Run ``statement``, whose ``{marks}`` is the list of an ``IN (…)``, for every key."""
    for _ in select_in(conn, statement, keys):
        pass
