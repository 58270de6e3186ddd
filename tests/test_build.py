"""`feedsvc build`: a static export byte-identical to what the service serves."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import pytest
from conftest import ROOT

BASE = "https://feeds.example.org"


@pytest.mark.e2e  # a whole static export against the service
def test_static_export_matches_the_service(corpus, tmp_path):
    out = tmp_path / "site"
    env = dict(os.environ, FEEDSVC_CORPUS_DIR=str(corpus), FEEDSVC_INDEX_PATH="memory", FEEDSVC_DEFAULT_LIMIT="5")
    result = subprocess.run([sys.executable, "-m", "feedsvc", "build", str(out), "--base-url", BASE],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr

    from feedsvc.web.app import create_app

    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": "memory", "BACKGROUND_LOAD": False,
                      "BASE_URL": BASE, "DEFAULT_LIMIT": 5})
    client = app.test_client()
    expected = {
        "index.html": "/", "feeds.opml": "/feeds.opml", "feeds/all.rss": "/feeds/all.rss",
        "feeds/all.atom?page=4": "/feeds/all.atom?page=4", "feeds/kinh-te.json": "/feeds/kinh-te.json",
        "categories/thoi-su-chinh-tri": "/categories/thoi-su-chinh-tri",
        "articles/004_7ba9e57d7ac741dc": "/articles/004_7ba9e57d7ac741dc",
        "articles.html": "/articles", "articles.html?page=2": "/articles?page=2", "feeds.html": "/feeds",
        "authors/thanh-tung": "/authors/thanh-tung", "feeds/authors/thanh-tung.atom": "/feeds/authors/thanh-tung.atom",
        "feeds/chua-phan-loai.rss": "/feeds/chua-phan-loai.rss", "favicon.ico": "/favicon.ico",
        "static/icon-144.png": "/static/icon-144.png",
    }
    for name, url in expected.items():
        with client.get(url) as response:
            served = response.data
        assert (out / name).read_bytes() == served, name
        assert gzip.decompress((out / (name + ".gz")).read_bytes()) == served
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.suffix != ".gz"}
    assert len([f for f in files if f.startswith("articles/")]) == 18
    assert "feeds/all.rss?page=5" not in files  # 18 articles, 5 a page: four pages


@pytest.mark.e2e  # the build command as a process
def test_build_needs_an_absolute_base_url(tmp_path):
    env = dict(os.environ, FEEDSVC_BASE_URL="")
    result = subprocess.run([sys.executable, "-m", "feedsvc", "build", str(tmp_path / "x")],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 2 and "--base-url" in result.stderr
