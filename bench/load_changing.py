"""Load with a changing corpus: `python bench/load_changing.py [--duration 30]`.

Starts the Procfile's gunicorn command on a copy of the seeds and the dev corpus, drives it from a
second process (a multi-connection keep-alive client that checks every answer) while this process
adds, edits, renames and deletes article files (some written in two halves with a pause between).
Then waits until every worker's feeds show exactly the articles the folder ends with.

Prints a table of figures, then one JSON line last; exits 1 if any check failed: a 5xx, a broken
connection, a body feedparser/json rejects, an ETag naming two bodies, a missing security header,
or feeds that never caught up with the folder. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

# First on the path: bench/ has a server.py of its own, and this script needs the tests' one.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from corpus_tools import failures, run_changing_load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--connections", type=int, default=8, help="client connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY (default 2)")
    parser.add_argument("--reload-interval", type=float, default=1.0, help="FEEDSVC_RELOAD_INTERVAL (default 1)")
    parser.add_argument("--seed", type=int, default=7, help="the writer's and the clients' random seed")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="feedsvc-load-") as workdir:
        figures = run_changing_load(Path(workdir), duration=args.duration, connections=args.connections,
                                    workers=args.workers, reload_interval=args.reload_interval, seed=args.seed)
    problems = failures(figures)
    rows = [
        ("load", f"{figures['duration_s']} s, {figures['connections']} connections, "
                 f"{figures['workers']} gunicorn workers, reload every {figures['reload_interval_s']} s"),
        ("requests", f"{figures['requests']} ({figures['rps']}/s), statuses {figures['statuses']}"),
        ("latency", f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms"),
        ("5xx / transport errors", f"{figures['5xx']} / {figures['transport_errors']}"),
        ("bodies validated", f"{figures['bodies_validated']} distinct (feedparser bozo==0 / json.loads), "
                             f"{len(figures['bad_bodies'])} bad; {figures['validation_skipped_for_cpu']} repeats "
                             "of an unvalidated body skipped to spare CPU"),
        ("ETags", f"{figures['distinct_etags']} distinct, {len(figures['etag_conflicts'])} naming two bodies"),
        ("writer", f"{figures['writer_actions']} changes {figures['writer']}"),
        ("final corpus", f"{figures['final_articles']} articles; feeds of every format matched it "
                         f"{figures['converged_s_after_load']} s after the load "
                         f"({figures['quiet_s_before_check']} s after the last change)"),
        ("failures", "0" if not problems else "; ".join(problems)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps(figures, ensure_ascii=False))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
