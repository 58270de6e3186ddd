"""The in-process figures: cold and warm indexing, an uncached feed, and render against the yardsticks."""

from __future__ import annotations

import resource
import shutil
import sqlite3
import statistics
import time
from contextlib import closing
from pathlib import Path

import baselines

from feedsvc.corpus import load_folder
from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.indexer import Indexer
from feedsvc.corpus.source import FolderSource
from feedsvc.corpus.sqlite_store import SqliteStore
from feedsvc.publishing.cache import DocumentCache
from feedsvc.publishing.formats import page as feeds
from feedsvc.publishing.formats import rss
from feedsvc.publishing.publisher import Publisher
from feedsvc.publishing.site import Site

SITE = Site("Đài Phát thanh - Truyền hình Kon Tum", "Tin tức từ kontumtv.vn", "kontumtv.vn,2021")
BASE = "http://127.0.0.1:8000"


def open_repository(corpus: Path, index: Path) -> Catalog:
    """The catalog as a worker builds it: SQLite index, default process count."""
    return load_folder(corpus, SqliteStore(index))


def index_times(corpus: Path, workdir: Path, reps: int) -> dict:
    """Cold (no index file) and warm (unchanged corpus, index kept) starts, interleaved.

    Cold is what a worker does before it serves the feeds: the first load (Indexer.refresh). Search
    catches up after it, as the worker's reloader does while it serves (timed apart: search_s).
    """
    cold, warm, cpu, search = [], [], [], []
    index = workdir / "index.sqlite3"
    workdir.mkdir(parents=True, exist_ok=True)
    for _ in range(reps):
        for suffix in ("", "-wal", "-shm"):
            Path(str(index) + suffix).unlink(missing_ok=True)
        started, own, helpers = time.perf_counter(), time.process_time(), _children_cpu()
        repository = Catalog(FolderSource(corpus), SqliteStore(index))
        indexer = Indexer(repository)
        indexer.refresh()
        cold.append(time.perf_counter() - started)
        # CPU of this process (the index writes) and of the parsing helpers, reaped by now.
        cpu.append((time.process_time() - own, _children_cpu() - helpers))
        started = time.perf_counter()
        indexer.finish_search()
        search.append(time.perf_counter() - started)
        count = len(repository)
        del repository, indexer
        started = time.perf_counter()
        repository = open_repository(corpus, index)
        warm.append(time.perf_counter() - started)
        assert len(repository) == count
        del repository
    middle = sorted(range(reps), key=cold.__getitem__)[reps // 2]  # the median run's CPU
    return {"cold_s": statistics.median(cold), "warm_s": statistics.median(warm), "articles": count,
            "cold_all": cold, "warm_all": warm, "cold_cpu": cpu[middle], "search_s": search[middle]}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def keep_index(workdir: Path, target: Path) -> Path:
    """Copy the last index so servers start warm from it."""
    return copy_index(workdir / "index.sqlite3", target)


def copy_index(source: Path, target: Path) -> Path:
    """A copy of an index with everything in its write-ahead log, replacing any earlier copy."""
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("", "-wal", "-shm", ".lock", ".lock.scan", ".open-lock"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copy(source, target)
    return target


def rescan_cpu(corpus: Path, index: Path, reps: int = 3) -> float:
    """CPU seconds of one full scan of an unchanged folder (stat every file, compare with the
    entries, write nothing), all in this process: what a watching worker and its helper spend
    every FEEDSVC_RESCAN_INTERVAL. Median of ``reps``."""
    catalog = Catalog(FolderSource(corpus), SqliteStore(index))
    indexer = Indexer(catalog, workers=1)
    indexer.refresh()  # the first reads the entries
    found = []
    for _ in range(reps):
        started = time.process_time()
        changes = indexer.refresh()
        found.append(time.process_time() - started)
        assert not changes.parsed and not changes.removed, "the corpus changed under the bench"
    return statistics.median(found)


def miss_times(repositories: dict[int, Catalog], rounds: int, calls: int = 4) -> tuple[dict, float]:
    """ms per uncached 50-item category RSS feed (select + render + compress) per size, and the median
    over rounds of largest ÷ smallest; sizes take turns within every round."""
    found: dict[int, list[float]] = {size: [] for size in repositories}
    slugs = {size: [slug for slug, _, _ in repo.categories()] for size, repo in repositories.items()}
    for turn in range(rounds):
        for size, repository in repositories.items():
            started = time.perf_counter()
            for call in range(calls):
                publisher = Publisher(repository, DocumentCache(), SITE)  # an empty cache: always a miss
                publisher.feed(BASE, slugs[size][(turn * calls + call) % len(slugs[size])], "rss")
            found[size].append((time.perf_counter() - started) / calls)
    large, small = max(found), min(found)
    ratio = statistics.median(a / b for a, b in zip(found[large], found[small]))
    return {size: statistics.median(values) for size, values in found.items()}, ratio


def feed_page(repository: Catalog, slug: str) -> feeds.FeedPage:
    """The first page of a category, as the publisher hands it to the renderer."""
    articles, _ = repository.page(slug, SITE.default_limit)
    return feeds.FeedPage(
        feed_id=SITE.feed_id(slug), title=f"{repository.category_name(slug)} – {SITE.title}",
        description=SITE.description, home_url=f"{BASE}/categories/{slug}", self_url=f"{BASE}/feeds/{slug}.rss",
        articles=tuple(articles), article_url=lambda i: f"{BASE}/articles/{i}", entry_id=SITE.entry_id,
    )


def render_times(repository: Catalog, rounds: int, calls: int = 2) -> tuple[dict, dict]:
    """ms per RSS render of the same 50 items (ours, plain feedgen, Django), and the median over rounds
    of ours ÷ each; the three take turns within every round, so load spikes hit all alike."""
    slug = repository.categories()[0][0]
    page = feed_page(repository, slug)
    renderers = {"ours": rss.render, "feedgen": baselines.feedgen_rss, "django": baselines.django_rss}
    for render in renderers.values():
        render(page)  # imports and first-call costs stay out of the figures
    found: dict[str, list[float]] = {name: [] for name in renderers}
    for turn in range(rounds):
        order = list(renderers.items())
        order = order[turn % 3:] + order[: turn % 3]
        for name, render in order:
            started = time.perf_counter()
            for _ in range(calls):
                render(page)
            found[name].append((time.perf_counter() - started) / calls)
    ratios = {name: statistics.median(a / b for a, b in zip(found["ours"], found[name]))
              for name in ("feedgen", "django")}
    return {name: statistics.median(values) for name, values in found.items()}, ratios


def index_growth(index: Path, workdir: Path) -> dict:
    """Bytes of the parse index with its search tables and without: a copy with `search` and
    `search_docs` dropped and vacuumed. The index as the service wrote it is compared, and also
    vacuumed, which separates the search tables from free pages."""
    workdir.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(index)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes = {"written": index.stat().st_size,
                 "free_pages": conn.execute("PRAGMA freelist_count").fetchone()[0],
                 "page_size": conn.execute("PRAGMA page_size").fetchone()[0]}
    for name, drop in (("vacuumed", False), ("without", True)):
        copy = workdir / f"{name}.sqlite3"
        copy.unlink(missing_ok=True)
        shutil.copy(index, copy)
        with closing(sqlite3.connect(copy, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
            if drop:
                conn.execute("DROP TABLE search")
                conn.execute("DROP TABLE search_docs")
            conn.execute("VACUUM")
        sizes[name] = copy.stat().st_size
        copy.unlink()
    return sizes
