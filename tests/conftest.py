"""Shared fixtures: a fresh app per test from the factory, on a temporary corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
DEV = DATA / "dev"


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A writable copy of the seeds and the dev corpus."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for source in list(SEEDS.glob("*.txt")) + list(DEV.glob("*.txt")):
        shutil.copy(source, folder / source.name)
    return folder


@pytest.fixture
def app(corpus, tmp_path):
    from feedsvc.web.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "CORPUS_DIR": str(corpus),
            "INDEX_PATH": str(tmp_path / "index.sqlite3"),
            "RELOAD_INTERVAL": 0,
            "BACKGROUND_LOAD": False,
        }
    )
    yield app


@pytest.fixture
def client(app):
    return app.test_client()
