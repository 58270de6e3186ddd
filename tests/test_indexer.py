"""The indexer: a folder of files, indexed, refreshed incrementally, followed by other workers."""

from __future__ import annotations

import os
import sqlite3

import pytest

from feedsvc.corpus.catalog import Catalog, UnknownArticle, UnknownCategory
from feedsvc.corpus.indexer import Indexer
from feedsvc.corpus.listings import ALL
from feedsvc.corpus.source import FolderSource
from feedsvc.corpus.sqlite_store import SqliteStore, open_store
from feedsvc.corpus.store import MemoryStore


class Repo:
    """A catalog with its indexer, as one worker has them (the tests read the one, drive the other)."""

    def __init__(self, corpus, store=None, workers=None):
        self.catalog = Catalog(FolderSource(corpus), store or MemoryStore())
        self.indexer = Indexer(self.catalog, workers=workers)

    def refresh(self):
        return self.indexer.refresh()

    def sync(self):
        return self.indexer.sync()

    def __getattr__(self, name):
        return getattr(self.catalog, name)

    def __len__(self):
        return len(self.catalog)

NEW = " date 2024-01-02 Kinh tế Bài mới về cà phê\n\n(kontumtv.vn) – Sáng 2/1, nông dân thu hoạch cà phê.\n\nNgọc Ánh\n"


@pytest.fixture
def repo(corpus, tmp_path):
    repository = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    repository.refresh()
    return repository


def test_indexes_every_file_by_id_and_category(repo, corpus):
    assert len(repo) == len(list(corpus.glob("*.txt")))
    assert repo.get("000_904bb3c4e8a3bd42").category == "Thời sự - Chính trị"
    slugs = {slug for slug, _, _ in repo.categories()}
    assert {"thoi-su-chinh-tri", "kinh-te", "y-te", "phap-luat"} <= slugs
    assert sum(count for _, _, count in repo.categories()) + 4 == repo.count(ALL)  # four have no section


def test_listings_are_newest_first_with_undated_last_and_ids_breaking_ties(repo):
    articles, total = repo.page(ALL, 100)
    assert total == len(articles) == len(repo)
    dated = [a for a in articles if a.published]
    assert [a.published for a in dated] == sorted((a.published for a in dated), reverse=True)
    undated = articles[len(dated):]
    assert all(a.published is None for a in undated)
    assert [a.id for a in undated] == sorted(a.id for a in undated)


def test_pages_partition_the_listing(repo):
    everything, _ = repo.page(ALL, 100)
    pages = [repo.page(ALL, 5, n)[0] for n in range(1, 5)]
    assert [a.id for page in pages for a in page] == [a.id for a in everything]


def test_unknown_ids_and_categories(repo):
    with pytest.raises(UnknownArticle):
        repo.get("nope")
    with pytest.raises(UnknownCategory):
        repo.page("nope", 10)


def test_refresh_folds_in_additions_edits_and_removals_only(repo, corpus):
    versions = {slug: repo.version(slug) for slug, _, _ in repo.categories()}
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    changes = repo.refresh()
    assert changes.parsed == 1 and changes.touched == {ALL, "kinh-te"}
    assert repo.page("kinh-te", 1)[0][0].id == "200_new"
    assert repo.version("y-te") == versions["y-te"] and repo.version("kinh-te") != versions["kinh-te"]

    (corpus / "200_new.txt").write_text(NEW.replace("Kinh tế", "Y tế"), encoding="utf-8")
    os.utime(corpus / "200_new.txt", ns=(1, 1))
    changes = repo.refresh()
    assert changes.parsed == 1 and changes.touched == {ALL, "kinh-te", "y-te"}
    assert repo.version("kinh-te") == versions["kinh-te"]  # back to exactly what it was

    (corpus / "200_new.txt").unlink()
    assert repo.refresh().removed == 1
    assert repo.version("y-te") == versions["y-te"]
    assert repo.refresh().parsed == 0  # nothing changed: nothing is reparsed


def test_bad_files_are_reported_and_skipped(repo, corpus, tmp_path):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "big.txt").write_bytes(b"a " * 2_000_000)
    outside = tmp_path / "secret.txt"
    outside.write_text(NEW, encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside)
    before = len(repo)
    repo.refresh()
    assert len(repo) == before
    assert set(repo.skipped) == {"empty.txt", "binary.txt", "big.txt", "link.txt"}
    assert "too large" in repo.skipped["big.txt"] and "symbolic link" in repo.skipped["link.txt"]


def test_a_restart_reuses_the_index_and_reparses_nothing(repo, corpus, tmp_path):
    again = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    assert again.refresh().parsed == 0
    assert again.version() == repo.version()
    assert again.get("004_7ba9e57d7ac741dc") == repo.get("004_7ba9e57d7ac741dc")


def test_a_corrupt_index_is_rebuilt(corpus, tmp_path):
    path = tmp_path / "index.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    repository = Repo(corpus, open_store(path))
    assert repository.refresh().parsed == len(list(corpus.glob("*.txt")))
    assert sqlite3.connect(path).execute("SELECT count(*) FROM files").fetchone()[0] == len(repository)


