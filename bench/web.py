"""The figures that go through gunicorn: hits, 304s, gzip, memory, reload, start-up, worker class."""

from __future__ import annotations

import gzip
import json
import statistics
import time
from pathlib import Path

from server import Server, wrk

FEED = "/feeds/kinh-te.rss"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
TRANSPORT = ("Date", "Server", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding")


def app_env(corpus: Path, index: Path, **extra) -> dict[str, str]:
    return {"FEEDSVC_CORPUS_DIR": str(corpus), "FEEDSVC_INDEX_PATH": str(index), **extra}


def start_up(corpus: Path, index: Path, log: Path) -> dict:
    """A cold server (no index file): when it first answers, with what, and when it is ready."""
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(index) + suffix).unlink(missing_ok=True)
    server = Server(app_env(corpus, index), log=log)
    try:
        first, status, headers = server.first_answer(FEED)
        ready = server.wait_ready()
    finally:
        server.stop()
    return {"first_answer_s": first, "first_status": status, "retry_after": headers.get("Retry-After"),
            "ready_s": ready}


def write_floor(server: Server, folder: Path) -> dict:
    """Save the app's cached feed (bytes and headers, both codings, 200 and 304) for the floor app."""
    folder.mkdir(parents=True, exist_ok=True)
    _, plain_headers, body = server.get(FEED, IDENTITY)
    _, gzip_headers, gzipped = server.get(FEED, GZIP)
    assert gzip.decompress(gzipped) == body
    saved = {"0-200": plain_headers, "1-200": gzip_headers}
    for gz, first in ((0, plain_headers), (1, gzip_headers)):
        status, headers, _ = server.get(FEED, {**(GZIP if gz else IDENTITY), "If-None-Match": first["ETag"]})
        assert status == 304, status
        saved[f"{gz}-304"] = headers
    for headers in saved.values():
        for name in TRANSPORT:
            headers.pop(name, None)
    (folder / "feed.xml").write_bytes(body)
    (folder / "feed.xml.gz").write_bytes(gzipped)
    (folder / "headers.json").write_text(json.dumps(saved))
    return {"bytes": len(body), "gzip_bytes": len(gzipped), "etag": plain_headers["ETag"],
            "gzip_etag": gzip_headers["ETag"]}


def throughput(app: Server, floor: Server, quiet: Server, tags: dict, reps: int, seconds: float) -> tuple[dict, dict]:
    """Median req/s of each case, and the median of each ratio taken within a repetition.

    The cases run back to back in every repetition, so a ratio compares runs seconds apart: the
    machine is shared, and its load drifts more between repetitions than within one.
    """
    cases = {
        "app_gzip": (app, FEED, GZIP),
        "floor_gzip": (floor, "/feed", GZIP),
        "app_304": (app, FEED, {**GZIP, "If-None-Match": tags["gzip_etag"]}),
        "floor_304": (floor, "/feed", {**GZIP, "If-None-Match": tags["gzip_etag"]}),
        "app_identity": (app, FEED, IDENTITY),
        "app_gzip_no_rescan": (quiet, FEED, GZIP),  # diagnostic: what the periodic folder scan costs
    }
    ratios = {"hit_vs_floor": ("app_gzip", "floor_gzip"), "notmodified_vs_floor": ("app_304", "floor_304"),
              "gzip_vs_identity": ("app_gzip", "app_identity"), "rescan_cost": ("app_gzip", "app_gzip_no_rescan")}
    for server, path, headers in cases.values():
        wrk(server.url + path, 1, headers)  # warm every worker and connection path
    found: dict[str, list[float]] = {name: [] for name in cases}
    for rep in range(reps):
        order = list(cases.items())
        if rep % 2:
            order.reverse()  # neither side of a ratio always runs first
        for name, (server, path, headers) in order:
            found[name].append(wrk(server.url + path, seconds, headers))
    rates = {name: statistics.median(values) for name, values in found.items()}
    per_rep = {key: statistics.median(a / b for a, b in zip(found[top], found[bottom]))
               for key, (top, bottom) in ratios.items()}
    return rates, per_rep


def reload_times(server: Server, corpus: Path, reps: int) -> list[float]:
    """Milliseconds from writing one new file until the category feed shows it."""
    found = []
    try:
        for rep in range(reps):
            title = f"Bài mới đo thời gian nạp lại số {rep}"
            path = corpus / f"zz_reload_{rep}.txt"
            text = f" date 2030-01-{rep + 1:02d} Kinh tế {title}\n\n(kontumtv.vn) – Sáng 2/1, thử.\n\nNgọc Ánh\n"
            time.sleep(0.5)
            started = time.perf_counter()
            path.write_text(text, encoding="utf-8")
            while title.encode() not in server.get(FEED, IDENTITY)[2]:
                time.sleep(0.02)
            found.append((time.perf_counter() - started) * 1000)
    finally:
        for stale in corpus.glob("zz_reload_*.txt"):
            stale.unlink()
    return found


def worker_classes(corpus: Path, index: Path, choices: list[tuple[str, int]], reps: int,
                   seconds: float) -> dict[str, float]:
    """Cached-hit req/s (gzip client) for each (worker class, threads), all servers up, interleaved."""
    servers = {}
    try:
        for worker_class, threads in choices:
            name = f"{worker_class}" + (f"/{threads}" if worker_class == "gthread" else "")
            servers[name] = Server(app_env(corpus, index, GUNICORN_WORKER_CLASS=worker_class,
                                           GUNICORN_THREADS=str(threads)))
        for server in servers.values():
            server.wait_ready()
            wrk(server.url + FEED, 1, GZIP)
        found: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(reps):
            for name, server in servers.items():
                found[name].append(wrk(server.url + FEED, seconds, GZIP))
    finally:
        for server in servers.values():
            server.stop()
    return {name: statistics.median(values) for name, values in found.items()}


def empty_rss(workdir: Path, log: Path) -> float:
    """Mean worker RSS (MB) on an empty corpus, after a few requests."""
    empty = workdir / "empty-corpus"
    empty.mkdir(exist_ok=True)
    server = Server(app_env(empty, workdir / "empty-index.sqlite3"), log=log)
    try:
        server.wait_ready()
        for _ in range(20):
            server.get("/feeds/all.rss", GZIP)
        return statistics.mean(server.worker_rss_mb())
    finally:
        server.stop()

