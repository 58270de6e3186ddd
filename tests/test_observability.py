"""What operators see: /metrics over every worker, JSON log lines, request ids."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from server import Server

TOKEN = "scrape-me-7f3a"


def metrics(server: Server) -> dict[tuple[str, tuple], float]:
    status, _, body = server.get("/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body[:300]
    found = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def total(found: dict, name: str, **labels) -> float:
    return sum(value for (metric, items), value in found.items()
               if metric == name and all(dict(items).get(k) == v for k, v in labels.items()))


@pytest.mark.e2e
def test_metrics_add_up_every_worker_and_need_the_token(corpus, tmp_path):
    env = {"FEEDSVC_CORPUS_DIR": str(corpus), "FEEDSVC_INDEX_PATH": str(tmp_path / "index.sqlite3"),
           "FEEDSVC_METRICS_TOKEN": TOKEN}
    with Server(tmp_path / "logs", env, workers=2) as server:
        server.wait_all_workers_ready()
        before = metrics(server)
        etag = None
        for n in range(40):  # fresh connections: both workers answer some
            _, headers, _ = server.get("/feeds/all.rss", {"If-None-Match": etag} if etag and n % 2 else {})
            etag = headers["ETag"]
        for _ in range(5):
            server.get("/articles/no-such-article")
        after = metrics(server)
        pids = {pid for pid in server.access_pids("Python-urllib/3.11")}
        assert len(pids) == 2, "the requests should have reached both workers"
        feeds = total(after, "feedsvc_requests_total", route="feed", format="rss")
        assert feeds - total(before, "feedsvc_requests_total", route="feed", format="rss") == 40
        assert total(after, "feedsvc_requests_total", route="page", status="4xx") >= 5
        not_modified = total(after, "feedsvc_conditional_requests_total", answer="304")
        assert not_modified - total(before, "feedsvc_conditional_requests_total", answer="304") == 20
        assert total(after, "feedsvc_articles") == 18
        assert total(after, "feedsvc_cache_lookups_total", result="hit") > 0

        # A new article: its change-to-visible time is observed.
        seen = total(after, "feedsvc_change_visible_seconds_count")
        (corpus / "990_metrics.txt").write_text(" date 2024-01-02 Kinh tế Bài mới\n\n(kontumtv.vn) – Sáng 2/1, "
                                                 "tin.\n\nNgọc Ánh\n", encoding="utf-8")
        deadline = time.monotonic() + 10
        while total(metrics(server), "feedsvc_articles") != 19:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert total(metrics(server), "feedsvc_change_visible_seconds_count") > seen

        assert server.get("/metrics")[0] == 401
        assert server.get("/metrics", {"Authorization": "Bearer wrong"})[0] == 401


def test_metrics_are_a_404_without_a_token(shared_client):
    assert shared_client.get("/metrics").status_code == 404


def test_a_request_id_is_kept_or_made_and_echoed(shared_client):
    assert shared_client.get("/healthz", headers={"X-Request-ID": "req-42.abc"}).headers["X-Request-ID"] == "req-42.abc"
    made = shared_client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"}).headers["X-Request-ID"]
    assert made != "bad id\twith junk" and len(made) == 32
    assert shared_client.get("/nope").headers["X-Request-ID"]


@pytest.mark.e2e
def test_json_logs_are_one_object_a_line_with_the_request_id(tmp_path):
    env = {"FEEDSVC_INDEX_PATH": "memory", "FEEDSVC_LOG_FORMAT": "json"}
    with Server(tmp_path / "logs", env, workers=1) as server:
        request = urllib.request.Request(server.url("/feeds/all.atom"), headers={"X-Request-ID": "trace-777"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["X-Request-ID"] == "trace-777"
        time.sleep(0.3)
        lines = [line for line in server.stdout().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]  # every line is JSON
        access = [r for r in records if r["logger"] == "gunicorn.access" and r.get("request_id") == "trace-777"]
        assert len(access) == 1 and access[0]["path"] == "/feeds/all.atom" and access[0]["status"] == 200
        assert {"time", "level", "pid", "message"} <= set(access[0])
        assert any(r["logger"].startswith("feedsvc.") for r in records)
    assert os.environ.get("FEEDSVC_LOG_FORMAT") is None  # the test set it for the server only
