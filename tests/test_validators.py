"""Validators that never lie: whatever changes, a client holding a document's validators gets 304
only while the bytes are those it holds (readers that send only If-Modified-Since lost articles)."""

from __future__ import annotations

import os
import re
import time
from email.utils import parsedate_to_datetime

import feedparser
import pytest

from feedsvc.corpus.listings import ALL, NO_SECTION
from feedsvc.web.app import create_app

FEEDS = ("/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds/kinh-te.rss",
         f"/feeds/{NO_SECTION}.atom", "/feeds.opml", "/", "/articles", "/categories/kinh-te")
DATED = " date 2023-09-27 Kinh tế {title}\n\n(kontumtv.vn) – Sáng 27/9, nông dân thu hoạch cà phê.\n\nNgọc Ánh\n"
UNDATED = "{caps}\n\n(kontumtv.vn) – Nông dân thu hoạch cà phê ở huyện Đăk Hà.\n\nNgọc Ánh\n"


@pytest.fixture
def app(corpus, tmp_path, clock):
    return create_app({"TESTING": True, "CORPUS_DIR": str(corpus), "INDEX_PATH": str(tmp_path / "index.sqlite3"),
                       "RELOAD_INTERVAL": 0, "BACKGROUND_LOAD": False, "CLOCK": clock})


class Poller:
    """A reader that keeps what it fetched and sends back only one validator."""

    def __init__(self, client, path, validator):
        self.client, self.path, self.validator = client, path, validator
        self.body, self.etag, self.modified = None, None, None

    def poll(self) -> int:
        headers = {}
        if self.validator == "If-Modified-Since" and self.modified:
            headers["If-Modified-Since"] = self.modified
        if self.validator == "If-None-Match" and self.etag:
            headers["If-None-Match"] = self.etag
        response = self.client.get(self.path, headers=headers)
        assert response.status_code in (200, 304), (self.path, response.status_code)
        if response.status_code == 200:
            self.body = response.data
            self.etag = response.headers["ETag"]
            self.modified = response.headers.get("Last-Modified")  # absent while its second is not over
        return response.status_code


def changes(corpus, catalog):
    """The changes a newsroom makes, none of them newer than the newest article (2023-09-27)."""
    yield "back-dated add", lambda: (corpus / "500_old.txt").write_text(
        DATED.replace("2023-09-27", "2019-03-02").format(title="Bài cũ đăng lại"), encoding="utf-8")
    yield "same-day add", lambda: (corpus / "501_same.txt").write_text(
        DATED.format(title="Bài cùng ngày"), encoding="utf-8")
    yield "undated add", lambda: (corpus / "502_undated.txt").write_text(
        UNDATED.format(caps="NONG DAN THU HOACH CA PHE"), encoding="utf-8")
    yield "title edit", lambda: (corpus / "501_same.txt").write_text(
        DATED.format(title="Bài cùng ngày (đã sửa)"), encoding="utf-8")
    yield "removal", lambda: (corpus / "500_old.txt").unlink()
    yield "rename", lambda: os.rename(corpus / "501_same.txt", corpus / "503_renamed.txt")
    yield "removal of the newest", lambda: (corpus / f"{catalog.page(ALL, 1)[0][0].id}.txt").unlink()


@pytest.mark.e2e  # nine documents polled through seven changes of the corpus: exhaustive
@pytest.mark.parametrize("validator", ["If-Modified-Since", "If-None-Match"])
def test_a_client_sending_one_validator_sees_every_change(app, client, corpus, validator, clock):
    reload = app.extensions["feedsvc"].reloader.load
    clock.tick(2)  # the index was built this second: its Last-Modified (the next) is sendable after it
    pollers = [Poller(client, path, validator) for path in FEEDS]
    for poller in pollers:
        assert poller.poll() == 200
        assert poller.poll() == 304, poller.path  # nothing changed: the validator it holds matches
    for name, change in changes(corpus, app.extensions["feedsvc"].catalog):
        change()
        reload()
        for poller in pollers:
            poller.poll()
            assert poller.body == client.get(poller.path).data, f"{validator} client of {poller.path} missed the {name}"
        clock.tick(0.4)  # several changes within one second, and across seconds


