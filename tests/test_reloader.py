"""The reloader and its watcher on a real folder, in real threads: what is written shows up within
two seconds, what is still being written does not, and every listener hears of each change."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from feedsvc.corpus import indexer as indexer_module
from feedsvc.corpus.catalog import Catalog, UnknownArticle
from feedsvc.corpus.coordination import Coordinator
from feedsvc.corpus.indexer import FILLING_FROM, Changes, Indexer
from feedsvc.corpus.listings import ALL
from feedsvc.corpus.reloader import Reloader
from feedsvc.corpus.search import SearchNotReady
from feedsvc.corpus.source import FolderSource
from feedsvc.corpus.sqlite_store import open_store
from feedsvc.corpus.store import MemoryStore

SLUGS = {ALL, "kinh-te", "author:hong-hanh", "author:minh-chau"}
LAST_LINE = "Giá cà phê năm nay tăng cao nhờ thời tiết thuận lợi."


def text(title: str) -> bytes:
    return (f" date 2024-03-03 Kinh tế {title}\n\n(kontumtv.vn) – Sáng 3/3, nông dân xã Đắk Hà thu hoạch cà phê."
            f"\n\n{LAST_LINE}\n\nHồng Hạnh - Minh Châu\n").encode()


def write_atomically(path, data: bytes, mtime: float | None = None) -> None:
    temp = path.parent / f".{path.name}.tmp"  # a dot file: not an article until renamed
    temp.write_bytes(data)
    if mtime is not None:
        os.utime(temp, (mtime, mtime))
    os.replace(temp, path)


def until(condition, timeout: float, pause: float = 0.02):
    """Poll ``condition`` until it is true (its value) or ``timeout`` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found or time.monotonic() > deadline:
            return found or None
        time.sleep(pause)


def published(catalog: Catalog, article_id: str) -> bool:
    try:
        catalog.get(article_id)
    except UnknownArticle:
        return False
    return True


class Heard:
    """A listener that keeps every Changes it is given."""

    def __init__(self) -> None:
        self.changes: list[Changes] = []

    def __call__(self, changes: Changes) -> None:
        self.changes.append(changes)

    def touching(self, slug: str) -> list[Changes]:
        return [c for c in self.changes if slug in c.touched]


@pytest.fixture
def start(folder):
    """Start a reloader on the folder (a memory store: this process scans alone); stopped after."""
    running: list[Reloader] = []

    def start(*listeners, interval: float = 5.0, watch: bool = True, store=None, coordinator=None) -> Reloader:
        catalog = Catalog(FolderSource(folder), store or MemoryStore())
        reloader = Reloader(Indexer(catalog, coordinator, workers=1), interval, listeners, watch=watch)
        running.append(reloader)
        reloader.start()
        assert catalog.ready.wait(10), "the first load never finished"
        if watch and not catalog.store.persistent:
            assert until(lambda: watching(reloader), 5), "the folder is not watched"
        return reloader

    yield start
    for reloader in running:
        reloader.stop()  # waits for its thread
    assert not [t for t in threading.enumerate() if t.name == "feedsvc-reloader"], "a reloader did not stop"


def watching(reloader: Reloader) -> bool:
    # The watcher starts just after the first load; a file written before it starts waits for the
    # next full scan, so the tests that time event delivery wait for it (inotify is set up by then).
    watcher = reloader._watcher
    return watcher is not None and watcher.watching and watcher.still_the_folder()


def test_a_file_written_atomically_is_published_within_two_seconds(start, folder):
    heard = Heard()
    reloader = start(heard)
    write_atomically(folder / "new.txt", text("Bài mới"), mtime=1_700_000_000.0)
    assert until(lambda: published(reloader.indexer.catalog, "new"), 2), "not published within 2 s"
    change = until(lambda: heard.touching("kinh-te"), 1)[0]
    assert change.touched == SLUGS and change.parsed == 1 and change.removed == 0
    assert change.newest_mtime == 1_700_000_000.0
    assert not change.source_wide  # the event named the file: nothing else was looked at


