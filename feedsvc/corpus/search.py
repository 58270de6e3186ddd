"""Full-text search that ignores case and Vietnamese diacritics: SQLite FTS5.

Every published article's title, authors and body are indexed in a contentless FTS5 table with
``detail=none``: only which words are in which article, the smallest index FTS5 makes, which is
all an AND of words needs. FTS5's own unicode61 tokenizer lower-cases and, with
``remove_diacritics 2``, strips every mark of a Latin letter ('Đẩy' -> 'đay'), in C as it
indexes; only đ, which has no decomposition, and its look-alike ð are spelled d first
(:data:`feedsvc.articles.folding.D_LETTERS`). A query is folded by :func:`feedsvc.articles.folding.fold`
to the same words (on every article of the samples and the benchmark corpus, both give the same
words for the same articles). Its rowid is the
article's date (in 1/1024 s, plus a tie-breaker), so ``ORDER BY rowid DESC`` gives the newest
first without sorting the matches.

The words are taken from the stored article by SQL (:data:`_WORDS`), in the database's own
``bodies`` table: no process makes or sends them, and a contentless table, which forgets nothing by
itself, is given back exactly the words it was given when an article leaves (the same SQL on the
same stored bytes).

A first load does not wait for search: its articles wait in ``search_pending`` and :func:`catch_up`
takes them into FTS5 in rowid order, in steps, once the feeds are served. FTS5's tokenizer and
segment merges were half the index writer's CPU, and the feeds were served that much later. Until
the catch-up is over a search raises :class:`SearchNotReady`.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from collections.abc import Iterable

from feedsvc.articles.folding import D_LETTERS, fold
from feedsvc.corpus.sqlite_batches import execute_in, select_in

MAX_QUERY = 200  # characters: a longer query is refused
_TOKEN = re.compile(r"[a-z0-9]+")


def _spelled(expression: str) -> str:
    for char, plain in D_LETTERS.items():
        expression = f"replace({expression}, '{char}', '{plain.upper() if char.isupper() else plain}')"
    return expression


# An article's title, authors and body, D letters spelled d, from its stored JSON (store.encode) in
# bodies AS b: what FTS5 is given to index, and given back to forget. The separators are not words.
_RECORD = "CAST(b.article AS TEXT)"  # JSON functions read text (a blob is JSONB to SQLite 3.45)
_WORDS = ", ".join(_spelled(part) for part in (
    f"json_extract({_RECORD}, '$.title')",
    f"(SELECT group_concat(value, ' ; ') FROM json_each({_RECORD}, '$.authors'))",
    f"(SELECT group_concat(value, char(10)) FROM json_each({_RECORD}, '$.body'))",
))


class SearchNotReady(RuntimeError):
    """The search index is still taking in the articles of a first load."""


def query_terms(query: str) -> list[str]:
    """The folded words of a query ('Kinh tế ĐẮK HÀ' -> ['kinh', 'te', 'dak', 'ha'])."""
    return _TOKEN.findall(fold(query))


def create(conn: sqlite3.Connection) -> None:
    """The search tables, in a transaction the caller holds, beside the caller's ``bodies`` (name, article)."""
    conn.execute("CREATE VIRTUAL TABLE search USING fts5(title, authors, body, content='', detail=none,"
                 " tokenize='unicode61 remove_diacritics 2')")
    conn.execute("CREATE TABLE search_docs (name TEXT PRIMARY KEY, rowid INTEGER NOT NULL UNIQUE) WITHOUT ROWID")
    conn.execute("CREATE TABLE search_pending (rowid INTEGER PRIMARY KEY)")


def _wanted(name: str, date: float) -> int:
    return int(date) * 1024 + (zlib.crc32(name.encode("utf-8", "surrogatepass")) & 1023)


def remove(conn: sqlite3.Connection, names: Iterable[str]) -> None:
    """Take these files' articles out (those indexed), while their stored articles are still the old ones."""
    names = list(names)
    indexed: dict[str, int] = dict(
        select_in(conn, "SELECT name, rowid FROM search_docs WHERE name IN ({marks})", names))
    if not indexed:
        return
    # Those still waiting for the catch-up are only struck off: FTS5 has never seen them.
    waiting = {rowid for (rowid,) in select_in(
        conn, "SELECT rowid FROM search_pending WHERE rowid IN ({marks})", list(indexed.values()))}
    conn.executemany("DELETE FROM search_pending WHERE rowid = ?", [(rowid,) for rowid in sorted(waiting)])
    _feed(conn, sorted(rowid for rowid in indexed.values() if rowid not in waiting), forget=True)
    conn.executemany("DELETE FROM search_docs WHERE name = ?", [(name,) for name in indexed])