def test_last_modified_moves_forward_with_every_change_and_never_back(app, client, corpus, clock):
    reload = app.extensions["feedsvc"].reloader.load
    seen = []
    for _, change in changes(corpus, app.extensions["feedsvc"].catalog):
        clock.tick(2)
        before = client.get("/feeds/all.rss").headers["Last-Modified"]
        change()
        reload()
        clock.tick(2)
        after = client.get("/feeds/all.rss").headers["Last-Modified"]
        assert parsedate_to_datetime(after) > parsedate_to_datetime(before)
        seen.append(after)
    assert seen == sorted(seen, key=parsedate_to_datetime)


def test_two_changes_in_one_second_are_two_different_validators(app, client, corpus, clock):
    """Within one second the clock moves past now: it is not sent until then, and a client holding
    the first second's date still gets the second change."""
    reload = app.extensions["feedsvc"].reloader.load
    clock.tick(2)
    held = client.get("/feeds/all.atom").headers["Last-Modified"]
    (corpus / "600_a.txt").write_text(DATED.format(title="Tin thứ nhất"), encoding="utf-8")
    reload()
    (corpus / "601_b.txt").write_text(DATED.format(title="Tin thứ hai"), encoding="utf-8")
    reload()
    now = client.get("/feeds/all.atom", headers={"If-Modified-Since": held})
    assert now.status_code == 200 and "Tin thứ hai".encode() in now.data
    assert "Last-Modified" not in now.headers  # it would be in the future (RFC 9110 §8.8.2.1)
    clock.tick(3)
    shown = client.get("/feeds/all.atom").headers["Last-Modified"]
    assert parsedate_to_datetime(shown) > parsedate_to_datetime(held)
    assert client.get("/feeds/all.atom", headers={"If-Modified-Since": shown}).status_code == 304


def test_a_new_undated_article_is_on_page_one_of_the_site_and_its_section(tmp_path, corpus):
    for path in corpus.glob("*.txt"):  # exported an hour ago
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    app = create_app({"TESTING": True, "CORPUS_DIR": str(corpus), "INDEX_PATH": str(tmp_path / "i.sqlite3"),
                      "RELOAD_INTERVAL": 0, "BACKGROUND_LOAD": False, "DEFAULT_LIMIT": 10})
    client = app.test_client()
    assert app.extensions["feedsvc"].catalog.count() > 10
    (corpus / "700_undated.txt").write_text(UNDATED.format(caps="TIN MOI KHONG CO NGAY"), encoding="utf-8")
    app.extensions["feedsvc"].reloader.load()
    for path in ("/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", f"/feeds/{NO_SECTION}.rss"):
        assert b"700_undated" in client.get(path).data, path
    entry = feedparser.parse(client.get("/feeds/all.atom").data).entries[0]
    assert entry.id.endswith("700_undated") and entry.published_parsed.tm_year >= 2026


def test_a_crawl_from_the_home_page_reaches_every_article(shared_app, shared_client):
    found, queue, visited = set(), ["/"], set()
    while queue:
        path = queue.pop()
        if path in visited:
            continue
        visited.add(path)
        response = shared_client.get(path)
        assert response.status_code == 200, path
        text = response.data.decode("utf-8")
        for link in re.findall(r'href="(/[^"#]*)"', text):
            if link.startswith("/articles/"):
                found.add(link[len("/articles/"):])
            elif link == "/articles" or link.startswith("/categories/"):
                queue.append(link)
        queue += [path.split("?")[0] + query for query in re.findall(r'href="(\?page=\d+)"', text)]
    assert found == {a.id for a in shared_app.extensions["feedsvc"].catalog.all_articles()}