def test_an_unwritable_index_folder_degrades_to_memory(corpus, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = open_store(blocker / "sub" / "index.sqlite3")
    assert isinstance(store, MemoryStore)
    repository = Repo(corpus, store)
    repository.refresh()
    assert len(repository) == len(list(corpus.glob("*.txt")))


def test_process_pool_parses_the_same_as_one_process(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.indexer as module

    monkeypatch.setattr(module, "PARALLEL_FROM", 2)
    pooled = Repo(corpus, workers=2)
    pooled.refresh()
    single = Repo(corpus, workers=1)
    single.refresh()
    assert pooled.version() == single.version()
    assert pooled.all_articles() == single.all_articles()


def test_a_worker_that_waited_for_the_index_reparses_nothing(corpus, tmp_path):
    # gunicorn workers build their repositories at once; the first to take the
    # lock builds the index, and the others must pick it up, not parse again.
    waiting = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    first = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    assert first.refresh().parsed == len(first)
    assert waiting.refresh().parsed == 0
    assert waiting.version() == first.version() and waiting.categories() == first.categories()


@pytest.mark.parametrize("bulk_from", [1, 10**9])
def test_bulk_and_one_by_one_loading_give_the_same_listings(corpus, tmp_path, monkeypatch, bulk_from):
    import feedsvc.corpus.catalog as module

    reference = Repo(corpus)
    reference.refresh()
    monkeypatch.setattr(module, "_BULK_FROM", bulk_from)
    repository = Repo(corpus)
    repository.refresh()
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "000_904bb3c4e8a3bd42.txt").unlink()
    repository.refresh()
    reference.refresh()
    for slug in [ALL] + [slug for slug, _, _ in reference.categories()]:
        assert repository.version(slug) == reference.version(slug)
        assert [a.id for a in repository.page(slug, 100)[0]] == [a.id for a in reference.page(slug, 100)[0]]
    assert repository.categories() == reference.categories()


def test_an_index_from_another_parser_version_is_rebuilt(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.sqlite_store as module

    Repo(corpus, SqliteStore(tmp_path / "index.sqlite3")).refresh()
    monkeypatch.setattr(module, "SCHEMA", module.SCHEMA + "-other-parser")
    again = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    assert again.refresh().parsed == len(list(corpus.glob("*.txt")))


def test_two_files_with_one_id_keep_the_first_and_report_the_second(repo, corpus):
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "200_new.TXT").write_text(NEW, encoding="utf-8")
    repo.refresh()
    assert repo.get("200_new").title == "Bài mới về cà phê"
    assert len([name for name, reason in repo.skipped.items() if "duplicate id" in reason]) == 1


def test_a_worker_that_does_not_scan_follows_the_one_that_does(corpus, tmp_path):
    scanner = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    follower = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    scanner.refresh()
    follower.refresh()
    assert follower.sync().touched == set()
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "000_904bb3c4e8a3bd42.txt").unlink()
    (corpus / "link.txt").symlink_to(corpus / "200_new.txt")
    scanner.refresh()
    changes = follower.sync()
    assert changes.synced == 1 and changes.removed == 1
    assert changes.touched == {ALL, "kinh-te", "thoi-su-chinh-tri"}
    assert follower.version() == scanner.version() and follower.categories() == scanner.categories()
    assert follower.get("200_new") == scanner.get("200_new")
    assert follower.skipped == scanner.skipped and "link.txt" in follower.skipped


def test_a_follower_behind_a_trimmed_change_log_compares_every_row(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.sqlite_store as module

    monkeypatch.setattr(module, "_CHANGES_KEPT", 1)
    scanner = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    follower = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    scanner.refresh()
    follower.refresh()
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "000_904bb3c4e8a3bd42.txt").unlink()
    scanner.refresh()
    assert follower.sync().touched == {ALL, "kinh-te", "thoi-su-chinh-tri"}
    assert follower.version() == scanner.version()


def _open_and_write(path: str, name: str) -> None:
    from feedsvc.corpus.entry import FileEntry

    open_store(path).put([(FileEntry(name, 1, 1, 1), None)])


def test_workers_opening_a_new_index_at_once_share_one_file(tmp_path):
    import multiprocessing

    path = str(tmp_path / "index.sqlite3")
    workers = [multiprocessing.Process(target=_open_and_write, args=(path, f"{n}.txt")) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * 4
    assert sorted(row.name for row in SqliteStore(path).rows()) == [f"{n}.txt" for n in range(4)]


def test_a_helper_process_scans_a_big_folder_the_same_way(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.indexer as module

    monkeypatch.setattr(module, "PARALLEL_FROM", 2)
    repository = Repo(corpus, workers=2)
    repository.refresh()
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "000_904bb3c4e8a3bd42.txt").unlink()
    (corpus / "link.txt").symlink_to(corpus / "200_new.txt")
    changes = repository.refresh()
    assert repository.indexer._lister._pool is not None  # the second scan ran in the helper
    assert changes.parsed == 1 and changes.removed == 1
    assert repository.get("200_new").category == "Kinh tế"
    assert "link.txt" in repository.skipped
