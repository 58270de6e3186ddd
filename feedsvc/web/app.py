"""The application factory: settings in, a Flask app over the core out."""

from __future__ import annotations

import hashlib
import logging
import logging.config
import os
import ssl
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from feedsvc import settings
from feedsvc.articles.categories import Vocabulary
from feedsvc.corpus.catalog import Catalog
from feedsvc.corpus.coordination import Coordinator
from feedsvc.corpus.indexer import Indexer
from feedsvc.corpus.reloader import Reloader
from feedsvc.corpus.source import FolderSource
from feedsvc.corpus.sqlite_store import open_store
from feedsvc.publishing.cache import DocumentCache
from feedsvc.publishing.publisher import SEARCHES, Publisher
from feedsvc.publishing.site import Site
from feedsvc.publishing.websub import WebSubPinger
from feedsvc.web.logs import logging_config
from feedsvc.web.repeats import Repeats

WARM_START_WAIT = 5.0  # seconds a worker booting on a warm parse index waits for its first refresh
# Search results get an eighth of the cache to themselves: a stream of one-off queries (a crawler,
# a reader typing) then evicts other searches, never the feeds and pages that are polled.
SEARCH_SHARE = 8
FORWARDED = ("X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port")
# What a document's bytes depend on besides the corpus: these settings and the code that renders.
RENDER_SETTINGS = ("SITE_TITLE", "SITE_DESCRIPTION", "TAG_AUTHORITY", "DEFAULT_LIMIT", "MAX_AGE", "BASE_URL",
                   "WEBSUB_HUBS")
log = logging.getLogger(__name__)


@dataclass
class Service:
    """The core objects one worker serves from."""

    catalog: Catalog
    cache: DocumentCache
    publisher: Publisher
    reloader: Reloader


