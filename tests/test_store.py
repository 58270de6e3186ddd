"""The stores behind the Store protocol: the memory one and the SQLite one behave alike, and
open_store picks, waits for, rebuilds or gives up an index file as its docstring says."""

from __future__ import annotations

import gc
import os
import pickle
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.articles import Article
from feedsvc.articles.dates import VN_TZ
from feedsvc.corpus import sqlite_schema, sqlite_store
from feedsvc.corpus.entry import FileEntry
from feedsvc.corpus.sqlite_store import SqliteStore, open_store
from feedsvc.corpus.store import MemoryStore, Parsed, encode

WHEN = datetime(2024, 3, 3, 8, 30, tzinfo=VN_TZ)


def article(article_id: str, title: str = "Nông dân thu hoạch cà phê", **fields) -> Article:
    values = dict(id=article_id, title=title, category="Kinh tế", category_slug="kinh-te",
                  authors=("Hồng Hạnh", "Minh Châu"), body=("Đoạn một.", "Đoạn hai có “ngoặc kép”."),
                  summary="Đoạn một.", published=WHEN, date_precision="day", warnings=("a guess",), source="TTXVN")
    values.update(fields)
    return Article(**values)


def parsed(name: str, art: Article | None = None) -> Parsed:
    """A file as the source would read it: an article (published) or none (skipped)."""
    if art is None:
        return Parsed(FileEntry(name, 10, 11, 12, error="empty file: no text at all", mtime=1_700_000_000.5), None)
    entry = FileEntry(name, 1234, -5_000_000_000_000, 2**62 + 7, art.id, art.category, art.category_slug,
                      art.published.timestamp() if art.published else None, mtime=1_700_000_000.25,
                      first_seen=1_700_000_100.0, changed_at=1_700_000_200.0, warnings=len(art.warnings),
                      authors=art.authors)
    return Parsed(entry, encode(art))


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "index.sqlite3")


@pytest.fixture
def path(tmp_path):
    return tmp_path / "index.sqlite3"


# -- the protocol, both stores ---------------------------------------------------------------------


def test_put_then_rows_and_articles_give_back_exactly_what_was_put(store):
    items = [parsed("a.txt", article("a")), parsed("b.txt", article("b", published=None, authors=())),
             parsed("c.txt")]
    store.put(items)
    assert sorted(store.rows(), key=lambda e: e.name) == [item.entry for item in items]
    found = store.articles(["a.txt", "b.txt", "c.txt", "missing.txt"])
    assert found == {"a.txt": article("a"), "b.txt": article("b", published=None, authors=())}
    assert found["a.txt"].published.utcoffset() == WHEN.utcoffset()


def test_what_is_put_while_filling_is_there_after_it_and_in_another_connection(store):
    with store.filling():
        store.put([parsed("a.txt", article("a"))])
        store.put([parsed("b.txt", article("b"))])
    assert set(store.articles(["a.txt", "b.txt"])) == {"a.txt", "b.txt"}
    if store.persistent:
        other = sqlite3.connect(store.path)
        assert other.execute("SELECT count(*) FROM files").fetchone() == (2,)
        other.close()


def test_filling_skips_fsync_until_its_end_and_ends_checkpointed_even_on_error(path):
    store = SqliteStore(path)
    conn = store._connect()
    assert conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL: the running service's
    with pytest.raises(RuntimeError), store.filling():
        assert conn.execute("PRAGMA synchronous").fetchone() == (0,)  # OFF: no fsync at each checkpoint
        store.put([parsed("a.txt", article("a"))])
        raise RuntimeError("a helper died")
    assert conn.execute("PRAGMA synchronous").fetchone() == (1,)
    with store.filling():
        store.put([parsed("b.txt", article("b"))])
    # Every frame of the write-ahead log is in the database file: (not busy, frames, checkpointed).
    busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and frames == done


def test_put_again_replaces_the_entry_and_an_unpublished_version_drops_the_article(store):
    store.put([parsed("a.txt", article("a"))])
    store.put([parsed("a.txt", article("a", title="Tựa mới"))])
    assert store.articles(["a.txt"])["a.txt"].title == "Tựa mới"
    store.put([parsed("a.txt")])
    assert store.articles(["a.txt"]) == {}
    assert [(e.name, e.error) for e in store.rows()] == [("a.txt", "empty file: no text at all")]


def test_delete_takes_entries_and_articles_out_and_ignores_unknown_files(store):
    store.put([parsed("a.txt", article("a")), parsed("b.txt", article("b"))])
    store.delete([parsed("a.txt", article("a")).entry, FileEntry("never.txt", 0, 0, 0)])
    assert [e.name for e in store.rows()] == ["b.txt"]
    assert list(store.articles(["a.txt", "b.txt"])) == ["b.txt"]


def test_articles_of_many_names_at_once(store):
    # More names than one SQL statement takes (the store reads them 500 at a time).
    store.put([parsed(f"{n:04d}.txt", article(f"{n:04d}")) for n in range(620)])
    found = store.articles([f"{n:04d}.txt" for n in range(0, 700)])
    assert sorted(found) == [f"{n:04d}.txt" for n in range(620)]
    assert found["0619.txt"].id == "0619"


