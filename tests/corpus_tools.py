"""The corpus side of the reliability tests: sample folders, articles in the newsroom's format, a
writer that adds, edits, renames and deletes files while a server runs, and the check that the feeds
caught up with the folder."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

from conftest import copy_corpus
from loadgen import LoadProcess
from raw_http import feed_entries, get
from server import Server

CATEGORIES = ("Kinh tế", "Y tế", "Giáo dục", "Thể thao", "Du lịch", "Văn hóa - Xã hội", "Pháp luật")


def article_text(title: str, *, category: str = "Kinh tế", date: str = "2024-03-03", sentences: int = 2,
                 byline: str = "Minh Châu") -> str:
    """An export in the newsroom's format: header line, dated lead, body, byline."""
    day, month = int(date[8:10]), int(date[5:7])
    lead = f"(kontumtv.vn) – Sáng {day}/{month}, UBND tỉnh Kon Tum tổ chức hội nghị về {title.lower()}."
    body = " ".join(f"Câu thứ {n} của bài viết nói về công tác phát triển kinh tế – xã hội của tỉnh." for n in
                    range(1, sentences + 1))
    return f" date {date} {category} {title}\n\n{lead}\n\n{body}\n\n{byline}\n"


def expected_articles(corpus: Path) -> dict[str, str]:
    """id -> title of every article the parser makes of the folder (what the feeds must show)."""
    import logging

    from feedsvc.corpus import load_folder

    quiet = logging.getLogger("feedsvc.corpus.indexer")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the skipped files are the caller's business
    try:
        repo = load_folder(corpus, workers=1)
    finally:
        quiet.setLevel(level)
    return {article.id: article.title for article in repo.all_articles()}


class CorpusWriter:
    """Adds, edits, renames and deletes article files; some writes land in two halves.

    Every version of a file is longer than the one before it, so an edit always changes the
    size (see RELIABILITY.md: a same-size edit within one mtime tick is a separate finding).
    """

    def __init__(self, corpus: Path, seed: int = 7, max_files: int = 90, prefix: str = "w"):
        self.corpus = Path(corpus)
        self.rng = random.Random(seed)
        self.max_files = max_files
        self.prefix = prefix
        self.files: dict[str, tuple[int, str, str]] = {}  # name -> (version, category, date)
        self.counts: Counter = Counter()
        self.serial = 0
        self.last_change = time.monotonic()

    def _content(self, name: str) -> bytes:
        version, category, date = self.files[name]
        title = f"Bài kiểm thử tải {name[:-4]} phiên bản {version}"
        return article_text(title, category=category, date=date, sentences=version + 1).encode("utf-8")

    def _write(self, name: str, data: bytes) -> None:
        path = self.corpus / name
        roll = self.rng.random()
        if roll < 0.4:
            # Non-atomic: the scanner may see the first part (even mid-UTF-8 sequence) on its own.
            cut = self.rng.randint(1, len(data) - 1)
            with open(path, "wb") as handle:
                handle.write(data[:cut])
                handle.flush()
                time.sleep(self.rng.uniform(0.05, 0.6))
                handle.write(data[cut:])
            self.counts["partial_writes"] += 1
        elif roll < 0.7:
            temp = self.corpus / f".{name}.{self.serial}.tmp"
            temp.write_bytes(data)
            os.replace(temp, path)
            self.counts["atomic_writes"] += 1
        else:
            path.write_bytes(data)
            self.counts["plain_writes"] += 1

    def step(self) -> str:
        self.serial += 1
        roll = self.rng.random()
        names = sorted(self.files)
        if roll < 0.04:
            junk = self.corpus / f"{self.prefix}junk{self.serial}.txt"
            junk.write_bytes(self.rng.choice([b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"   \n\t\n"]))
            action = "junk"
        elif not names or (roll < 0.40 and len(names) < self.max_files):
            name = f"{self.prefix}{self.serial:05d}.txt"
            self.files[name] = (0, self.rng.choice(CATEGORIES),
                                f"2024-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}")
            self._write(name, self._content(name))
            action = "add"
        elif roll < 0.72:
            name = self.rng.choice(names)
            version, category, date = self.files[name]
            self.files[name] = (version + 1, category, date)
            self._write(name, self._content(name))
            action = "edit"
        elif roll < 0.86:
            name = self.rng.choice(names)
            new = f"{self.prefix}{self.serial:05d}r.txt"
            os.rename(self.corpus / name, self.corpus / new)
            self.files[new] = self.files.pop(name)
            action = "rename"
        else:
            name = self.rng.choice(names)
            os.unlink(self.corpus / name)
            del self.files[name]
            action = "delete"
        self.counts[action] += 1
        self.last_change = time.monotonic()
        return action

    def run(self, stop: threading.Event, until: float, pause: tuple[float, float] = (0.05, 0.3)) -> None:
        while not stop.is_set() and time.monotonic() < until:
            self.step()
            stop.wait(self.rng.uniform(*pause))


