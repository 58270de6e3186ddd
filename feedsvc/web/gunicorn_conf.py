"""gunicorn settings for the Procfile and `feedsvc serve`: a PaaS's $PORT and WEB_CONCURRENCY."""

import os
import shutil
import sys
import tempfile

from feedsvc.web.logs import logging_config

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Measured by bench/run.py (bench/README.md), cached hits, 2 cores, wrk 16 connections:
# sync 1,873 req/s; gthread with 1/2/4/8 threads 1,887/1,883/1,931/1,920: equal within
# noise, since a hit is CPU under the GIL. gthread wins on what that does not show: it keeps
# connections alive, and a slow client or a 10 ms cache miss holds one thread, not a worker.
#
# Slow and idle clients (bench/slow_clients.py, tests/test_slow_clients.py): under 200 silent or
# header-trickling connections gthread's threads all wait on them and a normal client's p99 is
# the 5 s client timeout (23 of 40 requests failed). feedsvc.web.worker is gthread with every
# wait on a client moved to its event loop (a 10 s head deadline, answers written out without a
# thread): p99 8-31 ms under each attack, cached hits at gthread's rate. gevent survived the
# attacks too, but served a third of gthread's cached hits here.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "feedsvc.web.worker.SlowClientWorker")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# SIGTERM: stop accepting, let in-flight requests finish within this many seconds.
graceful_timeout = 20
timeout = 30
# An idle kept-alive connection costs the worker a socket, not a thread: keep it (and 4,096 a
# worker) rather than make its client reconnect; at the limit the longest idle one is closed.
# With 5 s and 1,000, 2,100 idle clients reconnecting kept both workers busy (p99 0.7-5 s).
keepalive = 75
worker_connections = 4096
# The app alone decides which proxies to believe (FEEDSVC_PROXY_HOPS). gunicorn would
# otherwise take SCRIPT_NAME/PATH_INFO headers from loopback, and a SCRIPT_NAME that is not a
# prefix of the path makes it answer 500 before the app runs.
forwarder_headers = ""
# gunicorn 27's control socket is one path per user: two services on a host would take it
# from each other. Nothing here uses it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
# A PaaS collects stdout; gunicorn's own log goes there too, text or JSON, with request ids.
# (FEEDSVC_LOG_FORMAT is checked with the other settings in on_starting, which refuses a bad one.)
logconfig_dict = logging_config(os.environ.get("FEEDSVC_LOG_FORMAT", "text").strip().lower())
logger_class = "feedsvc.web.logs.AccessLogger"


def post_worker_init(worker):
    """Start the worker's own service (index load, reloader) as it boots, also under --preload."""
    runtime = getattr(worker.wsgi, "extensions", {}).get("feedsvc")
    if runtime is not None:
        runtime.start()


def on_starting(server):
    """Refuse a bad FEEDSVC_* setting in one line, before any worker boots; prepare /metrics."""
    from feedsvc.settings import SettingError, load

    try:
        config = load()
    except SettingError as exc:
        print(f"feedsvc: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    if config["METRICS_TOKEN"] and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # prometheus_client's multiprocess mode: each worker writes its metrics to files here and
        # a scrape of any worker adds them all up. Set before any worker imports the library.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="feedsvc-metrics-")
        server._feedsvc_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def child_exit(server, worker):
    """A dead worker's live gauges leave the sums (prometheus_client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    folder = getattr(server, "_feedsvc_metrics_dir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