def test_the_first_seen_time_of_an_id_is_the_first_one_written_and_outlives_its_file(store):
    store.put([parsed("a.txt", article("a"))], {"a": 100.0})
    store.put([parsed("a.txt", article("a")), parsed("b.txt", article("b"))], {"a": 200.0, "b": 300.0})
    assert store.seen(["a", "b", "c"]) == {"a": 100.0, "b": 300.0}
    store.delete([parsed("a.txt", article("a")).entry])
    assert store.seen(["a"]) == {"a": 100.0}  # an id that comes back keeps its date
    store.put([], {f"id{n}": float(n) for n in range(1100)})
    found = store.seen([f"id{n}" for n in range(1100)] + ["nope"])
    assert len(found) == 1100 and found["id1099"] == 1099.0


def test_clocks_are_merged_key_by_key(store):
    assert store.clocks() == {}
    store.set_clocks({"listing:": ("v1", 10), "renderer": ("r", 5)})
    store.set_clocks({"listing:": ("v2", 11), "listing:kinh-te": ("k", 11)})
    store.set_clocks({})
    assert store.clocks() == {"listing:": ("v2", 11), "renderer": ("r", 5), "listing:kinh-te": ("k", 11)}


def test_notes_are_kept_and_replaced(store):
    assert store.note("scan") is None
    store.set_note("scan", '{"skips": {}}')
    store.set_note("scan", '{"skips": {"x.txt": "why"}}', notify=False)
    assert store.note("scan") == '{"skips": {"x.txt": "why"}}'
    assert store.note("other") is None


# -- what only the shared store does: the change log, acks, generation --------------------------------


def test_a_memory_store_has_nobody_to_tell():
    store = MemoryStore()
    store.put([parsed("a.txt", article("a"))])
    store.set_note("scan", "x")
    store.ack(1, 5)
    assert (store.persistent, store.path, store.last_change(), store.changed_since(0)) == (False, None, 0, (0, {}))
    assert store.acks() == {} and store.generation() == 0 and store.is_current()


def test_the_change_log_names_every_file_written_or_deleted(path):
    store = SqliteStore(path)
    assert store.persistent and store.path == path
    assert store.last_change() == 0 and store.changed_since(0) == (0, {})
    a, b = parsed("a.txt", article("a")), parsed("b.txt")
    store.put([a, b])
    after_put = store.last_change()
    store.delete([a.entry])
    last, found = store.changed_since(0)
    assert last == store.last_change() > after_put
    assert found == {"a.txt": None, "b.txt": b.entry}
    assert store.changed_since(after_put) == (last, {"a.txt": None})
    assert store.changed_since(last) == (last, {})


def test_clocks_and_notes_move_the_log_only_when_asked(path):
    store = SqliteStore(path)
    start = store.last_change()
    store.set_note("scan", "one", notify=False)
    assert store.last_change() == start
    store.set_note("scan", "two")
    moved = store.last_change()
    assert moved > start
    store.set_note("scan", "two")  # the same text: nobody needs to look again
    assert store.last_change() == moved
    store.set_clocks({"renderer": ("r", 1)})
    assert store.last_change() > moved
    # A change that names no file: a follower sees the sequence move, and no file.
    assert store.changed_since(moved) == (store.last_change(), {"": None})


def test_a_reader_behind_a_trimmed_log_is_told_to_reread_everything(path, monkeypatch):
    monkeypatch.setattr(sqlite_schema, "CHANGES_KEPT", 2)
    store = SqliteStore(path)
    for n in range(5):
        store.put([parsed(f"{n}.txt", article(str(n)))])
    last = store.last_change()
    assert store.changed_since(0) == (last, None)
    assert store.changed_since(last - 3) == (last, None)  # change last - 2 is gone from the log
    assert store.changed_since(last - 2) == (last, {f"{n}.txt": parsed(f"{n}.txt", article(str(n))).entry
                                                    for n in (3, 4)})


def test_acks_are_one_per_process_and_can_be_forgotten(path):
    store = SqliteStore(path)
    store.ack(101, 5)
    store.ack(202, 7)
    store.ack(101, 9)
    assert store.acks() == {101: 9, 202: 7}
    store.forget_acks([101, 303])
    assert store.acks() == {202: 7}
    assert SqliteStore(path).acks() == {202: 7}  # shared: another connection reads the same


def test_generation_moves_when_another_connection_commits(path):
    watcher, writer = SqliteStore(path), SqliteStore(path)
    before = watcher.generation()
    assert watcher.generation() == before  # nothing happened: polling is stable
    writer.put([parsed("a.txt", article("a"))])
    after = watcher.generation()
    assert after != before
    writer.ack(1, 1)
    assert watcher.generation() != after
    # And the reader sees the other connection's rows at once.
    assert [e.name for e in watcher.rows()] == ["a.txt"]


