"""feedsvc's benchmark: `python bench/run.py [--quick]`. Prints a table, then one JSON line last."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

import corpus as synthetic
import inproc
import web
from server import Server

MODES = {
    # corpus sizes, repetitions and wrk seconds of each part; worker classes compared
    "quick": dict(sizes=(1_000, 20_000), index_reps=3, miss_rounds=40, render_rounds=60, wrk_reps=9, wrk_s=2,
                  classes=[("sync", 1), ("gthread", 4)], class_reps=4, reload_reps=2),
    "full": dict(sizes=(1_000, 10_000, 100_000), index_reps=3, miss_rounds=80, render_rounds=120, wrk_reps=15, wrk_s=2,
                 classes=[("sync", 1), ("gthread", 1), ("gthread", 2), ("gthread", 4), ("gthread", 8)],
                 class_reps=7, reload_reps=3),
}
RELOAD_INTERVAL = 5.0  # the FEEDSVC_RELOAD_INTERVAL default, as deployed
TARGETS = {  # key: (comparison, target)
    "index_cold_articles_per_s": (">=", 3000), "index_warm_vs_cold": ("<=", 0.10),
    "miss_large_vs_small": ("<=", 1.5), "render_vs_feedgen": ("<=", 1.10), "render_vs_django": ("<=", 1.00),
    "hit_vs_floor": (">=", 0.90), "notmodified_vs_floor": (">=", 0.90), "gzip_vs_identity": (">=", 0.90),
    "rss_mb_per_10k": ("<=", 15), "reload_one_ms_large": ("<=", 2000 + RELOAD_INTERVAL * 1000),
}


def say(*parts) -> None:
    print(*parts, flush=True)


def verdict(key: str, value: float) -> str:
    op, target = TARGETS[key]
    ok = value >= target if op == ">=" else value <= target
    return f"{op} {target:g}  {'met' if ok else 'MISSED'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 20k articles, shorter runs (< 5 min)")
    parser.add_argument("--workdir", default=os.environ.get("FEEDSVC_BENCH_DIR", "/tmp/feedsvc-bench"),
                        help="where corpora (kept between runs), indexes and logs go")
    args = parser.parse_args()
    mode = MODES["quick" if args.quick else "full"]
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sizes, large, small = mode["sizes"], max(mode["sizes"]), min(mode["sizes"])
    began = time.perf_counter()
    say(f"feedsvc bench, {'quick' if args.quick else 'full'} mode, {os.cpu_count()} cores, workdir {work}")

    corpora = {}
    for size in sizes:
        started = time.perf_counter()
        corpora[size] = synthetic.build(work / f"corpus-{size}", size)
        say(f"corpus {size:>7,} articles ready in {time.perf_counter() - started:.1f}s")

    # 1. Indexing: the largest corpus, cold then warm, interleaved; the others once, for the table.
    times = inproc.index_times(corpora[large], work / "index-run", mode["index_reps"])
    index_large = inproc.keep_index(work / "index-run", work / f"index-{large}.sqlite3")
    repositories = {}
    for size in sizes:
        index = index_large if size == large else work / f"index-{size}.sqlite3"
        if size != large:
            for suffix in ("", "-wal", "-shm"):
                Path(str(index) + suffix).unlink(missing_ok=True)
        started = time.perf_counter()
        repositories[size] = inproc.open_repository(corpora[size], index)
        say(f"index {size:>7,}: opened in {time.perf_counter() - started:.2f}s"
            + (" (warm)" if size == large else " (cold)"))

    # 2. An uncached category feed at each size; 3. render against the yardsticks.
    miss, miss_ratio = inproc.miss_times(repositories, mode["miss_rounds"])
    render, render_ratio = inproc.render_times(repositories[large], mode["render_rounds"])
    repositories.clear()

    # 4. Start-up of a cold server, then the warm app against the floor.
    log = work / "gunicorn.log"
    log.write_bytes(b"")
    boot = web.start_up(corpora[large], work / "index-boot.sqlite3", log)
    base_rss = web.empty_rss(work, log)
    # Access logs go to /dev/null here: formatted as in production, but no disk in the figures.
    # The same app with rescans off, on its own copy of the index: a diagnostic, no key uses it.
    quiet_index = work / f"index-{large}-quiet.sqlite3"
    shutil.copy(index_large, quiet_index)
    app = Server(web.app_env(corpora[large], index_large, FEEDSVC_RELOAD_INTERVAL=str(RELOAD_INTERVAL)))
    quiet = Server(web.app_env(corpora[large], quiet_index, FEEDSVC_RELOAD_INTERVAL="0"))
    floor = None
    try:
        warm_ready = app.wait_ready()
        quiet.wait_ready()
        tags = web.write_floor(app, work / "floor")
        floor = Server({"FLOOR_DIR": str(work / "floor")}, floor=True)
        floor.wait_ready("/feed")
        rates, ratios = web.throughput(app, floor, quiet, tags, mode["wrk_reps"], mode["wrk_s"])
        large_rss = app.worker_rss_mb()
        reloads = web.reload_times(app, corpora[large], mode["reload_reps"])
    finally:
        for server in (app, quiet, floor):
            if server:
                server.stop()
    classes = web.worker_classes(corpora[small], work / f"index-{small}.sqlite3", mode["classes"],
                                 mode["class_reps"], mode["wrk_s"])

    result = {
        "index_cold_articles_per_s": round(times["articles"] / times["cold_s"]),
        "index_warm_vs_cold": round(times["warm_s"] / times["cold_s"], 4),
        "miss_large_vs_small": round(miss_ratio, 3),
        "render_vs_feedgen": round(render_ratio["feedgen"], 3),
        "render_vs_django": round(render_ratio["django"], 3),
        "hit_vs_floor": round(ratios["hit_vs_floor"], 3),
        "notmodified_vs_floor": round(ratios["notmodified_vs_floor"], 3),
        "gzip_vs_identity": round(ratios["gzip_vs_identity"], 3),
        "rss_mb_per_10k": round((statistics.mean(large_rss) - base_rss) / (large / 10_000), 2),
        "reload_one_ms_large": round(statistics.median(reloads)),
    }

    say("")
    say(f"{'measurement':<44} {'value':>14}")
    rows = [
        (f"index cold, {large:,} articles (s)", f"{times['cold_s']:.2f}"),
        (f"index warm, {large:,} articles (s)", f"{times['warm_s']:.3f}"),
        ("  cold runs / warm runs (s)", " ".join(f"{t:.2f}" for t in times["cold_all"]) + " / "
         + " ".join(f"{t:.2f}" for t in times["warm_all"])),
        *[(f"uncached 50-item category RSS, {size:,} (ms)", f"{miss[size] * 1000:.2f}") for size in sizes],
        *[(f"RSS render of 50 items: {name} (ms)", f"{render[name] * 1000:.2f}") for name in render],
        (f"cold server {large:,}: first answer (s) / status", f"{boot['first_answer_s']:.2f} / {boot['first_status']}"
         + f" Retry-After {boot['retry_after']}"),
        (f"cold server {large:,}: ready (s)", f"{boot['ready_s']:.1f}"),
        (f"warm server {large:,}: ready (s)", f"{warm_ready:.1f}"),
        ("feed bytes identity / gzip", f"{tags['bytes']:,} / {tags['gzip_bytes']:,}"),
        *[(f"req/s {name.replace('_', ' ')}", f"{rate:,.0f}") for name, rate in rates.items()],
        ("app gzip with ÷ without rescans (diagnostic)", f"{ratios['rescan_cost']:.3f}"),
        ("worker RSS empty / large, mean of workers (MB)", f"{base_rss:.1f} / {statistics.mean(large_rss):.1f}"),
        (f"reload one file, interval {RELOAD_INTERVAL:g}s (ms)", " ".join(f"{t:.0f}" for t in reloads)),
        *[(f"worker class {name}: cached hit req/s ({small:,})", f"{rate:,.0f}") for name, rate in classes.items()],
    ]
    for name, value in rows:
        say(f"{name:<44} {value:>14}")
    say("")
    say(f"{'key':<28} {'value':>10}  target")
    for key, value in result.items():
        say(f"{key:<28} {value:>10}  {verdict(key, value)}")
    say(f"total time {time.perf_counter() - began:.0f}s")
    shutil.rmtree(work / "index-run", ignore_errors=True)
    say(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
