"""A real feed reader, newsboat, subscribed to every category feed of a real gunicorn.

newsboat is a Debian package (CI installs it with apt; see .ci/run). It exits 0 even when a
download fails, so each run's debug log is read for errors. It keys items by guid across all its
feeds, so every test gets a cache of its own; it sends If-None-Match / If-Modified-Since only from
its third reload onward (see /work/shared/FEEDS.md).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest
from readers import Newsboat
from server import Server
from test_gunicorn import ARTICLE, EXPECTED, SLUGS, TAG, expected_ids, expected_slugs, write_atomically

pytestmark = pytest.mark.e2e  # a real feed reader polling a real server

ICT = timezone(timedelta(hours=7))
INTERVAL = 0.5
def access_lines(server: Server, start: int) -> list[tuple[str, int]]:
    """(path, status) of newsboat's requests in gunicorn's access log, from offset ``start``."""
    found = []
    for line in server.stdout()[start:].splitlines():
        match = re.search(r'gunicorn\.access: .*"GET (\S+) HTTP/1\.1" (\d{3}) .*"newsboat/', line)
        if match:
            found.append((match.group(1), int(match.group(2))))
    return found


def published(record: dict) -> int | None:
    """The moment a day-precise date means, at midnight in Kon Tum (UTC+7), as a Unix time."""
    day = record.get("date_refined") or record["date"]
    if not day or len(day) != 10:
        return None
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=ICT).timestamp())


def expected_feed_of(guid: str) -> str:
    return SLUGS[EXPECTED[guid[len(TAG):]]["category"]]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_newsboat_follows_every_category_feed(corpus, tmp_path, fmt):
    server = Server(tmp_path / "logs", {
        "FEEDSVC_CORPUS_DIR": str(corpus),
        "FEEDSVC_INDEX_PATH": str(tmp_path / "index.sqlite3"),
        "FEEDSVC_RELOAD_INTERVAL": str(INTERVAL),
    }, workers=2)
    with server:
        server.wait_all_workers_ready()

        # Subscribe as a reader importing the OPML list would, to every category feed.
        status, _, body = server.get(f"/feeds.opml?format={fmt}")
        assert status == 200
        outlines = ET.fromstring(body).iter("outline")
        urls = [o.get("xmlUrl") for o in outlines]  # the sections only: each article exactly once
        slugs = expected_slugs()
        assert sorted(urls) == sorted(server.url(f"/feeds/{slug}.{fmt}") for slug in slugs)
        assert set(server.healthz()["categories"]) == slugs
        reader = Newsboat(tmp_path / "newsboat", urls)

        categorised = set().union(*(expected_ids(slug) for slug in slugs))
        assert categorised == expected_ids("all")
        for run in (1, 2, 3):
            offset = len(server.stdout())
            log = reader.reload()
            items = reader.items()
            guids = [guid for guid, _, _, _ in items]
            assert len(guids) == len(set(guids)), f"duplicate guids after reload {run}"
            assert set(guids) == categorised, f"reload {run}"
            for guid, feedurl, _, _ in items:
                assert feedurl == server.url(f"/feeds/{expected_feed_of(guid)}.{fmt}"), guid
            requests = access_lines(server, offset)
            assert sorted(path for path, _ in requests) == sorted(u[len(server.base_url):] for u in urls)
            if run < 3:
                assert {code for _, code in requests} == {200}, requests
        # Third reload: newsboat sent the validators it stored, and every feed answered 304.
        assert {code for _, code in requests} == {304}, requests
        etags = reader.etags()
        for url in urls:
            _, headers, _ = server.get(url[len(server.base_url):], {"Accept-Encoding": "gzip"})
            assert etags[url] == headers["ETag"], url
            assert f"etag = {headers['ETag']}" in log, url

        # Dates reach the reader unshifted: midnight in Kon Tum, not in UTC.
        for guid, _, _, pub_date in items:
            moment = published(EXPECTED[guid[len(TAG):]])
            if moment is not None:
                assert pub_date == moment, (guid, datetime.fromtimestamp(pub_date, ICT))

        # One new article in one category: after a rescan, exactly one new item.
        write_atomically(corpus / "900_e2e_newsboat.txt", ARTICLE)
        new_guid = TAG + "900_e2e_newsboat"
        deadline = time.monotonic() + 10
        while server.healthz()["articles"] != len(EXPECTED) + 1:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        time.sleep(3 * INTERVAL)  # every worker has rescanned by now

        offset = len(server.stdout())
        reader.reload()
        after = reader.items()
        added = [item for item in after if item[0] not in categorised]
        assert len(after) == len(items) + 1
        assert [guid for guid, _, _, _ in added] == [new_guid]
        guid, feedurl, title, pub_date = added[0]
        assert feedurl == server.url(f"/feeds/kinh-te.{fmt}")
        assert title == "Kon Tum mở rộng diện tích trồng sâm Ngọc Linh dưới tán rừng"
        assert pub_date == int(datetime(2024, 5, 6, tzinfo=ICT).timestamp())
        assert len({guid for guid, _, _, _ in after}) == len(after)
        # Only the feed that changed was sent again; the others still answered 304.
        requests = dict(access_lines(server, offset))
        assert requests.pop(f"/feeds/kinh-te.{fmt}") == 200
        assert set(requests.values()) == {304}, requests
