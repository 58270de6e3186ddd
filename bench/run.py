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
import realtime
import search
import web
from server import Server, free_port

MODES = {
    # corpus sizes (idle: those an idle server is measured on), repetitions and wrk seconds of each
    # part; worker classes compared. The real-time and search parts are the same in both modes.
    "quick": dict(sizes=(1_000, 20_000), idle_sizes=(20_000,), index_reps=3, miss_rounds=40, render_rounds=60,
                  wrk_reps=9, wrk_s=2, classes=[("sync", 1), ("gthread", 4)], class_reps=4),
    "full": dict(sizes=(1_000, 20_000, 100_000), idle_sizes=(20_000, 100_000), index_reps=3, miss_rounds=80,
                 render_rounds=120, wrk_reps=15, wrk_s=2,
                 classes=[("sync", 1), ("gthread", 1), ("gthread", 2), ("gthread", 4), ("gthread", 8)], class_reps=7),
}
IDLE_S, SETTLE_S = 60.0, 5.0  # the idle window, after this much settling once every worker is ready
ADDITIONS = 10  # new articles for visible_* and websub_*
RELOAD_REPS = 5
SEARCH_QUERIES = 80  # distinct queries, each asked as /search and /search.rss
RESCAN_INTERVAL = 300.0  # the FEEDSVC_RESCAN_INTERVAL default: a watched folder's full scan
TARGETS = {  # key: (comparison, target)
    "index_cold_articles_per_s": (">=", 3000), "index_warm_vs_cold": ("<=", 0.10),
    "miss_large_vs_small": ("<=", 1.5), "render_vs_feedgen": ("<=", 1.10), "render_vs_django": ("<=", 1.00),
    "hit_vs_floor": (">=", 0.90), "notmodified_vs_floor": (">=", 0.90), "gzip_vs_identity": (">=", 0.90),
    "rss_mb_per_10k": ("<=", 15), "reload_one_ms_large": ("<", 1000),
    "idle_cpu_pct_20k": ("<=", 0.5), "idle_cpu_pct_100k": ("<=", 1.0),
    "visible_p50_ms": ("<", 1000), "visible_max_ms": ("<", 2000), "websub_p50_ms": ("<", 2000),
    "search_p50_ms": ("<", 50), "index_growth_pct": ("<=", 50),
}


def say(*parts) -> None:
    print(*parts, flush=True)


