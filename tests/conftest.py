"""Shared fixtures: a fresh app per test from the factory, on a temporary corpus."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
DEV = DATA / "dev"


@pytest.fixture
def folder(tmp_path) -> Path:
    """An empty corpus folder."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A writable copy of the seeds and the dev corpus."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for source in list(SEEDS.glob("*.txt")) + list(DEV.glob("*.txt")):
        shutil.copy(source, folder / source.name)
    return folder


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


@pytest.fixture
def app(corpus, tmp_path, clock):
    from feedsvc.web.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "CORPUS_DIR": str(corpus),
            "INDEX_PATH": str(tmp_path / "index.sqlite3"),
            "RELOAD_INTERVAL": 0,
            "BACKGROUND_LOAD": False,
            "CLOCK": clock,
        }
    )
    # Requests come a while after the index was built: its Last-Modified (the second after) is past.
    clock.tick(2)
    yield app


@pytest.fixture
def client(app):
    return app.test_client()