def add(conn: sqlite3.Connection, items: Iterable[tuple[str, float]], *, defer: bool = False) -> None:
    """Index articles, (file name, date) each, as stored now; the caller removed any earlier version
    first. ``defer``: leave them to :func:`catch_up` (a first load)."""
    found = [(_wanted(name, date), name) for name, date in items]
    # The rowids already taken, in one query: one lookup an article cost a first load of 100k
    # articles 3.4 s, the index's pages read in the files' (not the dates') order.
    taken = {rowid for (rowid,) in select_in(
        conn, "SELECT rowid FROM search_docs WHERE rowid IN ({marks})", [wanted for wanted, _ in found])}
    rows = []
    for wanted, name in found:
        while wanted in taken:
            wanted -= 1  # two articles of the same second and tie-breaker: the later one sorts just below
            if wanted not in taken and conn.execute("SELECT 1 FROM search_docs WHERE rowid = ?", (wanted,)).fetchone():
                taken.add(wanted)
        taken.add(wanted)
        rows.append((wanted, name))
    conn.executemany("INSERT INTO search_docs VALUES (?, ?)", [(name, rowid) for rowid, name in rows])
    rowids = sorted(rowid for rowid, _ in rows)
    if defer:
        conn.executemany("INSERT INTO search_pending VALUES (?)", [(rowid,) for rowid in rowids])
    else:
        _feed(conn, rowids)


def _feed(conn: sqlite3.Connection, rowids: list[int], *, forget: bool = False) -> None:
    """Give FTS5 the words of these indexed articles (``forget``: to take them out), ascending."""
    # In rowid order: FTS5 flushes its pending terms into a new segment whenever a rowid is not
    # above the last one written (fts5_index.c, sqlite3Fts5IndexBeginWrite), and files come in
    # name order, not date order. Unsorted, a first load made a segment an article: 2.7x the cost.
    command, what = ("search, ", "'delete', ") if forget else ("", "")
    execute_in(conn, f"INSERT INTO search({command}rowid, title, authors, body) SELECT {what}d.rowid, {_WORDS}"
               " FROM search_docs AS d JOIN bodies AS b ON b.name = d.name WHERE d.rowid IN ({marks})"
               " ORDER BY d.rowid", rowids)


def behind(conn: sqlite3.Connection) -> bool:
    """Whether articles of a first load still wait for :func:`catch_up`."""
    return conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is not None


def catch_up(conn: sqlite3.Connection, limit: int) -> bool:
    """Take up to ``limit`` waiting articles into FTS5, oldest first (see add()); True when none is left."""
    last = conn.execute("SELECT max(rowid) FROM (SELECT rowid FROM search_pending ORDER BY rowid LIMIT ?)",
                        (limit,)).fetchone()[0]
    if last is None:
        return True
    _feed(conn, [rowid for (rowid,) in conn.execute("SELECT rowid FROM search_pending WHERE rowid <= ?", (last,))])
    conn.execute("DELETE FROM search_pending WHERE rowid <= ?", (last,))
    return not behind(conn)


def find(conn: sqlite3.Connection, terms: list[str], limit: int, offset: int) -> tuple[list[str], int]:
    """(file names of the articles with every term, newest first, one page; how many in all)."""
    if not terms:
        return [], 0
    if behind(conn):
        raise SearchNotReady("search is not ready yet: the articles of the first load are still being indexed")
    match = " ".join(f'"{term}"' for term in terms)  # quoted: FTS5 syntax in a query is only text
    total = conn.execute("SELECT count(*) FROM search WHERE search MATCH ?", (match,)).fetchone()[0]
    rows = conn.execute(
        "SELECT d.name FROM search JOIN search_docs AS d ON d.rowid = search.rowid WHERE search MATCH ?"
        " ORDER BY search.rowid DESC LIMIT ? OFFSET ?", (match, limit, offset)).fetchall()
    return [name for (name,) in rows], int(total)
