"""WebSub publishing against a real hub and a real subscriber (flask-websub, tests/websub_support.py).

The Procfile's gunicorn (2 workers) advertises the hub; the subscriber finds it from the feed's own
Link header and subscribes. Then: a new article reaches the subscriber through the hub, carrying the
bytes every worker serves; a feed the change did not touch, and a restart, send nothing (hubs do not
deduplicate); the ping names the feed's exact self URL in both hub.url and hub.topic.
"""

from __future__ import annotations

import os
import statistics
import time

import feedparser
import pytest
from server import Server
from websub_support import Hub, Subscriber

pytestmark = pytest.mark.e2e  # a real hub and subscriber, and the Procfile's gunicorn

ARTICLE = " date 2024-05-{day:02d} Kinh tế Bài số {n} về cà phê\n\n(kontumtv.vn) – Sáng {day}/5, tin.\n\nNgọc Ánh\n"


def start_server(tmp_path, corpus, hub) -> Server:
    server = Server(tmp_path / "logs", {"FEEDSVC_CORPUS_DIR": str(corpus),
                                        "FEEDSVC_INDEX_PATH": str(tmp_path / "index.sqlite3"),
                                        "FEEDSVC_WEBSUB_HUBS": hub.url}, workers=2)
    # The self URL hubs fetch and subscribers subscribe to: it must be exact (the hub matches topics
    # byte for byte), so the base URL is set, as the README asks.
    server.env["FEEDSVC_BASE_URL"] = server.base_url
    server.start()
    server.wait_all_workers_ready()
    return server


def add(corpus, n):
    path = corpus / f"95{n}_websub.txt"
    temporary = corpus / f".95{n}.part"
    temporary.write_text(ARTICLE.format(day=n + 1, n=n), encoding="utf-8")
    os.replace(temporary, path)  # atomically, as an exporter should
    return time.monotonic()


def test_a_change_reaches_a_subscriber_through_the_hub_and_nothing_else_does(corpus, tmp_path):
    with Hub(tmp_path) as hub, Subscriber(tmp_path) as sub:
        server = start_server(tmp_path, corpus, hub)
        try:
            topic = server.url("/feeds/kinh-te.rss")
            untouched = server.url("/feeds/the-thao.atom")
            site = server.url("/feeds/all.atom")
            subscriptions = [sub.subscribe(url) for url in (topic, untouched, site)]
            assert [s.topic_url for s in subscriptions] == [topic, untouched, site]  # from the Link header
            assert all(s.hub_url == hub.url for s in subscriptions)

            latencies = []
            for n in range(3):
                started = add(corpus, n)
                delivered = sub.wait_for_deliveries(n + 1, timeout=15, topic=topic)[n]
                latencies.append(delivered.received_monotonic - started)
                ids = [e.id for e in feedparser.parse(delivered.body).entries]
                assert ids[0].endswith(f"95{n}_websub"), ids[:3]
                # What the hub fetched is what every worker serves now.
                assert delivered.body == server.get("/feeds/kinh-te.rss")[2]
                sub.wait_for_deliveries(n + 1, timeout=15, topic=site)
            hub.wait_idle()
            assert sub.deliveries(untouched) == []  # a feed the changes did not touch: no ping
            assert len(sub.deliveries(topic)) == 3 and len(sub.deliveries(site)) == 3  # one per change

            pings = hub.pings()
            assert pings and all(p["form"]["hub.url"] == p["form"]["hub.topic"] for p in pings)
            # The site's, the section's and the author's feeds: the listings the new articles are in.
            assert {p["form"]["hub.topic"] for p in pings} <= {server.url(f"/feeds/{s}.{f}")
                                                               for s in ("all", "kinh-te", "authors/ngoc-anh")
                                                               for f in ("rss", "atom", "json")}
            before = len(pings)
        finally:
            server.stop()

        # A restart is not news: nothing changed, so no ping and no delivery.
        server = start_server(tmp_path, corpus, hub)
        try:
            time.sleep(2)
            hub.wait_idle()
            assert len(hub.pings()) == before
            assert len(sub.deliveries(topic)) == 3
        finally:
            server.stop()
    print(f"WEBSUB change-to-subscriber seconds: {[round(x, 3) for x in latencies]} "
          f"median {statistics.median(latencies):.3f}")