def wait_converged(port: int, expected: dict[str, str], timeout: float, rounds: int = 3) -> tuple[float, str]:
    """Seconds until ``rounds`` successive rounds of fresh-connection fetches of every format show
    exactly ``expected`` (id -> title); (-1, last difference) on timeout."""
    began = time.monotonic()
    good, last = 0, "never fetched"
    while time.monotonic() - began < timeout:
        ok = True
        for fmt in ("json", "atom", "rss", "json", "atom", "rss"):
            status, answer, body = get(port, f"/feeds/all.{fmt}?limit=200")
            if status != 200:
                ok, last = False, f"{fmt}: {status}"
                break
            seen = feed_entries(answer["content-type"], body)
            if seen != expected:
                missing = sorted(set(expected) - set(seen))[:5]
                extra = sorted(set(seen) - set(expected))[:5]
                stale = sorted(k for k in set(seen) & set(expected) if seen[k] != expected[k])[:5]
                ok, last = False, f"{fmt}: missing {missing} extra {extra} stale {stale}"
                break
        good = good + 1 if ok else 0
        if good >= rounds:
            return time.monotonic() - began, ""
        time.sleep(0.2)
    return -1.0, last


def run_changing_load(workdir: Path, duration: float = 30.0, connections: int = 8, workers: int = 2,
                      reload_interval: float = 1.0, seed: int = 7) -> dict:
    """The scenario of test_load_changing and bench/load_changing.py; every figure in one dict."""
    workdir = Path(workdir)
    corpus = copy_corpus(workdir / "corpus")
    with Server.for_corpus(workdir, corpus, workers=workers, reload_interval=reload_interval) as server:
        server.wait_ready()
        load = LoadProcess(server.port, duration, connections=connections, seed=seed)
        writer = CorpusWriter(corpus, seed=seed)
        stop = threading.Event()
        try:
            # The writer stops a little before the load so the last reloads happen under load too.
            writer.run(stop, time.monotonic() + max(1.0, duration - 2 * reload_interval - 1))
            figures = load.result()
        finally:
            stop.set()
            load.stop()
        expected = expected_articles(corpus)
        assert all(name[:-4] in expected for name in writer.files), "the writer's own files must parse"
        waited = max(0.0, time.monotonic() - writer.last_change)
        converged, difference = wait_converged(server.port, expected, timeout=reload_interval * 3 + 15)
        health_status, _, health = get(server.port, "/healthz")
        log = server.log()
    figures.update({
        "workers": workers,
        "reload_interval_s": reload_interval,
        "writer": dict(writer.counts),
        "writer_actions": sum(v for k, v in writer.counts.items() if k in ("add", "edit", "rename", "delete", "junk")),
        "final_articles": len(expected),
        "converged_s_after_load": round(converged, 2) if converged >= 0 else -1,
        "quiet_s_before_check": round(waited, 2),
        "convergence_problem": difference,
        "healthz_status": health_status,
        "healthz_articles": json.loads(health).get("articles") if health_status == 200 else None,
        "tracebacks_in_log": log.count("Traceback"),
    })
    return figures


def failures(figures: dict) -> list[str]:
    """What went wrong, one line each; empty when the run is clean."""
    found = []
    checks = [
        ("5xx answers", figures["5xx"]),
        ("transport errors", figures["transport_errors"]),
        ("bodies rejected by feedparser/json", len(figures["bad_bodies"])),
        ("ETags naming two different bodies", len(figures["etag_conflicts"])),
        ("answers without nosniff/CSP", len(figures["bad_headers"])),
        ("tracebacks in the server log", figures["tracebacks_in_log"]),
    ]
    for what, count in checks:
        if count:
            found.append(f"{count} {what}")
    if figures["converged_s_after_load"] < 0:
        found.append(f"feeds never matched the final corpus: {figures['convergence_problem']}")
    if figures["healthz_status"] != 200 or figures["healthz_articles"] != figures["final_articles"]:
        found.append(f"/healthz {figures['healthz_status']} with {figures['healthz_articles']} articles, "
                     f"expected {figures['final_articles']}")
    return found