def test_a_deleted_or_replaced_index_file_is_no_longer_current(path):
    store = SqliteStore(path)
    assert store.is_current()
    path.unlink()
    assert not store.is_current()
    SqliteStore(path)  # a new file at the same path
    assert not store.is_current()


def test_a_restart_finds_everything_the_last_process_wrote(path):
    store = SqliteStore(path)
    store.put([parsed("a.txt", article("a"))], {"a": 42.0})
    store.set_clocks({"renderer": ("r", 3)})
    store.set_note("scan", "kept")
    again = SqliteStore(path)
    assert again.rows() == store.rows() and again.articles(["a.txt"]) == store.articles(["a.txt"])
    assert (again.seen(["a"]), again.clocks(), again.note("scan")) == ({"a": 42.0}, {"renderer": ("r", 3)}, "kept")


def test_an_index_of_another_layout_is_emptied_not_trusted(path, monkeypatch):
    SqliteStore(path).put([parsed("a.txt", article("a"))])
    monkeypatch.setattr(sqlite_store, "SCHEMA", sqlite_store.SCHEMA + "-next")
    store = SqliteStore(path)
    assert store.rows() == [] and store.articles(["a.txt"]) == {}
    assert store.search(["ca", "phe"], 10, 0) == ([], 0)


# -- open_store --------------------------------------------------------------------------------------


def test_no_path_is_a_memory_store():
    assert isinstance(open_store(None), MemoryStore)


@pytest.mark.parametrize("junk", [b"this is not a database" * 100, b"SQLite format 3\x00" + b"\xff" * 4000],
                         ids=["text", "bad-header"])
def test_a_corrupt_index_file_is_rebuilt(path, junk):
    path.write_bytes(junk)
    store = open_store(path)
    assert isinstance(store, SqliteStore) and store.persistent
    assert store.rows() == []
    store.put([parsed("a.txt", article("a"))])
    assert [e.name for e in SqliteStore(path).rows()] == ["a.txt"]


# The rollback-journal case waits as long again for the same code path: end to end only.
@pytest.mark.e2e  # waits out another connection's lock
@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_an_index_another_connection_holds_exclusively_is_waited_for_never_rebuilt(path, journal):
    # A worker writing a big batch holds the file for a while: the next one to open it waits,
    # and never takes "locked" for "corrupt" (which would delete every other worker's index).
    first = SqliteStore(path)
    first.put([parsed("a.txt", article("a"))], {"a": 1.0})
    del first
    gc.collect()  # close its connection, so the holder below may change the journal mode
    inode = os.stat(path).st_ino
    held = threading.Event()
    released: list[float] = []

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        if journal == "delete":  # a rollback journal: then even readers are locked out
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("BEGIN EXCLUSIVE")
        held.set()
        time.sleep(1.5)
        released.append(time.monotonic())
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    store = open_store(path)
    returned = time.monotonic()
    holder.join(10)
    assert released and returned > released[0], "open_store returned while the file was still held"
    assert isinstance(store, SqliteStore) and store.persistent
    assert os.stat(path).st_ino == inode
    assert [e.name for e in store.rows()] == ["a.txt"] and store.seen(["a"]) == {"a": 1.0}


@pytest.mark.parametrize("where", ["under-a-file", "a-directory"])
def test_an_index_path_that_cannot_be_a_file_gives_a_memory_store(tmp_path, where):
    blocker = tmp_path / "blocker"
    if where == "under-a-file":
        blocker.write_text("x")
        path = blocker / "sub" / "index.sqlite3"
    else:
        blocker.mkdir()
        path = blocker
    store = open_store(path)
    assert isinstance(store, MemoryStore)
    store.put([parsed("a.txt", article("a"))])
    assert [e.name for e in store.rows()] == ["a.txt"]
    assert blocker.is_dir() == (where == "a-directory")  # nothing was deleted to make room


entries = st.builds(
    FileEntry, st.text(max_size=20), st.integers(0, 2**40), st.integers(-2**63, 2**63 - 1), st.integers(0, 2**63 - 1),
    st.none() | st.text(max_size=10), st.none() | st.text(max_size=10), st.none() | st.text(max_size=10),
    st.none() | st.floats(allow_nan=False), st.none() | st.text(max_size=10), st.floats(allow_nan=False),
    st.none() | st.floats(allow_nan=False), st.floats(allow_nan=False), st.integers(0, 99),
    st.tuples() | st.tuples(st.text(max_size=8)) | st.tuples(st.text(max_size=8), st.text(max_size=8)))


@given(entries, st.none() | st.floats(allow_nan=False), st.floats(allow_nan=False))
def test_an_entry_goes_to_and_from_a_helper_and_is_stamped_whole(entry, first_seen, changed_at):
    # Both copy the fields by hand (for speed): a field added to FileEntry and forgotten fails here.
    assert pickle.loads(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)) == entry
    assert entry.stamped(first_seen, changed_at) == replace(entry, first_seen=first_seen, changed_at=changed_at)
