"""Full-text search that ignores case and Vietnamese diacritics: SQLite FTS5.

Every published article's title, authors and body are indexed in a contentless FTS5 table with
``detail=none``: only which words are in which article, the smallest index FTS5 makes, which is
all an AND of words needs. FTS5's own unicode61 tokenizer lower-cases and, with
``remove_diacritics 2``, strips every mark of a Latin letter ('Đẩy' -> 'đay'), in C as it
indexes; only đ, which has no decomposition, and its look-alike ð are spelled d first
(:func:`feedsvc.articles.folding.spell_d`). A query is folded by :func:`feedsvc.articles.folding.fold`
to the same words (on every article of the samples and the benchmark corpus, both give the same
words for the same articles). Its rowid is the
article's date (in 1/1024 s, plus a tie-breaker), so ``ORDER BY rowid DESC`` gives the newest
first without sorting the matches. A contentless table forgets nothing by itself: to take an
article out, the words it was indexed with are given back, made again from the stored article.

A first load does not wait for search: the words wait in ``search_pending`` (a plain insert) and
:func:`catch_up` moves them into FTS5 in rowid order, in steps, once the feeds are served. FTS5's
tokenizer and segment merges were half the index writer's CPU, and the feeds were served that
much later. Until the catch-up is over a search raises :class:`SearchNotReady`.
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from collections.abc import Callable, Iterable
from typing import NamedTuple

from feedsvc.articles import Article
from feedsvc.articles.folding import fold, spell_d
from feedsvc.corpus.sqlite_batches import select_in

MAX_QUERY = 200  # characters: a longer query is refused
_TOKEN = re.compile(r"[a-z0-9]+")


class SearchNotReady(RuntimeError):
    """The search index is still taking in the articles of a first load."""


class Words(NamedTuple):
    """What an article is found by: its text, as the tokenizer reads it."""

    title: str
    authors: str
    body: str


def words_of(article: Article) -> Words:
    # The tokenizer folds; folding here too cost the helpers 0.26 ms an article, a fifth of a cold index.
    # unicode61 keeps the D letters (none decomposes): they are spelled d first.
    return Words(spell_d(article.title), spell_d(" ; ".join(article.authors)), spell_d("\n".join(article.body)))


def query_terms(query: str) -> list[str]:
    """The folded words of a query ('Kinh tế ĐẮK HÀ' -> ['kinh', 'te', 'dak', 'ha'])."""
    return _TOKEN.findall(fold(query))


def create(conn: sqlite3.Connection) -> None:
    """The search tables, in a transaction the caller holds."""
    conn.execute("CREATE VIRTUAL TABLE search USING fts5(title, authors, body, content='', detail=none,"
                 " tokenize='unicode61 remove_diacritics 2')")
    conn.execute("CREATE TABLE search_docs (name TEXT PRIMARY KEY, rowid INTEGER NOT NULL UNIQUE) WITHOUT ROWID")
    conn.execute("CREATE TABLE search_pending (rowid INTEGER PRIMARY KEY, title TEXT, authors TEXT, body TEXT)")


def _wanted(name: str, date: float) -> int:
    return int(date) * 1024 + (zlib.crc32(name.encode("utf-8", "surrogatepass")) & 1023)


def remove(conn: sqlite3.Connection, names: Iterable[str], old_words: Callable[[list[str]], dict[str, Words]]) -> None:
    """Take these files' articles out (those indexed), given how to make their words again from the stored articles."""
    names = list(names)
    indexed: dict[str, int] = dict(
        select_in(conn, "SELECT name, rowid FROM search_docs WHERE name IN ({marks})", names))
    if not indexed:
        return
    # Words still waiting for the catch-up are only deleted: FTS5 has never seen them.
    waiting = {rowid for (rowid,) in select_in(
        conn, "SELECT rowid FROM search_pending WHERE rowid IN ({marks})", list(indexed.values()))}
    conn.executemany("DELETE FROM search_pending WHERE rowid = ?", [(rowid,) for rowid in sorted(waiting)])
    taken_in = [name for name, rowid in indexed.items() if rowid not in waiting]
    words = old_words(taken_in) if taken_in else {}
    conn.executemany("INSERT INTO search(search, rowid, title, authors, body) VALUES ('delete', ?, ?, ?, ?)",
                     sorted((indexed[name], *words[name]) for name in taken_in if name in words))  # see add()
    conn.executemany("DELETE FROM search_docs WHERE name = ?", [(name,) for name in indexed])


def add(conn: sqlite3.Connection, items: Iterable[tuple[str, float, Words]], *, defer: bool = False) -> None:
    """Index articles: (file name, date, words); the caller removed any earlier version first.
    ``defer``: leave their words for :func:`catch_up` (a first load)."""
    found = [(_wanted(name, date), name, words) for name, date, words in items]
    # The rowids already taken, in one query: one lookup an article cost a first load of 100k
    # articles 3.4 s, the index's pages read in the files' (not the dates') order.
    taken = {rowid for (rowid,) in select_in(
        conn, "SELECT rowid FROM search_docs WHERE rowid IN ({marks})", [wanted for wanted, _, _ in found])}
    rows = []
    for wanted, name, words in found:
        while wanted in taken:
            wanted -= 1  # two articles of the same second and tie-breaker: the later one sorts just below
            if wanted not in taken and conn.execute("SELECT 1 FROM search_docs WHERE rowid = ?", (wanted,)).fetchone():
                taken.add(wanted)
        taken.add(wanted)
        rows.append((wanted, name, words))
    conn.executemany("INSERT INTO search_docs VALUES (?, ?)", [(name, rowid) for rowid, name, _ in rows])
    # In rowid order: FTS5 flushes its pending terms into a new segment whenever a rowid is not
    # above the last one written (fts5_index.c, sqlite3Fts5IndexBeginWrite), and files come in
    # name order, not date order. Unsorted, a first load made a segment an article: 2.7x the cost.
    table = "search_pending" if defer else "search"
    conn.executemany(f"INSERT INTO {table}(rowid, title, authors, body) VALUES (?, ?, ?, ?)",
                     sorted((rowid, *words) for rowid, _, words in rows))


def behind(conn: sqlite3.Connection) -> bool:
    """Whether words of a first load still wait for :func:`catch_up`."""
    return conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is not None


def catch_up(conn: sqlite3.Connection, limit: int) -> bool:
    """Move up to ``limit`` waiting articles into FTS5, oldest first (see add()); True when none is left."""
    last = conn.execute("SELECT max(rowid) FROM (SELECT rowid FROM search_pending ORDER BY rowid LIMIT ?)",
                        (limit,)).fetchone()[0]
    if last is None:
        return True
    conn.execute("INSERT INTO search(rowid, title, authors, body)"
                 " SELECT rowid, title, authors, body FROM search_pending WHERE rowid <= ? ORDER BY rowid", (last,))
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
