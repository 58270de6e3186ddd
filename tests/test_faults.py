"""Faults under a real gunicorn (the Procfile command): a worker killed mid-load, SIGTERM with
requests in flight, a corrupt / deleted parse index, a full disk or an unwritable index folder.

``pytest -s tests/test_faults.py`` prints the figures RELIABILITY.md quotes.

How the disk faults are simulated, as root too (chmod does not stop root):
* unwritable index folder: FEEDSVC_INDEX_PATH points *under a regular file*, so creating its folder
  fails with ENOTDIR / EEXIST whoever runs the test;
* full disk: RLIMIT_FSIZE, which binds root as well: a write(2) past the limit fails with EFBIG, as on
  a full disk (SIGXFSZ is ignored, as a daemon would). At start the limit is 4 KB per file (gunicorn's
  temp-dir probe still works, SQLite's first WAL frame does not); mid-run it is set to 0 on the live
  workers with prlimit(2). The server's stdout is a pipe (see server.Server), so its
  logging still works.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import socket
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import copy_corpus
from corpus_tools import article_text, expected_articles, wait_converged
from loadgen import LoadProcess
from raw_http import body_problem, get, report
from server import Server

pytestmark = pytest.mark.e2e  # real gunicorn, real signals, faults injected into running processes


def _ignore_sigxfsz():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _disk_full():
    # 4 KB per file: gunicorn's temp-dir probe (4 bytes) still works, SQLite's first WAL frame does not.
    _ignore_sigxfsz()
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def _wait_for(predicate, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def _index_rows(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        return conn.execute("SELECT count(*) FROM files").fetchone()[0]  # the seeds: no skipped rows


def _rows_or_none(path: Path) -> int | None:
    try:
        return _index_rows(path)
    except (sqlite3.Error, AssertionError):
        return None


NEW = "Kon Tum khánh thành cầu treo mới sau sự cố chỉ mục"


def _add_article(corpus: Path, name: str = "900_after_fault.txt", title: str = NEW) -> str:
    (corpus / name).write_text(article_text(title, date="2024-06-01"), encoding="utf-8")
    return name[:-4]


# --- worker killed with SIGKILL under load ------------------------------------------------------

def test_a_worker_killed_mid_load_is_replaced_and_only_its_requests_fail(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    connections = 8
    with Server.for_corpus(tmp_path, corpus, workers=2) as server:
        server.wait_ready()
        load = LoadProcess(server.port, duration=6.0, connections=connections, seed=11)
        started = time.monotonic()
        kills, replaced_in = [], []
        try:
            for at in (1.5, 3.5):
                time.sleep(max(0.0, at - (time.monotonic() - started)))
                before = server.worker_pids()
                assert len(before) == 2
                victim = min(before)
                kills.append((time.time(), victim))
                os.kill(victim, signal.SIGKILL)
                began = time.monotonic()
                after = _wait_for(lambda gone=victim: (lambda now: now if len(now) == 2 and gone not in now else None)(
                    server.worker_pids()), timeout=15)
                assert after, f"worker {victim} was not replaced"
                replaced_in.append(time.monotonic() - began)
                server.wait_ready(15, pids=after - before)  # the replacement answers
            figures = load.result()
        finally:
            load.stop()
        log = server.log()
        status, headers, body = get(server.port, "/feeds/all.rss")
    assert status == 200 and body_problem(headers["content-type"], body) is None
    assert figures["5xx"] == 0, figures["server_errors"]
    assert figures["bad_bodies"] == [] and figures["etag_conflicts"] == []
    # At most the requests that were on the killed worker: one per client connection per kill,
    # and only around the moment of a kill.
    errors = figures["transport_error_detail"]
    assert figures["transport_errors"] <= connections * len(kills), errors
    for when, *_ in errors:
        assert any(0 <= when - killed_at < 3 for killed_at, _ in kills), (when, kills)
    assert "Traceback" not in log
    report("sigkill-worker", requests=figures["requests"], faults_injected=len(kills),
           failed_requests=figures["transport_errors"], other_failures=figures["5xx"] + len(figures["bad_bodies"]),
           replaced_in_s=max(round(t, 2) for t in replaced_in), failures=0)


def test_a_worker_booting_on_a_warm_index_is_ready_before_it_serves(tmp_path):
    """What keeps a replaced worker from answering 503: with a warm index, create_app waits for the
    first (stat-only) refresh; on a cold one it still returns at once and serves 503 until loaded."""
    from feedsvc.web.app import create_app

    config = {"CORPUS_DIR": str(copy_corpus(tmp_path / "corpus")), "INDEX_PATH": str(tmp_path / "index.sqlite3"),
              "RELOAD_INTERVAL": 60, "BACKGROUND_LOAD": True}
    cold = create_app(config)
    assert _wait_for(lambda: cold.extensions["feedsvc"].catalog.ready.is_set(), 30)
    cold.extensions["feedsvc"].reloader.stop()
    warm = create_app(config)
    try:
        assert warm.extensions["feedsvc"].catalog.ready.is_set()
        assert warm.test_client().get("/feeds/all.rss").status_code == 200
    finally:
        warm.extensions["feedsvc"].reloader.stop()


# --- SIGTERM to the master with downloads in flight --------------------------------------------------

def _big_corpus(folder: Path) -> Path:
    corpus = copy_corpus(folder)
    for n in range(30):
        (corpus / f"800_big{n:02d}.txt").write_text(
            article_text(f"Bài dài số {n}", date=f"2024-07-{n % 28 + 1:02d}", sentences=900), encoding="utf-8")
    return corpus


def _start_slow_download(port: int, path: str) -> tuple[socket.socket, bytes]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server blocks in send
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port))
    # The Host http.client sends, so the self links (and bytes) equal the reference's.
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: slow-reader\r\n"
                 "Connection: close\r\n\r\n".encode())
    first = sock.recv(4096)
    assert first.startswith(b"HTTP/1.1 200"), first[:100]
    return sock, first


def _finish_download(sock: socket.socket, first: bytes) -> bytes:
    chunks = [first]
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    sock.close()
    return b"".join(chunks)


def test_sigterm_lets_in_flight_downloads_finish_under_load(tmp_path):
    corpus = _big_corpus(tmp_path / "corpus")
    path = "/feeds/all.json?limit=200"
    with Server.for_corpus(tmp_path, corpus, workers=2) as server:
        server.wait_ready()
        status, _, reference = get(server.port, path)
        assert status == 200 and len(reference) > 2_000_000
        load = LoadProcess(server.port, duration=2.5, connections=4, seed=5)
        try:
            time.sleep(0.8)
            downloads = [_start_slow_download(server.port, path) for _ in range(3)]
            time.sleep(0.3)
            # In flight: gunicorn logs a request once its answer is written, and none is logged yet.
            assert server.access_pids("slow-reader") == set()
            began = time.monotonic()
            server.signal(signal.SIGTERM)
            time.sleep(0.5)
            assert server.process.poll() is None  # still waiting for the downloads
            with ThreadPoolExecutor(len(downloads)) as pool:
                answers = list(pool.map(lambda download: _finish_download(*download), downloads))
            code = server.wait_exit(25)
            elapsed = time.monotonic() - began
            figures = load.result()
        finally:
            load.stop()
        assert len(server.access_pids("slow-reader")) >= 1  # logged once finished
        log = server.log()
    for raw in answers:
        head, _, body = raw.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        assert length == len(body) == len(reference)
        assert hashlib.sha256(body).digest() == hashlib.sha256(reference).digest()
        assert body_problem("application/feed+json", body) is None
    assert code == 0 and elapsed < 20, (code, elapsed, log[-3000:])
    assert figures["5xx"] == 0, figures["server_errors"]
    assert figures["bad_bodies"] == []
    # Load requests after the listener closed are refused: those are the only transport errors.
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
    report("sigterm-master", in_flight_downloads=len(answers), bytes_each=len(reference), completed=len(answers),
           load_requests=figures["requests"], load_5xx=figures["5xx"],
           refused_after_close=figures["transport_errors"], exit_code=code, exit_s=round(elapsed, 2), failures=0)


# --- the parse index ----------------------------------------------------------------------------------

def _good_index_bytes(tmp_path: Path, corpus: Path) -> bytes:
    from feedsvc.web.app import create_app

    index = tmp_path / "good" / "index.sqlite3"
    app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": str(index), "RELOAD_INTERVAL": 0,
                      "BACKGROUND_LOAD": False})
    assert app.test_client().get("/feeds/all.json").status_code == 200
    app.extensions["feedsvc"].catalog.store._connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return index.read_bytes()


def _corruptions(good: bytes) -> dict[str, bytes]:
    middle = len(good) // 2
    return {
        "random-bytes": os.urandom(len(good)),
        "truncated-half": good[:middle],
        "header-only": good[:100],
        "pages-flipped": good[:middle] + bytes(b ^ 0xFF for b in good[middle:middle + 4096]) + good[middle + 4096:],
        "text-file": b"this is not a database\n" * 100,
    }


def test_a_corrupt_parse_index_is_rebuilt_at_start(tmp_path):
    from feedsvc.web.app import create_app

    corpus = copy_corpus(tmp_path / "corpus")
    good = _good_index_bytes(tmp_path, corpus)
    corruptions = _corruptions(good)
    for name, blob in corruptions.items():
        index = tmp_path / f"{name}.sqlite3"
        index.write_bytes(blob)
        app = create_app({"CORPUS_DIR": str(corpus), "INDEX_PATH": str(index), "RELOAD_INTERVAL": 0,
                          "BACKGROUND_LOAD": False})
        client = app.test_client()
        assert client.get("/healthz").get_json()["articles"] == 18, name
        response = client.get("/feeds/all.atom")
        assert response.status_code == 200 and body_problem(response.content_type, response.data) is None
        assert _index_rows(index) == 18, name  # rebuilt, readable, complete

    # And through the Procfile command, with two workers opening the same corrupt file.
    index = tmp_path / "served.sqlite3"
    index.write_bytes(corruptions["pages-flipped"])
    with Server.for_corpus(tmp_path / "server", corpus, workers=2, index_path=str(index)) as server:
        server.wait_ready()
        health = json.loads(get(server.port, "/healthz")[2])
        status, headers, body = get(server.port, "/feeds/all.rss")
        log = server.log()
    assert health["articles"] == 18 and status == 200 and body_problem(headers["content-type"], body) is None
    assert "rebuilding" in log and "Traceback" not in log
    assert _index_rows(index) == 18
    report("corrupt-index-at-start", corruptions_tried=len(corruptions) + 1, rebuilt=len(corruptions) + 1, failures=0)


def _fault_while_running(tmp_path: Path, fault) -> dict:
    """Run the fault on a serving gunicorn, then load it and add an article; what clients saw."""
    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index.sqlite3"
    with Server.for_corpus(tmp_path, corpus, workers=2, index_path=str(index), reload_interval=0.5,
                               preexec_fn=_ignore_sigxfsz) as server:
        server.wait_ready()
        assert get(server.port, "/feeds/all.json")[0] == 200
        fault(server, index)
        load = LoadProcess(server.port, duration=1.5, connections=6, seed=3)
        try:
            new_id = _add_article(corpus)
            figures = load.result()
        finally:
            load.stop()
        assert figures["5xx"] == 0, figures["server_errors"][:3]
        expected = expected_articles(corpus)
        assert new_id in expected
        converged, difference = wait_converged(server.port, expected, timeout=4)
        assert converged >= 0, difference
        log = server.log()
    assert "Traceback" not in log
    return {"figures": figures, "converged": converged, "log": log, "index": index}


def test_a_parse_index_deleted_while_running_is_rebuilt(tmp_path):
    def delete(server, index):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{index}{suffix}").unlink(missing_ok=True)

    outcome = _fault_while_running(tmp_path, delete)
    assert _wait_for(lambda: outcome["index"].exists(), 5) and _index_rows(outcome["index"]) == 19
    _report_fault("index-deleted-while-running", outcome)


def test_a_parse_index_corrupted_while_running_is_rebuilt(tmp_path):
    def corrupt(server, index):
        with sqlite3.connect(index) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = index.stat().st_size
        with open(index, "r+b") as handle:
            handle.write(os.urandom(size))

    outcome = _fault_while_running(tmp_path, corrupt)
    assert _wait_for(lambda: _rows_or_none(outcome["index"]) == 19, 5)  # a sound index again
    _report_fault("index-overwritten-while-running", outcome)


def test_a_disk_that_fills_up_while_running_degrades_to_memory(tmp_path):
    def fill(server, index):
        for pid in server.worker_pids():  # from now on every write(2) to a file fails with EFBIG
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.prlimit(pid, resource.RLIMIT_FSIZE)[1]))

    outcome = _fault_while_running(tmp_path, fill)
    assert "memory" in outcome["log"]  # a warning says so
    _report_fault("disk-full-while-running", outcome)


def _report_fault(scenario: str, outcome: dict) -> None:
    figures = outcome["figures"]
    report(scenario, requests=figures["requests"], server_errors=figures["5xx"],
           new_article_in_feeds_after_s=outcome["converged"], failures=0)


# --- no writable place for the index at start -------------------------------------------------------

@pytest.mark.parametrize("how", ["index-folder-under-a-file", "full-disk"])
def test_no_writable_index_degrades_to_memory_with_a_warning(tmp_path, how):
    corpus = copy_corpus(tmp_path / "corpus")
    blocker = tmp_path / "instance"
    blocker.write_text("a regular file where the instance folder should be\n")
    index = blocker / "index.sqlite3" if how == "index-folder-under-a-file" else tmp_path / "index.sqlite3"
    preexec = _disk_full if how == "full-disk" else None
    with Server.for_corpus(tmp_path / "server", corpus, workers=2, index_path=str(index), reload_interval=0.5,
                               preexec_fn=preexec) as server:
        server.wait_ready()
        health = json.loads(get(server.port, "/healthz")[2])
        new_id = _add_article(corpus)
        expected = expected_articles(corpus)
        assert new_id in expected
        converged, difference = wait_converged(server.port, expected, timeout=10)
        log = server.log()
    assert health["status"] == "ok" and health["articles"] == 18
    assert converged >= 0, difference  # reloading still works, in memory
    assert "working in memory" in log and "WARNING" in log
    assert "Traceback" not in log
    assert not index.exists() or index.stat().st_size <= 4096
    report(f"index-unwritable-{how}", articles=health["articles"], reload_after_s=round(converged, 2), failures=0)
