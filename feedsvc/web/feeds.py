"""Feed routes: read the request, ask the publisher for a document, send it."""

from __future__ import annotations

from flask import Blueprint, Response

from feedsvc.corpus.listings import ALL
from feedsvc.publishing.formats import NAMES
from feedsvc.web.guard import base_url, service
from feedsvc.web.params import choice, paging
from feedsvc.web.responses import send

bp = Blueprint("feeds", __name__)


@bp.get("/feeds/<name>.<any(rss, atom, json):fmt>")
def feed(name: str, fmt: str) -> Response:
    slug = ALL if name == "all" else name
    limit, page = paging()
    publisher = service().publisher
    document = publisher.feed(base_url(), slug, fmt, limit=limit, page=page)
    return send(document, publisher.modified(slug))


@bp.get("/feeds.opml")
def opml() -> Response:
    fmt = choice("format", NAMES, "rss")
    publisher = service().publisher
    return send(publisher.opml(base_url(), fmt), publisher.modified(ALL))
