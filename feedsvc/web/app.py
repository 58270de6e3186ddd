"""The application factory: settings in, a Flask app over the core out."""

from __future__ import annotations

import hashlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from feedsvc import settings
from feedsvc.articles.categories import Vocabulary
from feedsvc.cache import DocumentCache
from feedsvc.publish import Publisher, Site
from feedsvc.reloader import Reloader
from feedsvc.repository import Repository
from feedsvc.store import open_store


@dataclass
class Service:
    """The core objects one worker serves from."""

    repository: Repository
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
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    app.extensions["feedsvc"] = _build_service(app)

    from feedsvc.web import errors, views

    errors.register(app)
    app.register_blueprint(views.bp)
    return app


def _build_service(app: Flask) -> Service:
    config = app.config
    corpus = Path(config["CORPUS_DIR"])
    index_path = _index_path(app, corpus)
    repository = Repository(
        corpus,
        open_store(index_path),
        vocabulary=Vocabulary.extended(config["CATEGORIES"]),
        max_file_bytes=int(config["MAX_FILE_BYTES"]),
    )
    cache = DocumentCache(int(config["CACHE_ENTRIES"]))
    site = Site(
        title=config["SITE_TITLE"],
        description=config["SITE_DESCRIPTION"],
        tag_authority=config["TAG_AUTHORITY"],
        default_limit=int(config["DEFAULT_LIMIT"]),
        max_age=int(config["MAX_AGE"]),
    )
    lock = Path(str(index_path) + ".lock") if index_path else None
    reloader = Reloader(repository, cache, float(config["RELOAD_INTERVAL"]), lock)
    if config["BACKGROUND_LOAD"]:
        reloader.start()  # bind at once, whatever the corpus size; 503 until ready
    else:
        reloader.load()
    return Service(repository, cache, Publisher(repository, cache, site), reloader)


def _index_path(app: Flask, corpus: Path) -> Path | None:
    configured = str(app.config["INDEX_PATH"])
    if configured == "memory":
        return None
    if configured:
        return Path(configured)
    # One index per corpus folder, so two corpora never share rows.
    digest = hashlib.sha256(str(corpus.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return Path(app.instance_path) / f"index-{digest}.sqlite3"


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        # Twelve-factor: the platform collects stdout.
        logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
