"""The indexer: a folder of files, indexed, refreshed incrementally, followed by other workers."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from feedsvc.articles.categories import Vocabulary
from feedsvc.corpus.catalog import SEEN, Catalog, UnknownArticle, UnknownCategory
from feedsvc.corpus.indexer import Indexer
from feedsvc.corpus.listings import ALL, NO_SECTION
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

SEED_000_AUTHORS = ("author:thanh-tung", "author:thanh-thai")  # the byline of 000_904bb3c4e8a3bd42
UNDATED = "BAI VIET KHONG CO NGAY\n\n(kontumtv.vn) – Nông dân thu hoạch cà phê.\n\nNgọc Ánh\n"
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
    # The sections partition the site: four articles have no section and a listing of their own.
    assert sum(count for _, _, count in repo.categories()) == repo.count(ALL)
    assert repo.count(NO_SECTION) == 4 and repo.category_name(NO_SECTION) == "Chưa phân loại"


def test_listings_are_newest_first_and_ids_break_ties(repo):
    for slug in [ALL] + [slug for slug, _, _ in repo.categories()]:
        articles, total = repo.page(slug, 100)
        assert total == len(articles) == repo.count(slug)
        keys = [(-a.published.timestamp(), a.id) for a in articles]
        assert keys == sorted(keys), slug


def test_undated_articles_are_dated_when_the_index_first_published_them(corpus, tmp_path):
    # A first index dates them by their files' mtimes, so indexing the same files again gives the
    # same dates; the source's own dates are untouched.
    for path in corpus.glob("*.txt"):
        os.utime(path, (1_600_000_000, 1_600_000_000))
    repo = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    repo.refresh()
    parsed = {a.id: a for a in repo.all_articles(as_parsed=True)}
    undated = sorted(i for i, a in parsed.items() if a.published is None)
    assert undated, "the sample corpus has undated articles"
    for article_id in undated:
        article = repo.get(article_id)
        assert article.date_precision == SEEN and article.published.timestamp() == 1_600_000_000
    assert all(repo.get(i).published == a.published for i, a in parsed.items() if a.published)

    # One written later is news: on top of the site listing and of its section's, dated by its mtime.
    (corpus / "300_undated.txt").write_text(UNDATED, encoding="utf-8")
    repo.refresh()
    first = repo.page(ALL, 1)[0][0]
    assert first.id == "300_undated" and first.date_precision == SEEN
    assert repo.page(NO_SECTION, 1)[0][0].id == "300_undated"
    when = first.published

    # Its date never changes: not when it is edited, not when it goes and comes back, not on restart.
    (corpus / "300_undated.txt").write_text(UNDATED + "\nThêm một dòng.\n", encoding="utf-8")
    repo.refresh()
    assert repo.get("300_undated").published == when
    (corpus / "300_undated.txt").unlink()
    repo.refresh()
    (corpus / "300_undated.txt").write_text(UNDATED, encoding="utf-8")
    repo.refresh()
    again = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    again.refresh()
    assert repo.get("300_undated").published == again.get("300_undated").published == when


def test_an_undated_file_copied_in_with_its_mtime_is_dated_by_it_in_every_index(repo, corpus, tmp_path):
    # cp -p, tar x, rsync -t keep the time the file was written elsewhere. The date comes from the
    # file, so an index that saw it arrive and one built later (another instance) agree.
    (corpus / "301_copied.txt").write_text(UNDATED, encoding="utf-8")
    os.utime(corpus / "301_copied.txt", (1_500_000_000.7, 1_500_000_000.7))
    repo.refresh()
    assert repo.get("301_copied").published.timestamp() == 1_500_000_000
    later = Repo(corpus, SqliteStore(tmp_path / "later.sqlite3"))
    later.refresh()
    assert later.get("301_copied").published == repo.get("301_copied").published
    # An mtime that is no date (a zip's or a reproducible build's zero) dates it when it arrives.
    (corpus / "302_zero.txt").write_text(UNDATED.replace("cà phê", "cao su"), encoding="utf-8")
    os.utime(corpus / "302_zero.txt", (0, 0))
    before = time.time()
    repo.refresh()
    assert repo.get("302_zero").published.timestamp() >= int(before)


def test_clocks_move_strictly_forward_with_every_change_even_within_one_second(corpus, tmp_path):
    frozen = 1_800_000_000.25  # every change below happens in this one second
    catalog = Catalog(FolderSource(corpus), SqliteStore(tmp_path / "index.sqlite3"))
    indexer = Indexer(catalog, clock=lambda: frozen, renderer="r1")
    indexer.refresh()
    sections = [slug for slug, _, _ in catalog.categories()]
    # The second after the change: later than any moment the old bytes were served.
    assert {catalog.modified(slug) for slug in [ALL, *sections]} == {1_800_000_001}

    def step(change):
        before = {slug: (catalog.modified(slug), catalog.version(slug)) for slug in [ALL, *sections]}
        change()
        indexer.refresh()
        for slug, (modified, version) in before.items():
            if catalog.version(slug) != version:
                assert catalog.modified(slug) > modified, slug  # strictly forward
            else:
                assert catalog.modified(slug) == modified, slug  # untouched listings keep theirs
        assert catalog.version(ALL) != before[ALL][1]

    back_dated = NEW.replace("2024-01-02", "2001-05-06")
    step(lambda: (corpus / "400_back.txt").write_text(back_dated, encoding="utf-8"))
    step(lambda: (corpus / "401_same_day.txt").write_text(NEW.replace("cà phê", "hồ tiêu"), encoding="utf-8"))
    step(lambda: (corpus / "402_undated.txt").write_text(UNDATED, encoding="utf-8"))
    step(lambda: (corpus / "400_back.txt").write_text(back_dated.replace("cà phê", "cao su"), encoding="utf-8"))
    step(lambda: (corpus / "401_same_day.txt").unlink())
    assert catalog.modified(ALL) == 1_800_000_006

    # Kept in the index: a restart, or another worker following the index, has the same clocks.
    again = Catalog(FolderSource(corpus), SqliteStore(tmp_path / "index.sqlite3"))
    Indexer(again, clock=lambda: frozen + 50, renderer="r1").refresh()
    assert again.clocks == catalog.clocks
    # New code or settings (another renderer) move the renderer's clock, and only it.
    Indexer(again, clock=lambda: frozen + 60, renderer="r2").refresh()
    assert again.clock("renderer") == 1_800_000_061 and again.modified(ALL) == catalog.modified(ALL)


def test_an_article_page_has_its_own_clock(repo, corpus):
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    repo.refresh()
    first = repo.entry_of("200_new").changed_at
    repo.refresh()
    assert repo.entry_of("200_new").changed_at == first  # nothing changed
    (corpus / "200_new.txt").write_text(NEW.replace("cà phê", "hồ tiêu"), encoding="utf-8")
    repo.refresh()
    assert repo.entry_of("200_new").changed_at > first


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
    assert changes.parsed == 1 and changes.touched == {ALL, "kinh-te", "author:ngoc-anh"}
    assert repo.page("kinh-te", 1)[0][0].id == "200_new"
    assert repo.version("y-te") == versions["y-te"] and repo.version("kinh-te") != versions["kinh-te"]

    (corpus / "200_new.txt").write_text(NEW.replace("Kinh tế", "Y tế"), encoding="utf-8")
    os.utime(corpus / "200_new.txt", ns=(1, 1))
    changes = repo.refresh()
    assert changes.parsed == 1 and changes.touched == {ALL, "kinh-te", "y-te", "author:ngoc-anh"}
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


@pytest.mark.e2e  # starts a process pool
def test_process_pool_parses_the_same_as_one_process(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.scanning as module

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
    import feedsvc.corpus.ledger as module

    reference = Repo(corpus)
    reference.refresh()
    monkeypatch.setattr(module, "BULK_FROM", bulk_from)
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


def test_only_a_first_load_into_an_empty_index_fills_it_without_fsync(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.indexer as module

    fillings = []
    original = SqliteStore.filling
    monkeypatch.setattr(SqliteStore, "filling", lambda self: fillings.append(len(self.rows())) or original(self))
    monkeypatch.setattr(module, "FILLING_FROM", 5)
    first = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    first.refresh()
    assert fillings == [0]  # once, into the empty index
    for n in range(6):  # more than FILLING_FROM new files, but the index is not empty
        (corpus / f"3{n}_new.txt").write_text(NEW.replace("Bài mới", f"Bài mới {n}"), encoding="utf-8")
    assert first.refresh().parsed == 6
    restarted = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    assert restarted.refresh().parsed == 0
    assert fillings == [0]
    assert restarted.version() == first.version() and len(restarted) == len(first)
    small = Repo(corpus, SqliteStore(tmp_path / "small.sqlite3"))
    monkeypatch.setattr(module, "FILLING_FROM", 10**6)
    small.refresh()
    assert fillings == [0]  # a first load too small to gain from it


def test_an_index_from_another_parser_version_is_rebuilt(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.sqlite_store as module

    Repo(corpus, SqliteStore(tmp_path / "index.sqlite3")).refresh()
    monkeypatch.setattr(module, "SCHEMA", module.SCHEMA + "-other-parser")
    again = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    assert again.refresh().parsed == len(list(corpus.glob("*.txt")))


@pytest.mark.parametrize("first", ["200_new.txt", "200_new.TXT"])
def test_two_files_with_one_id_publish_the_first_name_whatever_came_first(repo, corpus, first):
    other = "200_new.TXT" if first == "200_new.txt" else "200_new.txt"
    (corpus / first).write_text(NEW, encoding="utf-8")
    repo.refresh()
    (corpus / other).write_text(NEW.replace("cà phê", "hồ tiêu"), encoding="utf-8")
    repo.refresh()
    # "200_new.TXT" sorts before "200_new.txt": it is published, the other reported, in either history.
    assert repo.get("200_new").title == f"Bài mới về {'cà phê' if first == '200_new.TXT' else 'hồ tiêu'}"
    assert "duplicate id" in repo.skipped["200_new.txt"] and "200_new.TXT" not in repo.skipped
    fresh = Repo(corpus)
    fresh.refresh()
    assert fresh.get("200_new") == repo.get("200_new") and fresh.version() == repo.version()
    (corpus / "200_new.TXT").unlink()
    repo.refresh()
    assert "200_new.txt" not in repo.skipped and repo.get("200_new").title.startswith("Bài mới về")
    clean = Repo(corpus)
    clean.refresh()
    assert clean.version() == repo.version() and clean.get("200_new") == repo.get("200_new")


def test_a_section_whose_slug_is_taken_gets_another(corpus, tmp_path):
    (corpus / "500_all.txt").write_text(NEW.replace("Kinh tế", "All"), encoding="utf-8")
    catalog = Catalog(FolderSource(corpus, vocabulary=Vocabulary.extended(("All",))), MemoryStore())
    Indexer(catalog).refresh()
    assert catalog.get("500_all").category_slug == "chuyen-muc-all"
    assert catalog.page("chuyen-muc-all", 10)[0][0].id == "500_all"
    assert catalog.count(ALL) == len(list(corpus.glob("*.txt")))


def test_a_parser_failure_costs_one_file_not_the_scan(repo, corpus, monkeypatch):
    import feedsvc.corpus.source as source

    original = source.parse_article

    def parse_article(article_id, data, *args, **kwargs):
        if article_id == "200_new":
            raise OverflowError("date value out of range")
        return original(article_id, data, *args, **kwargs)

    monkeypatch.setattr(source, "parse_article", parse_article)
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "201_next.txt").write_text(NEW, encoding="utf-8")
    repo.refresh()
    assert "OverflowError" in repo.skipped["200_new.txt"]
    assert repo.get("201_next").title == "Bài mới về cà phê"


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
    assert changes.touched == {ALL, "kinh-te", "thoi-su-chinh-tri", *SEED_000_AUTHORS, "author:ngoc-anh"}
    assert follower.version() == scanner.version() and follower.categories() == scanner.categories()
    assert follower.get("200_new") == scanner.get("200_new")
    assert follower.skipped == scanner.skipped and "link.txt" in follower.skipped


def test_a_follower_behind_a_trimmed_change_log_compares_every_row(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.sqlite_schema as module

    monkeypatch.setattr(module, "CHANGES_KEPT", 1)
    scanner = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    follower = Repo(corpus, SqliteStore(tmp_path / "index.sqlite3"))
    scanner.refresh()
    follower.refresh()
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "000_904bb3c4e8a3bd42.txt").unlink()
    scanner.refresh()
    assert follower.sync().touched == {ALL, "kinh-te", "thoi-su-chinh-tri", *SEED_000_AUTHORS, "author:ngoc-anh"}
    assert follower.version() == scanner.version()


def _open_and_write(path: str, name: str) -> None:
    from feedsvc.corpus.entry import FileEntry
    from feedsvc.corpus.store import Parsed

    open_store(path).put([Parsed(FileEntry(name, 1, 1, 1), None)])


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


@pytest.mark.e2e  # starts a helper process and its pool
def test_a_helper_process_scans_a_big_folder_the_same_way(corpus, tmp_path, monkeypatch):
    import feedsvc.corpus.scanning as module

    monkeypatch.setattr(module, "PARALLEL_FROM", 2)
    repository = Repo(corpus, workers=2)
    repository.refresh()
    (corpus / "200_new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "000_904bb3c4e8a3bd42.txt").unlink()
    (corpus / "link.txt").symlink_to(corpus / "200_new.txt")
    changes = repository.refresh()
    assert repository.indexer.scanner._lister._pool is not None  # the second scan ran in the helper
    assert changes.parsed == 1 and changes.removed == 1
    assert repository.get("200_new").category == "Kinh tế"
    assert "link.txt" in repository.skipped
