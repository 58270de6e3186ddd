"""SIGKILL any process of the service at any moment: it serves fresh articles again within 30 s,
and no process of it outlives the master (no orphan holding the index's locks or the port)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from corpus_tools import article_text
from server import Server

pytestmark = pytest.mark.e2e  # real gunicorn, real SIGKILLs, real helper processes

BIG = 3000  # more than PARALLEL_FROM (2000): loads and full scans use helper processes


def big_corpus(folder: Path, count: int = BIG) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        text = article_text(f"Tin số {n} về phát triển nông thôn", date=f"2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}")
        (folder / f"{n:05d}_bulk.txt").write_text(text, encoding="utf-8")
    return folder


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().split(b") ")[1][:1] not in (b"Z", b"X")
    except OSError:
        return False


def wait_for(probe, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.02)


def add_and_wait(server: Server, corpus: Path, name: str, timeout: float = 30.0) -> float:
    """Write an article atomically; seconds until /feeds/all.rss shows it on ten fresh connections in a row."""
    temporary = corpus / f".{name}.part"
    temporary.write_text(article_text(f"Bài {name} sau sự cố", date="2030-01-02"), encoding="utf-8")
    os.replace(temporary, corpus / f"{name}.txt")
    began, streak = time.monotonic(), 0
    while streak < 10:
        assert time.monotonic() - began < timeout, f"{name} not published within {timeout}s\n{server.output()}"
        status, _, body = server.get("/feeds/all.rss")
        streak = streak + 1 if status == 200 and name.encode() in body else 0
    return time.monotonic() - began


def test_a_worker_killed_in_its_cold_load_takes_its_helpers_with_it(tmp_path):
    corpus = big_corpus(tmp_path / "corpus")
    server = Server.for_corpus(tmp_path, corpus, workers=1)
    seen: set[int] = set()
    server.start(wait=False)
    try:
        # The worker forks its helpers (spawned interpreters) as it parses: kill it right then.
        def helpers():
            tree = server.tree()
            seen.update(tree)
            return tree - {server.master} - server.worker_pids()
        parsing = wait_for(helpers, 30, "helper processes of the cold load")
        worker = next(iter(server.worker_pids()))
        os.kill(worker, signal.SIGKILL)
        # Linux kills each helper with its parent (PR_SET_PDEATHSIG): none lingers with the locks.
        wait_for(lambda: not any(alive(pid) for pid in parsing), 5, "the helpers to die with their worker")
        # The replacement worker loads the corpus (the dead worker's locks are free) and serves.
        server.wait_healthy(60)
        assert server.healthz()["articles"] == BIG
        visible = add_and_wait(server, corpus, "z_after_kill")
        seen.update(server.tree())
    finally:
        server.stop()
    assert not any(alive(pid) for pid in seen), "a process of the service outlived it"
    print(f"RELIABILITY kill-worker-in-cold-load: helpers_killed_with_it={len(parsing)} "
          f"fresh_article_after_s={visible:.2f} processes_left=0")


def test_sigkill_of_any_process_keeps_publishing_and_leaves_nothing_behind(tmp_path):
    corpus = big_corpus(tmp_path / "corpus")
    server = Server.for_corpus(tmp_path, corpus, workers=2,
                               env={"FEEDSVC_RESCAN_INTERVAL": "2"})  # full scans often: the lister helper lives
    seen: set[int] = set()
    figures = {}
    with server:
        server.wait_ready(60)
        figures["start"] = add_and_wait(server, corpus, "a_before")

        # 1. The lister helper of the watching worker (a full scan every 2 s spawns it).
        def grandchildren():
            tree = server.tree()
            seen.update(tree)
            return tree - {server.master} - server.worker_pids()
        helper = next(iter(wait_for(grandchildren, 30, "the watching worker's lister helper")))
        os.kill(helper, signal.SIGKILL)
        figures["helper"] = add_and_wait(server, corpus, "b_after_helper")
        time.sleep(3)  # a full scan after the kill: it must start another helper, not fail for ever
        figures["helper_rescan"] = add_and_wait(server, corpus, "b2_after_rescan")

        # 2. Each worker in turn (one of them watches the folder; the other takes over).
        for turn in range(2):
            victim = sorted(server.worker_pids())[turn % 2]
            os.kill(victim, signal.SIGKILL)
            figures[f"worker{turn}"] = add_and_wait(server, corpus, f"c_after_worker{turn}")
            seen.update(server.tree())

        # 3. The master: its workers leave within a few seconds, and nothing keeps the port.
        seen.update(server.tree())
        os.kill(server.master, signal.SIGKILL)
        wait_for(lambda: not any(alive(pid) for pid in seen), 15, "every process to end after the master")
    port = server.port
    again = Server.for_corpus(tmp_path / "again", corpus, workers=2, index_path=str(tmp_path / "index.sqlite3"))
    again.port, again.env["PORT"] = port, str(port)  # the same port: nothing may still hold it
    began = time.monotonic()
    with again:
        figures["restart"] = time.monotonic() - began + add_and_wait(again, corpus, "d_after_restart")
    assert all(seconds < 30 for seconds in figures.values()), figures
    print("RELIABILITY sigkill-any-process: " + " ".join(f"{k}_s={v:.2f}" for k, v in figures.items())
          + " processes_left=0")


def test_preload_does_not_freeze_the_corpus(tmp_path, corpus):
    server = Server.for_corpus(tmp_path, corpus, workers=2, env={"GUNICORN_CMD_ARGS": "--preload"})
    with server:
        server.wait_ready()
        assert "preload" in server.stdout().lower() or server.worker_pids()
        visible = add_and_wait(server, corpus, "e_preloaded")
    assert visible < 30
