"""The helper processes that parse and list the folder yield the cores to the worker that started them."""

from __future__ import annotations

import os
from functools import partial

import pytest
from corpus_tools import article_text

from feedsvc.corpus import load_folder
from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.helpers import HELPER_NICENESS, Helper, map_in_helpers
from feedsvc.corpus.indexer import Indexer
from feedsvc.corpus.scanning import PARALLEL_FROM
from feedsvc.corpus.source import FolderSource
from feedsvc.corpus.sqlite_store import SqliteStore

pytestmark = pytest.mark.e2e  # spawned interpreters


def test_helpers_run_at_a_lower_priority_than_their_worker():
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    expected = min(mine + HELPER_NICENESS, 19)
    assert expected > mine
    assert list(map_in_helpers(partial(os.getpriority, os.PRIO_PROCESS), [0, 0, 0], 2)) == [expected] * 3
    lister = Helper()
    assert lister.run(partial(os.getpriority, os.PRIO_PROCESS, 0)) == expected
    assert lister.run(os.getpid) != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the worker itself keeps its own


def test_a_warm_start_lists_the_folder_in_a_helper_while_it_reads_the_index(tmp_path):
    folder, index = tmp_path / "corpus", tmp_path / "index.sqlite3"
    folder.mkdir()
    for n in range(PARALLEL_FROM):
        (folder / f"{n:04d}.txt").write_text(article_text(f"Tin số {n}"), encoding="utf-8")
    assert len(load_folder(folder, SqliteStore(index), workers=2)) == PARALLEL_FROM
    # Between the two starts: one file added, one removed, one edited.
    (folder / "moi.txt").write_text(article_text("Tin mới"), encoding="utf-8")
    (folder / "0001.txt").unlink()
    (folder / "0002.txt").write_text(article_text("Tin đã sửa"), encoding="utf-8")
    catalog = Catalog(FolderSource(folder), SqliteStore(index))
    indexer = Indexer(catalog, workers=2)
    started = []
    start = indexer.scanner._lister.start
    indexer.scanner._lister.start = lambda function: started.append(function) or start(function)
    changes = indexer.refresh()
    assert len(started) == 1, "the warm start did not list the folder ahead"
    assert (changes.parsed, changes.removed) == (2, 1) and len(catalog) == PARALLEL_FROM
    assert catalog.get("moi").title == "Tin mới" and catalog.get("0002").title == "Tin đã sửa"