def verdict(key: str, value: float | None) -> str:
    op, target = TARGETS[key]
    if value is None:
        return f"{op} {target:g}  not measured in this mode"
    ok = value >= target if op == ">=" else value <= target if op == "<=" else value < target
    return f"{op} {target:g}  {'met' if ok else 'MISSED'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k and 20k articles, shorter runs (about 8 min)")
    parser.add_argument("--workdir", default=os.environ.get("FEEDSVC_BENCH_DIR", "/tmp/feedsvc-bench"),
                        help="where corpora (kept between runs), indexes and logs go")
    args = parser.parse_args()
    mode = MODES["quick" if args.quick else "full"]
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sizes, large, small = mode["sizes"], max(mode["sizes"]), min(mode["sizes"])
    began = time.perf_counter()
    say(f"feedsvc bench, {'quick' if args.quick else 'full'} mode, {os.cpu_count()} cores, workdir {work}, "
        f"load average {os.getloadavg()[0]:.1f}")

    corpora = {}
    for size in sizes:
        started = time.perf_counter()
        corpora[size] = synthetic.build(work / f"corpus-{size}", size)
        say(f"corpus {size:>7,} articles ready in {time.perf_counter() - started:.1f}s")

    # 1. Indexing: the largest corpus, cold then warm, interleaved; the others once, for the table.
    times = inproc.index_times(corpora[large], work / "index-run", mode["index_reps"])
    index_large = inproc.keep_index(work / "index-run", work / f"index-{large}.sqlite3")
    indexes = {size: index_large if size == large else work / f"index-{size}.sqlite3" for size in sizes}
    repositories = {}
    for size in sizes:
        if size != large:
            for suffix in ("", "-wal", "-shm"):
                Path(str(indexes[size]) + suffix).unlink(missing_ok=True)
        started = time.perf_counter()
        repositories[size] = inproc.open_repository(corpora[size], indexes[size])
        say(f"index {size:>7,}: opened in {time.perf_counter() - started:.2f}s"
            + (" (warm)" if size == large else " (cold)"))
    growth = inproc.index_growth(index_large, work / "index-growth")
    rescans = {size: inproc.rescan_cpu(corpora[size], indexes[size]) for size in mode["idle_sizes"]}

    # 2. An uncached category feed at each size; 3. render against the yardsticks.
    miss, miss_ratio = inproc.miss_times(repositories, mode["miss_rounds"])
    render, render_ratio = inproc.render_times(repositories[large], mode["render_rounds"])
    repositories.clear()

    # 4. Start-up of a cold server.
    log = work / "gunicorn.log"
    log.write_bytes(b"")
    boot = web.start_up(corpora[large], work / "index-boot.sqlite3", log)
    base_rss = web.empty_rss(work, log)

    # 5. Real time, with nothing else of ours running: an idle server (default settings, warm
    # index) at each idle size; on the largest, new files until every worker serves them.
    idle, visible = {}, []
    for size in mode["idle_sizes"]:
        index = inproc.copy_index(indexes[size], work / f"index-{size}-idle.sqlite3")
        server = Server(web.app_env(corpora[size], index), log=log)
        try:
            server.wait_ready()
            idle[size] = realtime.idle_cpu(server, IDLE_S, SETTLE_S)
            say(f"idle {size:>7,}: {idle[size]['pct']:.3f}% of a core over {idle[size]['seconds']:.0f}s")
            if size == large:
                visible = realtime.visible_times(server, corpora[size], ADDITIONS)
        finally:
            server.stop()
    if not visible:
        raise RuntimeError("the largest corpus must be among the idle sizes")
    websub = websub_run(corpora[large], inproc.copy_index(index_large, work / f"index-{large}-websub.sqlite3"),
                        work, log)

    # 6. The warm app against the floor, then searches, memory and a reload on the same app.
    # Access logs go to /dev/null here: formatted as in production, but no disk in the figures.
    # The same app with reloading off, on its own copy of the index: a diagnostic, no key uses it.
    quiet_index = inproc.copy_index(index_large, work / f"index-{large}-quiet.sqlite3")
    app = Server(web.app_env(corpora[large], index_large))
    quiet = Server(web.app_env(corpora[large], quiet_index, FEEDSVC_RELOAD_INTERVAL="0"))
    floor = None
    try:
        warm_ready = app.wait_ready()
        quiet.wait_ready()
        tags = web.write_floor(app, work / "floor")
        floor = Server({"FLOOR_DIR": str(work / "floor")}, floor=True)
        floor.wait_ready("/feed")
        rates, ratios = web.throughput(app, floor, quiet, tags, mode["wrk_reps"], mode["wrk_s"])
        quiet.stop()
        floor.stop()
        wrk_rss = app.worker_rss_mb()
        searches = search.search_times(app, corpora[large], SEARCH_QUERIES)
        large_rss = app.worker_rss_mb()
        reloads = web.reload_times(app, corpora[large], RELOAD_REPS)
    finally:
        for server in (app, quiet, floor):
            if server:
                server.stop()
    classes = web.worker_classes(corpora[small], indexes[small], mode["classes"], mode["class_reps"], mode["wrk_s"])

    visible_ms = [v["ms"] for v in visible]
    result = {
        "index_cold_articles_per_s": round(times["articles"] / times["cold_s"]),
        "index_warm_vs_cold": round(times["warm_s"] / times["cold_s"], 4),
        "miss_large_vs_small": round(miss_ratio, 3),
        "render_vs_feedgen": round(render_ratio["feedgen"], 3),
        "render_vs_django": round(render_ratio["django"], 3),
        "hit_vs_floor": round(ratios["hit_vs_floor"], 3),
        "notmodified_vs_floor": round(ratios["notmodified_vs_floor"], 3),
        "gzip_vs_identity": round(ratios["gzip_vs_identity"], 3),
        # The later and larger of the two readings: after the wrk runs, and after the searches too.
        "rss_mb_per_10k": round((statistics.mean(max(wrk_rss, large_rss, key=statistics.mean)) - base_rss)
                                / (large / 10_000), 2),
        "reload_one_ms_large": round(statistics.median(reloads)),
        "idle_cpu_pct_20k": round(idle[20_000]["pct"], 3) if 20_000 in idle else None,
        "idle_cpu_pct_100k": round(idle[100_000]["pct"], 3) if 100_000 in idle else None,
        "visible_p50_ms": round(statistics.median(visible_ms)),
        "visible_max_ms": round(max(visible_ms)),
        "websub_p50_ms": round(statistics.median(websub)),
        "search_p50_ms": round(searches["p50"], 1),
        "index_growth_pct": round((growth["written"] / growth["without"] - 1) * 100, 1),
    }

    say("")
    say(f"{'measurement':<44} {'value':>14}")
    mb = 1024 * 1024
    rows = [
        (f"index cold, {large:,} articles (s)", f"{times['cold_s']:.2f}"),
        (f"index warm, {large:,} articles (s)", f"{times['warm_s']:.3f}"),
        ("  cold runs / warm runs (s)", " ".join(f"{t:.2f}" for t in times["cold_all"]) + " / "
         + " ".join(f"{t:.2f}" for t in times["warm_all"])),
        ("  cold CPU: writing process / parsing helpers (s)",
         f"{times['cold_cpu'][0]:.1f} / {times['cold_cpu'][1]:.1f}"),
        ("  then search caught up, in the median run (s)", f"{times['search_s']:.2f}"),
        (f"index {large:,}: as written / vacuumed (MB)",
         f"{growth['written'] / mb:.1f} / {growth['vacuumed'] / mb:.1f}"),
        (f"index {large:,}: without search, vacuumed (MB)", f"{growth['without'] / mb:.1f}"),
        ("  growth as written / both vacuumed (%)", f"{(growth['written'] / growth['without'] - 1) * 100:.1f} / "
         f"{(growth['vacuumed'] / growth['without'] - 1) * 100:.1f}"),
        *[(f"full rescan CPU, {size:,} (s) / per {RESCAN_INTERVAL:g}s (%)",
           f"{cpu:.3f} / {cpu / RESCAN_INTERVAL * 100:.3f}") for size, cpu in rescans.items()],
        *[(f"uncached 50-item category RSS, {size:,} (ms)", f"{miss[size] * 1000:.2f}") for size in sizes],
        *[(f"RSS render of 50 items: {name} (ms)", f"{render[name] * 1000:.2f}") for name in render],
        (f"cold server {large:,}: first answer (s) / status", f"{boot['first_answer_s']:.2f} / {boot['first_status']}"
         + f" Retry-After {boot['retry_after']}"),
        (f"cold server {large:,}: ready (s)", f"{boot['ready_s']:.1f}"),
        *[row for size, found in idle.items() for row in idle_rows(size, found)],
        (f"visible in all.rss on every worker, {large:,} (ms)", " ".join(f"{t:.0f}" for t in visible_ms)),
        ("  polls per addition (median) / worker unknown", f"{statistics.median(v['polls'] for v in visible):.0f}"
         f" / {sum(v['unknown_worker'] for v in visible)}"),
        (f"WebSub delivery of all.rss, {large:,} (ms)", " ".join(f"{t:.0f}" for t in websub)),
        (f"warm server {large:,}: ready (s)", f"{warm_ready:.1f}"),
        ("feed bytes identity / gzip", f"{tags['bytes']:,} / {tags['gzip_bytes']:,}"),
        *[(f"req/s {name.replace('_', ' ')}", f"{rate:,.0f}") for name, rate in rates.items()],
        ("app gzip with ÷ without reloading (diagnostic)", f"{ratios['rescan_cost']:.3f}"),
        (f"search, {large:,}: p50 / p90 / max (ms)", f"{searches['p50']:.1f} / {searches['p90']:.1f} / "
         f"{searches['max']:.0f}"),
        ("  /search p50 / /search.rss p50 (ms)", f"{searches['html_p50']:.1f} / {searches['rss_p50']:.1f}"),
        ("  queries / none found / a full page", f"{searches['queries']} / {searches['empty']} / "
         f"{searches['full_page']}"),
        ("worker RSS empty / large after wrk / after search (MB)",
         f"{base_rss:.1f} / {statistics.mean(wrk_rss):.1f} / {statistics.mean(large_rss):.1f}"),
        (f"reload one file written in place, {large:,} (ms)", " ".join(f"{t:.0f}" for t in reloads)),
        *[(f"worker class {name}: cached hit req/s ({small:,})", f"{rate:,.0f}") for name, rate in classes.items()],
    ]
    for name, value in rows:
        say(f"{name:<44} {value:>14}")
    say("")
    say(f"{'key':<28} {'value':>10}  target")
    for key, value in result.items():
        say(f"{key:<28} {'-' if value is None else value:>10}  {verdict(key, value)}")
    say(f"total time {time.perf_counter() - began:.0f}s, load average at the end {os.getloadavg()[0]:.1f}")
    shutil.rmtree(work / "index-run", ignore_errors=True)
    say(json.dumps(result))
    return 0


