"""Every article reaches every subscriber exactly once, whatever its date.

The Procfile's gunicorn (2 workers) publishes the seeds and the dev corpus with a limit of 10
items a feed. Five readers poll it as they really do (tests/readers.py): an If-Modified-Since-only
client, curl's time condition, feedparser with modified=, newsboat (three reloads a step) and
sfeed fed from the OPML list. After each change a newsroom makes (a back-dated article, one dated
the same day as the newest, an undated one, a title edit, a removal, a rename, the removal of the
newest), each reader's view must equal what the server serves: nothing lost, nothing doubled, no
id changed.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from xml.etree import ElementTree as ET

import feedparser
import pytest
from readers import CurlTimeCondition, FeedparserModified, ModifiedSinceOnly, Newsboat, Sfeed
from server import Server

pytestmark = pytest.mark.e2e  # real readers polling a real gunicorn

FEEDS = ("/feeds/all.rss", "/feeds/all.atom", "/feeds/kinh-te.rss", "/feeds/chua-phan-loai.rss")
DATED = " date {date} Kinh tế {title}\n\n(kontumtv.vn) – Sáng {day}, nông dân thu hoạch cà phê.\n\nNgọc Ánh\n"
UNDATED = "{caps}\n\n(kontumtv.vn) – Nông dân ở huyện Đăk Hà thu hoạch cà phê.\n\nNgọc Ánh\n"


def write(path, text):
    """As an exporter that writes atomically: a temporary name, then a rename."""
    temporary = path.with_name("." + path.name + ".part")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def changes(corpus, server):
    newest = DATED.format(date="2023-09-27", day="27/9", title="{title}")
    yield "back-dated add", lambda: write(corpus / "800_old.txt", DATED.format(
        date="2019-03-02", day="2/3", title="Bài cũ đăng lại"))
    yield "same-day add", lambda: write(corpus / "801_same_day.txt", newest.format(title="Bài cùng ngày"))
    yield "undated add", lambda: write(corpus / "802_undated.txt", UNDATED.format(caps="NONG DAN THU HOACH CA PHE"))
    yield "title edit", lambda: write(corpus / "801_same_day.txt", newest.format(title="Bài cùng ngày (đã sửa)"))
    yield "removal", lambda: (corpus / "800_old.txt").unlink()
    yield "rename", lambda: os.rename(corpus / "801_same_day.txt", corpus / "803_renamed.txt")
    yield "removal of the newest", lambda: (corpus / f"{newest_id(server)}.txt").unlink()


def newest_id(server) -> str:
    entry = feedparser.parse(server.get("/feeds/all.atom")[2]).entries[0]
    return entry.id.rsplit(":", 1)[1]


def served(server, path) -> bytes:
    status, _, body = server.get(path)
    assert status == 200, (path, status)
    return body


def items(body: bytes) -> dict[str, str]:
    return {entry.id: entry.title for entry in feedparser.parse(body).entries}


def wait_everywhere(server, before: str, timeout: float = 15.0) -> str:
    """Until every worker serves a corpus version other than ``before`` (ten answers in a row)."""
    deadline, streak, version = time.monotonic() + timeout, 0, before
    while streak < 10:
        assert time.monotonic() < deadline, f"the change did not reach every worker\n{server.output()}"
        version = json.loads(server.get("/healthz")[2])["corpus_version"]
        streak = streak + 1 if version != before else 0
    time.sleep(1.1)  # its Last-Modified is the second after the change: sendable from now on
    return version


def test_every_reader_sees_every_change_exactly_once(corpus, tmp_path):
    env = {"FEEDSVC_CORPUS_DIR": str(corpus), "FEEDSVC_INDEX_PATH": str(tmp_path / "index.sqlite3"),
           "FEEDSVC_DEFAULT_LIMIT": "10"}
    with Server(tmp_path / "logs", env, workers=2) as server:
        server.wait_all_workers_ready()
        urls = [server.url(path) for path in FEEDS]
        opml = served(server, "/feeds.opml")
        section_urls = [o.get("xmlUrl") for o in ET.fromstring(opml).iter("outline")]
        ims, curl, fp = ModifiedSinceOnly(urls), CurlTimeCondition(tmp_path / "curl", urls), FeedparserModified(urls)
        # newsboat keys items by guid across all its feeds: one reader for the site's Atom feed, one
        # subscribed to the OPML list's sections (which hold every article once).
        site_atom = server.url("/feeds/all.atom")
        newsboats = {site_atom: Newsboat(tmp_path / "newsboat-site", [site_atom]),
                     "sections": Newsboat(tmp_path / "newsboat-sections", section_urls)}
        sfeed = Sfeed(tmp_path / "sfeed", opml)
        readers = (ims, curl, fp, newsboats, sfeed)
        version = json.loads(server.get("/healthz")[2])["corpus_version"]
        time.sleep(1.1)
        for reader in (ims, curl, fp, *newsboats.values(), sfeed):
            reader.poll()
        check(server, readers, urls, section_urls, "the first poll")
        for name, change in changes(corpus, server):
            change()
            version = wait_everywhere(server, version)
            for reader in (ims, curl, fp, *newsboats.values(), sfeed):
                reader.poll()
            check(server, readers, urls, section_urls, name)
        # The If-Modified-Since client was answered 304 too: it is conditional, not refetching blindly.
        assert 304 in ims.statuses and 200 in ims.statuses
        print("DELIVERY readers=5 steps=7 feeds=%d sfeed_feeds=%d ims_statuses=%s" % (
            len(urls), len(sfeed.urls), dict(Counter(ims.statuses))))


def check(server, readers, urls, section_urls, step):
    ims, curl, fp, newsboats, sfeed = readers
    for url in urls:
        path = url[len(server.base_url):]
        current = served(server, path)
        expected = items(current)
        assert ims.body(url) == current, f"If-Modified-Since client of {path} after {step}"
        assert curl.body(url) == current, f"curl -z client of {path} after {step}"
        assert fp.entries[url] == expected, f"feedparser modified= of {path} after {step}"
    # newsboat keeps what it saw (a removed article stays read in a reader): every item served now
    # is there, under its current title, once.
    for reader, feeds in ((newsboats["sections"], section_urls),
                          (newsboats[server.url("/feeds/all.atom")], [server.url("/feeds/all.atom")])):
        everything = [guid for guid, _, _, _ in reader.items()]
        assert len(everything) == len(set(everything)), f"newsboat doubled an item after {step}"
        for url in feeds:
            titles = {guid: title for guid, _, title, _ in reader.items(url)}
            for guid, title in items(served(server, url[len(server.base_url):])).items():
                assert titles.get(guid) == title, f"newsboat's {url} after {step}: {guid}"
    # sfeed keeps one copy per feed of the OPML list: the sections, each article exactly once.
    everything = items(served(server, "/feeds/all.rss?limit=200"))
    held = Counter()
    for name, url in sfeed.urls.items():
        path = url[len(server.base_url):]
        current = served(server, path)
        assert sfeed.fetched(name) == current, f"sfeed's copy of {path} after {step}"
        assert set(items(current)) <= set(sfeed.ids(name)), f"sfeed's {path} after {step}"
        held.update(set(sfeed.ids(name)))
    assert set(everything) <= set(held), f"sfeed misses articles after {step}"
    assert max(held.values()) == 1, f"an article in two sfeed feeds after {step}"
