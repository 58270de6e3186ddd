"""/metrics: what the service is doing, in Prometheus' text format, one view over every worker.

Off unless FEEDSVC_METRICS_TOKEN is set; then a scrape needs ``Authorization: Bearer <token>``.
Under gunicorn, prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, prepared by
gunicorn_conf) sums the workers; without it (the test client) the process's own values are shown.
The core keeps plain counters; this module turns them into metrics, so only the web layer
imports the library.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.indexer import Changes

bp = Blueprint("metrics", __name__)

REQUESTS = Counter("feedsvc_requests", "HTTP requests answered, by route kind, format and status class",
                   ["route", "format", "status"])
CONDITIONAL = Counter("feedsvc_conditional_requests", "Requests with If-None-Match or If-Modified-Since, by answer "
                      "(304 or 200): the share answered 304 is what polling costs", ["answer"])
CACHE = Counter("feedsvc_cache_lookups", "Document cache lookups, by result", ["result"])
CACHE_BYTES = Gauge("feedsvc_cache_bytes", "Bytes of rendered documents cached, per worker",
                    multiprocess_mode="liveall")
ARTICLES = Gauge("feedsvc_articles", "Articles published", multiprocess_mode="max")
SKIPPED = Gauge("feedsvc_skipped_files", "Corpus files not published (unreadable, empty, duplicate ids...)",
                multiprocess_mode="max")
WARNED = Gauge("feedsvc_articles_with_parse_warnings", "Articles the parser read with a warning",
               multiprocess_mode="max")
VISIBLE = Histogram("feedsvc_change_visible_seconds", "From a file's modification to a worker serving it",
                    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300))
WEBSUB = Counter("feedsvc_websub_pings", "WebSub publish pings, by result", ["result"])
_ROUTES = {"feeds.feed": "feed", "feeds.opml": "opml", "health.healthz": "health", "metrics.metrics": "metrics",
           "static": "static"}


def enable(app: Flask) -> None:
    """Count every request of this app and answer /metrics (when a token is set)."""
    app.register_blueprint(bp)
    app.after_request(_count)


def corpus_listener(catalog: Catalog) -> Callable[[Changes], None]:
    """A corpus listener that keeps the corpus gauges and the change-to-visible histogram."""

    def listen(changes: Changes) -> None:
        ARTICLES.set(len(catalog))
        SKIPPED.set(len(catalog.skipped))
        WARNED.set(catalog.warned)
        if changes.newest_mtime:
            VISIBLE.observe(max(0.0, time.time() - changes.newest_mtime))

    return listen


def websub_result(result: str) -> None:
    WEBSUB.labels(result).inc()


_last_cache: dict[int, tuple[int, int]] = {}


def _count(response: Response) -> Response:
    conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
    _request(request.endpoint or "", (request.view_args or {}).get("fmt") or "", response.status_code, conditional)
    runtime = current_app.extensions["feedsvc"]
    cache = runtime.get().cache
    hits, builds = _last_cache.get(id(cache), (0, 0))
    if cache.hits != hits:
        CACHE.labels("hit").inc(cache.hits - hits)
    if cache.builds != builds:
        CACHE.labels("miss").inc(cache.builds - builds)
    _last_cache[id(cache)] = (cache.hits, cache.builds)
    CACHE_BYTES.set(cache.bytes)
    return response


def repeated(endpoint: str, fmt: str, status: int, conditional: bool) -> None:
    """Count a request answered by web.repeats (a cached document's, so a cache hit)."""
    _request(endpoint, fmt, status, conditional)
    CACHE.labels("hit").inc()


def _request(endpoint: str, fmt: str, status: int, conditional: bool) -> None:
    endpoint = endpoint or "none"
    route = _ROUTES.get(endpoint, "page" if endpoint.startswith("pages.") else "other")
    REQUESTS.labels(route, fmt or ("html" if route == "page" else "-"),
                    str(status) if status in (200, 304) else f"{status // 100}xx").inc()
    if conditional:
        CONDITIONAL.labels("304" if status == 304 else str(status)).inc()


@bp.get("/metrics")
def metrics() -> Response:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].encode(), token.encode()):
        return Response("401: /metrics needs Authorization: Bearer <FEEDSVC_METRICS_TOKEN>\n", status=401,
                        mimetype="text/plain", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