def idle_rows(size: int, found: dict) -> list[tuple[str, str]]:
    """The idle figure and what each process of the server spent."""
    rows = [(f"idle server {size:,}: all processes (% of a core)", f"{found['pct']:.3f}")]
    for name, pct in sorted(found["processes"].items()):
        rows.append((f"  {name}", f"{pct:.3f}"))
    return rows


def websub_run(corpus: Path, index: Path, work: Path, log: Path) -> list[float]:
    """A server that pings a real hub, a subscriber to its site feed, and new articles."""
    from websub_support import Hub, Subscriber  # tests/: flask-websub and Celery, the bench extra

    state = work / "websub"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir()
    with Hub(state) as hub, Subscriber(state) as subscriber:
        port = free_port()
        # The self URL hubs fetch and subscribers hold: exactly what the client is served from.
        server = Server(web.app_env(corpus, index, FEEDSVC_WEBSUB_HUBS=hub.url,
                                    FEEDSVC_BASE_URL=f"http://127.0.0.1:{port}"), log=log, port=port)
        try:
            server.wait_ready()
            # The watching worker's first scan records what hubs were told of each feed: before
            # it, a change is taken for the first sight of the feed and not pinged.
            time.sleep(SETTLE_S)
            subscriber.subscribe(server.url + realtime.ALL_FEED)  # the hub found from the feed's Link header
            return realtime.websub_times(server, hub, subscriber, corpus, ADDITIONS)
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
