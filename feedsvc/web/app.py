"""The application factory: settings in, a Flask app over the core out."""

from __future__ import annotations

import hashlib
import logging
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path

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
from feedsvc.publishing.publisher import Publisher
from feedsvc.publishing.site import Site

WARM_START_WAIT = 5.0  # seconds a worker booting on a warm parse index waits for its first refresh


@dataclass
class Service:
    """The core objects one worker serves from."""

    catalog: Catalog
    cache: DocumentCache
    publisher: Publisher
    reloader: Reloader


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then FEEDSVC_* variables, then ``test_config``."""
    app = Flask(__name__)
    app.config.update(settings.load())
    app.config.update({"BACKGROUND_LOAD": True})
    if test_config:
        app.config.update(test_config)
    _configure_logging()
    hops = int(app.config["PROXY_HOPS"])
    if hops:
        # Trust X-Forwarded-* from exactly this many proxies (a PaaS router is one).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    # Outermost: gunicorn itself honours X-Forwarded-Proto/-Ssl/-Protocol from its
    # forwarded_allow_ips (loopback by default, "*" on some platforms), but the app trusts exactly
    # PROXY_HOPS proxies: the scheme is reset to the connection's, then only ProxyFix may change it.
    app.wsgi_app = TransportScheme(app.wsgi_app)  # type: ignore[method-assign]
    app.extensions["feedsvc"] = _build_service(app)

    from feedsvc.web import errors, views

    errors.register(app)
    app.register_blueprint(views.bp)
    return app


class TransportScheme:
    """WSGI middleware: ``wsgi.url_scheme`` as the connection says, not as a header claims."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        sock = environ.get("gunicorn.socket")
        if sock is not None:
            environ["wsgi.url_scheme"] = "https" if isinstance(sock, ssl.SSLSocket) else "http"
        return self.wsgi_app(environ, start_response)


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
    cache = DocumentCache(int(config["CACHE_ENTRIES"]))
    site = Site(
        title=config["SITE_TITLE"],
        description=config["SITE_DESCRIPTION"],
        tag_authority=config["TAG_AUTHORITY"],
        default_limit=int(config["DEFAULT_LIMIT"]),
        max_age=int(config["MAX_AGE"]),
    )
    publisher = Publisher(catalog, cache, site)
    reloader = Reloader(Indexer(catalog, coordinator), float(config["RELOAD_INTERVAL"]), (publisher.forget,))
    if config["BACKGROUND_LOAD"]:
        reloader.start()  # bind at once, whatever the corpus size; 503 until ready
        if warm and catalog.store.persistent:
            # Wait for that refresh (briefly) instead of answering 503 to the clients this worker
            # takes over; a cold first load still binds at once.
            catalog.ready.wait(WARM_START_WAIT)
    else:
        reloader.load()
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


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        # Twelve-factor: the platform collects stdout.
        logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