@pytest.mark.e2e  # waits on real file events
def test_a_file_still_being_written_is_published_only_once_closed(start, folder):
    reloader = start()
    catalog = reloader.indexer.catalog
    data = text("Bài viết dở dang")
    with open(folder / "slow.txt", "wb") as handle:
        handle.write(data[: len(data) // 2])
        handle.flush()
        began = time.monotonic()
        while time.monotonic() - began < 0.8:  # a slow writer pauses, the file open
            # (The empty file its creation left may have been read: that publishes nothing.)
            entry = catalog.entry("slow.txt")
            assert entry is None or not entry.publishable, "a half-written file was published"
            time.sleep(0.05)
        handle.write(data[len(data) // 2 :])
    assert until(lambda: published(catalog, "slow"), 2), "not published within 2 s of being closed"
    assert catalog.get("slow").body[-1] == LAST_LINE


def test_a_deleted_file_leaves_the_listings(start, folder):
    (folder / "old.txt").write_bytes(text("Bài cũ"))
    heard = Heard()
    reloader = start(heard)
    catalog = reloader.indexer.catalog
    assert published(catalog, "old") and heard.changes[0].touched == SLUGS  # the first load is heard too
    (folder / "old.txt").unlink()
    assert until(lambda: not published(catalog, "old"), 2), "still published 2 s after deletion"
    change = until(lambda: [c for c in heard.changes[1:] if c.removed], 1)[0]
    assert change.removed == 1 and change.touched == SLUGS
    assert catalog.count(ALL) == 0 and catalog.categories() == [] and catalog.authors() == []


def test_a_listener_that_fails_stops_neither_the_others_nor_the_reloader(start, folder, caplog):
    def broken(changes: Changes) -> None:
        raise RuntimeError("listener bug")

    heard = Heard()
    reloader = start(broken, heard)
    for n in (1, 2):
        write_atomically(folder / f"{n}.txt", text(f"Bài số {n}"))
        assert until(lambda n=n: published(reloader.indexer.catalog, str(n)), 2), f"{n}.txt not published"
    assert until(lambda: len(heard.touching("kinh-te")) == 2, 1)
    assert "a corpus listener failed" in caplog.text and "listener bug" in caplog.text


@pytest.mark.e2e  # waits for interval scans
def test_where_the_folder_is_not_watched_it_is_scanned_on_the_interval(start, folder):
    heard = Heard()
    reloader = start(heard, interval=0.5, watch=False)
    write_atomically(folder / "new.txt", text("Bài mới"))
    assert until(lambda: published(reloader.indexer.catalog, "new"), 2), "not found by the interval scans"
    assert until(lambda: heard.touching("kinh-te"), 1)[0].source_wide


@pytest.mark.e2e  # waits for two full scans, a second apart
def test_a_replaced_folder_is_watched_again_after_a_full_scan(start, folder, tmp_path):
    (folder / "before.txt").write_bytes(text("Bài trước"))
    heard = Heard()
    reloader = start(heard, interval=1.0)
    catalog = reloader.indexer.catalog
    assert published(catalog, "before")
    scans = len([c for c in heard.changes if c.source_wide])
    # A deploy swaps the whole folder: the watch still points at the old one.
    os.rename(folder, tmp_path / "corpus.old")
    folder.mkdir()
    (folder / "after.txt").write_bytes(text("Bài sau"))
    # The next full scan reads the new folder and notices the swap; the one after it runs with
    # the new watch in place (and the next is minutes away).
    assert until(lambda: len([c for c in heard.changes if c.source_wide]) >= scans + 2, 8), "no full scans"
    assert published(catalog, "after") and not published(catalog, "before")
    write_atomically(folder / "later.txt", text("Bài sau nữa"))
    assert until(lambda: published(catalog, "later"), 2), "the new folder is not watched"
    assert not until(lambda: heard.touching("kinh-te")[-1], 1).source_wide


def test_a_worker_that_follows_the_index_hears_the_scanners_changes(start, folder, tmp_path):
    path = tmp_path / "index.sqlite3"
    heard = {}
    reloaders = []
    for name in ("one", "two"):  # two workers: one lock file each, as two processes would have
        coordinator = Coordinator(path)
        heard[name] = Heard()
        reloaders.append(start(heard[name], store=open_store(path, coordinator), coordinator=coordinator))

    def scanner():
        return next(r for r in reloaders if r.scanning)

    assert until(lambda: sum(r.scanning for r in reloaders) == 1 and watching(scanner()), 5), "no one scans"
    follower = next(r for r in reloaders if not r.scanning)
    write_atomically(folder / "new.txt", text("Bài mới"), mtime=1_700_000_000.0)
    for reloader in reloaders:
        assert until(lambda r=reloader: published(r.indexer.catalog, "new"), 3), "not published by every worker"
    follows = heard["one" if follower is reloaders[0] else "two"]
    change = until(lambda: follows.touching("kinh-te"), 1)[0]
    assert (change.synced, change.parsed, change.touched, change.newest_mtime) == (1, 0, SLUGS, 1_700_000_000.0)
    # The follower says how far it got, so the scanner knows every worker serves the change.
    store = follower.indexer.catalog.store
    assert until(lambda: store.acks().get(os.getpid()) == store.last_change(), 2)


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.INFO, logger="feedsvc")


@pytest.mark.e2e  # a catch-up made to last seconds
def test_after_a_first_load_search_catches_up_in_steps_while_new_files_are_published(
        start, folder, tmp_path, monkeypatch):
    # A first load into an empty index leaves search to catch up once the feeds are served (see
    # corpus.search); two articles a step make the catch-up long enough to write a file during it.
    monkeypatch.setattr(indexer_module, "SEARCH_STEP", 2)
    for n in range(FILLING_FROM):
        (folder / f"{n:04d}.txt").write_bytes(text(f"Tin số {n}"))
    reloader = start(store=open_store(tmp_path / "index.sqlite3"))
    catalog = reloader.indexer.catalog
    assert len(catalog) == FILLING_FROM and catalog.search_behind()
    with pytest.raises(SearchNotReady):
        catalog.search("tin so", 10)
    write_atomically(folder / "moi.txt", text("Tin mới nhất"))
    assert until(lambda: published(catalog, "moi"), 5), "a new file waited for the search catch-up"
    assert catalog.search_behind(), "the catch-up ended before the test could see a file published during it"
    assert until(lambda: not catalog.search_behind(), 120), "search never caught up"
    articles, total = catalog.search("tin so", 10)
    assert total == FILLING_FROM and all(a.title.startswith("Tin số ") for a in articles)
    assert catalog.search("tin moi nhat", 10)[1] == 1