class Runtime:
    """The service of the process that uses it, built on first use in that process.

    Never in gunicorn's master: with ``--preload`` the app is created there and then forked, and a
    thread (the reloader) does not survive a fork, while locks and SQLite connections must not be
    shared with the children. Each worker builds its own: gunicorn_conf's post_worker_init hook
    starts it as the worker boots, and any first request would otherwise.
    """

    def __init__(self, app: Flask):
        self._app = app
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._service: Service | None = None

    def get(self) -> Service:
        service = self._service
        if service is not None and self._pid == os.getpid():
            return service
        with self._lock:
            if self._service is None or self._pid != os.getpid():
                self._service = _build_service(self._app)
                self._pid = os.getpid()
            return self._service

    start = get

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then FEEDSVC_* variables, then ``test_config``."""
    app = Flask(__name__)
    app.config.update(settings.load())
    # Not settings: BACKGROUND_LOAD (off: load before the first request) and CLOCK (the time the
    # index and the validators read; tests move it instead of sleeping).
    app.config.update({"BACKGROUND_LOAD": True, "CLOCK": time.time})
    if test_config:
        app.config.update(test_config)
    _configure_logging(app.config["LOG_FORMAT"])
    _derive_config(app)
    # Innermost, so it sees the scheme and Host as ProxyFix and TransportScheme leave them.
    repeats = Repeats(app.wsgi_app)
    app.wsgi_app = repeats  # type: ignore[method-assign]
    app.extensions["feedsvc.repeats"] = repeats
    hops = int(app.config["PROXY_HOPS"])
    if hops:
        # Trust X-Forwarded-For/-Proto/-Host/-Port from exactly this many proxies (a PaaS router is
        # one); the values are then checked (web.hosts) before any link is built from them.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    # Outermost: gunicorn itself honours X-Forwarded-Proto/-Ssl/-Protocol from its
    # forwarded_allow_ips (loopback by default, "*" on some platforms), but the app trusts exactly
    # PROXY_HOPS proxies: the scheme is reset to the connection's, then only ProxyFix may change it.
    app.wsgi_app = TransportScheme(app.wsgi_app)  # type: ignore[method-assign]
    runtime = Runtime(app)
    app.extensions["feedsvc"] = runtime
    if not app.config["BACKGROUND_LOAD"]:
        runtime.start()  # tests and `feedsvc build`: loaded before the first request

    from feedsvc.web import errors, feeds, guard, health, pages

    errors.register(app)
    for blueprint in (guard.bp, feeds.bp, pages.bp, health.bp):
        app.register_blueprint(blueprint)
    if app.config["METRICS_TOKEN"]:
        from feedsvc.web import metrics

        metrics.enable(app)
        repeats.count = metrics.repeated
    return app


def _derive_config(app: Flask) -> None:
    """Response headers that follow from the settings, computed once."""
    config = app.config
    parts = [f"public, max-age={int(config['MAX_AGE'])}"]
    for name, directive in (("STALE_WHILE_REVALIDATE", "stale-while-revalidate"),
                            ("STALE_IF_ERROR", "stale-if-error")):
        if int(config[name]):
            parts.append(f"{directive}={int(config[name])}")
    config["CACHE_CONTROL"] = ", ".join(parts)
    # Links come from the request only without a base URL; then a shared cache must key on every
    # request header they are built from (RFC 9110 §12.5.5). The Host is in the cache key already.
    vary = ["Accept-Encoding"]
    if not config["BASE_URL"] and int(config["PROXY_HOPS"]):
        vary += FORWARDED
    config["VARY"] = ", ".join(vary)


class TransportScheme:
    """WSGI middleware: ``wsgi.url_scheme`` as the connection says, not as a header claims."""

    def __init__(self, wsgi_app: Any):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        sock = environ.get("gunicorn.socket")
        if sock is not None:
            environ["wsgi.url_scheme"] = "https" if isinstance(sock, ssl.SSLSocket) else "http"
        return self.wsgi_app(environ, start_response)


def renderer_digest(config: Any) -> str:
    """A digest of everything besides the corpus that a document's bytes depend on: the code and
    templates that render them, and the settings they show."""
    digest = hashlib.sha256()
    for package in ("feedsvc.publishing", "feedsvc.web"):
        _digest_tree(digest, resources.files(package), package)
    digest.update(repr([config[name] for name in RENDER_SETTINGS]).encode())
    return digest.hexdigest()[:16]


def _digest_tree(digest: Any, folder: Any, name: str) -> None:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name != "__pycache__":
                _digest_tree(digest, entry, f"{name}/{entry.name}")
        elif not entry.name.endswith((".pyc", ".pyo")):
            digest.update(f"{name}/{entry.name}".encode() + b"\0" + entry.read_bytes())


def _build_service(app: Flask) -> Service:
    config = app.config
    corpus = Path(config["CORPUS_DIR"])
    index_path = _index_path(app, corpus)
    # An index file already there: this worker replaces one that died or was recycled (or the
    # service restarts), and its first refresh mostly stats the files.
    warm = index_path is not None and _has_content(index_path)
    coordinator = Coordinator(index_path)
    source = FolderSource(corpus, int(config["MAX_FILE_BYTES"]), Vocabulary.extended(config["CATEGORIES"]))
    catalog = Catalog(source, open_store(index_path, coordinator))
    budget = int(config["CACHE_BYTES"])
    cache = DocumentCache(budget, zones={SEARCHES: budget // SEARCH_SHARE})
    site = Site(
        title=config["SITE_TITLE"],
        description=config["SITE_DESCRIPTION"],
        tag_authority=config["TAG_AUTHORITY"],
        default_limit=int(config["DEFAULT_LIMIT"]),
        max_age=int(config["MAX_AGE"]),
        hubs=tuple(config["WEBSUB_HUBS"]),
    )
    publisher = Publisher(catalog, cache, site)
    indexer = Indexer(catalog, coordinator, clock=config["CLOCK"], renderer=renderer_digest(config))
    reloader = Reloader(indexer, float(config["RELOAD_INTERVAL"]), (publisher.forget,),
                        rescan_interval=float(config["RESCAN_INTERVAL"]) or float("inf"))
    on_ping: Any = lambda result: None  # noqa: E731
    if config["METRICS_TOKEN"]:
        from feedsvc.web import metrics

        reloader.listeners.append(metrics.corpus_listener(catalog))
        on_ping = metrics.websub_result
    if site.hubs and config["WEBSUB_PINGS"]:
        if not config["BASE_URL"]:
            log.warning("FEEDSVC_WEBSUB_HUBS is set but FEEDSVC_BASE_URL is empty: hubs fetch the feeds' self "
                        "URLs, so no ping is sent until a public base URL is set")
        else:
            reloader.listeners.append(WebSubPinger(
                site.hubs, publisher, config["BASE_URL"],
                lambda: reloader.scanning and catalog.store.persistent, on_result=on_ping))
    if config["BACKGROUND_LOAD"]:
        reloader.start()  # bind at once, whatever the corpus size; 503 until ready
        if warm and catalog.store.persistent:
            # Wait for that refresh (briefly) instead of answering 503 to the clients this worker
            # takes over; a cold first load still binds at once.
            catalog.ready.wait(WARM_START_WAIT)
    else:
        reloader.load()
        reloader.catch_up_search()
    return Service(catalog, cache, publisher, reloader)


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _index_path(app: Flask, corpus: Path) -> Path | None:
    configured = str(app.config["INDEX_PATH"])
    if configured == "memory":
        return None
    if configured:
        return Path(configured)
    # One index per corpus folder, so two corpora never share entries.
    digest = hashlib.sha256(str(corpus.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return Path(app.instance_path) / f"index-{digest}.sqlite3"


def _configure_logging(log_format: str) -> None:
    # Under gunicorn its logconfig_dict did this already; elsewhere (flask run, the test client,
    # feedsvc build) the same configuration. Twelve-factor: the platform collects stdout.
    if not logging.getLogger().handlers:
        logging.config.dictConfig(logging_config(log_format))
