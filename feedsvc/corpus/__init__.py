"""The corpus: a source of article files, indexed into a store and kept as ordered listings in memory.

source.py (the folder) -> indexer.py (scan, parse, write the store) -> catalog.py (what a process
serves from) with listings.py; reloader.py notices changes and tells listeners; coordination.py holds
every rule between the processes that share one index.
"""

from __future__ import annotations

from pathlib import Path

from feedsvc.articles.categories import Vocabulary
from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.indexer import Indexer
from feedsvc.corpus.source import FolderSource
from feedsvc.corpus.store import MemoryStore, Store


def load_folder(folder: str | Path, store: Store | None = None, *, vocabulary: Vocabulary | None = None,
                max_file_bytes: int = 2 * 1024 * 1024, workers: int | None = None) -> Catalog:
    """A folder indexed once (into memory unless a store is given): for `feedsvc check` and tools."""
    catalog = Catalog(FolderSource(folder, max_file_bytes, vocabulary), store or MemoryStore())
    indexer = Indexer(catalog, workers=workers)
    indexer.refresh()
    indexer.finish_search()  # a tool gets the whole index, search included
    return catalog
