"""Slow and idle clients against gunicorn worker classes: `python bench/slow_clients.py`.

For each worker class (``--classes``, default: gthread as it was and feedsvc's worker), starts the
Procfile command on a 1k synthetic corpus (bench/corpus.py) plus 48 long articles that make
/feeds/all.rss ~4.7 MB (2 workers, the deployed config otherwise)
and, for each attack, holds the attackers' connections from a second process while a normal
client asks /healthz, /feeds/all.rss and /feeds/all.atom on fresh connections (the harness of
tests/test_slow_clients.py). Then the cost per request: wrk on cached hits (gzip) and on 304s
against every class, all servers up, in alternating order, ratios taken within each repetition
against the first class. Prints a table, then one JSON line last. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))  # appended: shadows nothing

import corpus as synthetic
import test_slow_clients as harness
from server import Server, wrk

SCENARIOS = {
    "none": {},
    "silent-200": {"silent": 200},
    "trickle-200": {"trickle": 200},
    "slowread-200": {"slowread": 200},
    "mix-200": {"silent": 50, "trickle": 50, "slowread": 50, "idle": 50},
    "idle-2100": {"idle": 2100},
    # Beyond both workers' connection limits (2 x 4,096): what is held when there is no room left.
    "silent-9000": {"silent": 9000},
}
CLASSES = ("gthread", "feedsvc.web.worker.SlowClientWorker")
GZIP = {"Accept-Encoding": "gzip"}
HIT = "/feeds/kinh-te.rss"  # as bench/run.py: 50 items, ~200 KB, ~27 KB gzipped


def settle(server: Server, limit: float = 30.0) -> None:
    """Until the last attack's connections are gone and /healthz answers quickly."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        established, _ = harness.server_connections(server.port)
        seconds, problem, _ = harness.normal_request(server.port, "/healthz", 5.0)
        if established <= 2 and problem is None and seconds < 0.2:
            return
        time.sleep(0.5)


def attacks(label: str, server: Server, names: list[str], requests: int) -> dict[str, dict]:
    found = {}
    for name in names:
        settle(server)
        row = found[name] = harness.under_attack(server.port, SCENARIOS[name], requests=requests)
        row.pop("attacker")
        print(f"{label:60} {name:13} {row['p50_ms']:8} {row['p99_ms']:8} {row['failures']:5} "
              f"{row['held_min']:>5}-{row['held_max']:<5}", flush=True)
    return found


def worker_cpu(server: Server) -> float:
    """CPU seconds (user + system) used so far by the server's workers."""
    master = server.process.pid
    total = 0
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (proc(5) fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def throughput(servers: dict[str, Server], reps: int, seconds: int) -> dict[str, dict]:
    """Per class and case: median req/s and workers' CPU µs per request, and the median of the
    per-repetition ratios to the first class. On a shared machine req/s follows the neighbours'
    load; CPU per request much less so."""
    tag = servers[next(iter(servers))].get(HIT, GZIP)[1]["ETag"]
    cases = {"hit": GZIP, "304": {**GZIP, "If-None-Match": tag}}
    rates = {(name, case): [] for name in servers for case in cases}
    costs = {(name, case): [] for name in servers for case in cases}
    for server in servers.values():
        wrk(server.url + HIT, 1, GZIP)
    for rep in range(reps):
        order = [(name, case) for case in cases for name in servers]
        for name, case in (order if rep % 2 == 0 else order[::-1]):
            before = worker_cpu(servers[name])
            rate = wrk(servers[name].url + HIT, seconds, cases[case])
            rates[name, case].append(rate)
            costs[name, case].append((worker_cpu(servers[name]) - before) / (rate * seconds) * 1e6)
    first = next(iter(servers))

    def ratio(runs, name, case):
        return round(statistics.median(a / b for a, b in zip(runs[name, case], runs[first, case])), 3)

    return {name: {key: value for case in cases for key, value in (
        (f"{case}_rps", round(statistics.median(rates[name, case]))),
        (f"{case}_rps_ratio", ratio(rates, name, case)),
        (f"{case}_cpu_us", round(statistics.median(costs[name, case]))),
        (f"{case}_cpu_ratio", ratio(costs, name, case)))} for name in servers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", default=",".join(CLASSES),
                        help="comma-separated worker classes, each optionally followed by gunicorn options "
                             "that override the config, e.g. 'gthread --keep-alive 75'")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="attacks, comma-separated")
    parser.add_argument("--requests", type=int, default=60, help="normal requests per attack (default 60)")
    parser.add_argument("--reps", type=int, default=9, help="wrk repetitions (default 9)")
    parser.add_argument("--seconds", type=int, default=2, help="seconds per wrk run (default 2)")
    parser.add_argument("--keep", help="a folder for the corpus and the gunicorn logs, kept")
    args = parser.parse_args(argv)
    harness.raise_nofile()
    classes, names = args.classes.split(","), [n for n in args.scenarios.split(",") if n]
    results: dict = {"attacks": {}, "throughput": {}}
    with tempfile.TemporaryDirectory(prefix="feedsvc-slow-") as workdir:
        workdir = args.keep or workdir
        corpus = harness.add_long_articles(synthetic.build(Path(workdir) / "corpus", 1000))
        servers = {}
        try:
            for n, variant in enumerate(classes):
                worker_class, _, extra = variant.partition(" ")  # extra: gunicorn options over the config
                servers[variant] = Server({"FEEDSVC_CORPUS_DIR": str(corpus), "FEEDSVC_INDEX_PATH": "memory",
                                           "GUNICORN_WORKER_CLASS": worker_class, "GUNICORN_CMD_ARGS": extra},
                                          log=Path(workdir) / f"server-{n}.log")
            for server in servers.values():
                server.wait_ready()
            print(f"{'worker class':60} {'attack':13} {'p50 ms':>8} {'p99 ms':>8} {'fail':>5} {'held':>10}")
            if args.reps:  # first: the attacks leave thousands of ports in TIME_WAIT
                results["throughput"] = throughput(servers, args.reps, args.seconds)
                for label, row in results["throughput"].items():
                    print(f"{label:60} " + " ".join(f"{k}={v}" for k, v in row.items()), flush=True)
            for label, server in servers.items():
                results["attacks"][label] = attacks(label, server, names, args.requests)
        finally:
            for server in servers.values():
                server.stop()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
