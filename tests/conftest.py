"""Shared fixtures: a fresh app per test from the factory, on a temporary corpus, and one app for
the whole session that the tests which only read share."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import jinja2
import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
DEV = DATA / "dev"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept for the session: the tests build many apps, and each would
    compile every template again on its first page (about 60 ms an app)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


# Keyed by template name and source checksum (jinja2.bccache), so an edited template compiles anew.
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _CompiledTemplates()}


@pytest.fixture
def folder(tmp_path) -> Path:
    """An empty corpus folder."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


def copy_corpus(folder: Path) -> Path:
    """The seeds and the dev corpus (18 articles) in a fresh folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(SEEDS.glob("*.txt")) + sorted(DEV.glob("*.txt")):
        shutil.copy(source, folder / source.name)
    return folder


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A writable copy of the seeds and the dev corpus."""
    return copy_corpus(tmp_path / "corpus")


class Clock:
    """The time an app reads (its CLOCK): tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_app(corpus: Path, index: Path, clock: Clock):
    from feedsvc.web.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "CORPUS_DIR": str(corpus),
            "INDEX_PATH": str(index),
            "RELOAD_INTERVAL": 0,
            "BACKGROUND_LOAD": False,
            "CLOCK": clock,
        }
    )
    # Requests come a while after the index was built: its Last-Modified (the second after) is past.
    clock.tick(2)
    return app


@pytest.fixture
def app(corpus, tmp_path, clock):
    """A fresh app of its own: for a test that writes into the corpus, ticks the clock, changes the
    app's config or state, or needs it fresh (an empty cache, counters at zero, its own log lines)."""
    yield make_app(corpus, tmp_path / "index.sqlite3", clock)


@pytest.fixture
def client(app):
    return app.test_client()


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {path.name: (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.iterdir()}


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory):
    """The same app as ``app``, built once and shared by the tests that only read: they send requests
    and read the catalog, never write into its corpus, tick its clock, change its config or state, or
    depend on it being fresh (see ``app``). Checked at the end of the session: still as built."""
    folder = tmp_path_factory.mktemp("shared")
    corpus = copy_corpus(folder / "corpus")
    clock = Clock()
    app = make_app(corpus, folder / "index.sqlite3", clock)
    catalog = app.extensions["feedsvc"].catalog
    built = (_files(corpus), clock.now, dict(app.config), catalog.version(), catalog.ready.is_set())
    yield app
    after = (_files(corpus), clock.now, dict(app.config), catalog.version(), catalog.ready.is_set())
    assert after == built, "a test changed the shared app: it must use the `app` fixture instead"


@pytest.fixture
def shared_client(shared_app):
    return shared_app.test_client()


@pytest.fixture
def shared_corpus(shared_app) -> Path:
    """The shared app's corpus folder: to read only."""
    return Path(shared_app.config["CORPUS_DIR"])
