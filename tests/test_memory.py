"""However many distinct query strings and Host values a client sends, a worker's memory stays under
the cache's byte bound plus its base (what it takes to serve the corpus at all)."""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import copy_corpus
from raw_http import get
from server import Server

pytestmark = pytest.mark.e2e  # a real gunicorn's workers, measured from /proc

BOUND = 4 * 1024 * 1024  # FEEDSVC_CACHE_BYTES for the test
# What the README documents as a worker's base beyond the cache: the interpreter, Flask, the corpus
# in memory, the allocator's slack. Measured here at 40-60 MB for the sample corpus.
SLACK = 24 * 1024 * 1024  # growth allowed beyond the bound once warm (fragmentation, headers memo, hosts)


def rss(pid: int) -> int:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) * 1024


def test_distinct_queries_and_hosts_cannot_grow_a_worker_past_the_cache_bound(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    with Server.for_corpus(tmp_path, corpus, workers=2, env={"FEEDSVC_CACHE_BYTES": str(BOUND)}) as server:
        server.wait_ready()
        rng = random.Random(5)
        for _ in range(40):  # warm: every worker has rendered and cached its usual documents
            for path in ("/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/", "/feeds.opml"):
                get(server.port, path, {"Accept-Encoding": "gzip"})
        base = {pid: rss(pid) for pid in server.worker_pids()}

        def attack(n: int) -> int:
            fmt = ("rss", "atom", "json")[n % 3]
            query = f"?limit={rng.randint(1, 200)}&page=1" if n % 2 else f"?limit={rng.randint(1, 9)}&page=2"
            headers = {"Host": f"h{n}.attacker.example:{1000 + n % 60000}"} if n % 4 else {}
            if n % 7 == 0:
                return get(server.port, f"/search.{fmt}?q=kon+tum+{n}", headers)[0]
            return get(server.port, f"/feeds/all.{fmt}{query}", headers)[0]

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(attack, range(2400)))
        assert statuses.count(200) > 2000, sorted(set(statuses))
        grown = {pid: rss(pid) - base[pid] for pid in base}
        for pid, growth in grown.items():
            assert growth <= BOUND + SLACK, f"worker {pid} grew {growth / 2**20:.1f} MB"
        assert server.healthz()["status"] == "ok"
    print("RELIABILITY cache-bound: requests=2400 distinct_keys~2400 bound_mb=%.0f base_mb=%s growth_mb=%s"
          % (BOUND / 2**20, [round(b / 2**20) for b in base.values()], [round(g / 2**20, 1) for g in grown.values()]))
