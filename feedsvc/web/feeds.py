"""Feed routes: read the request, ask the publisher for a document, send it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from feedsvc.corpus.listings import ALL
from feedsvc.publishing.formats import NAMES
from feedsvc.publishing.site import feed_path, with_query
from feedsvc.web.guard import base_url, service
from feedsvc.web.params import choice, paging
from feedsvc.web.responses import send

bp = Blueprint("feeds", __name__)


@bp.get("/feeds/<name>.<any(rss, atom, json):fmt>")
def feed(name: str, fmt: str) -> Response:
    slug = ALL if name == "all" else name
    limit, page = paging()
    publisher = service().publisher
    base = base_url()
    document = publisher.feed(base, slug, fmt, limit=limit, page=page)
    return send(document, publisher.modified(slug), hub_links(base + with_query(feed_path(slug, fmt), limit, page)))


def hub_links(self_url: str) -> str:
    """W3C WebSub §4: ``Link: <hub>; rel="hub"`` for each hub and ``<self>; rel="self"``, the rels
    quoted (a hub in use, flask-websub's, looks for the quoted form)."""
    hubs = current_app.config["WEBSUB_HUBS"]
    if not hubs:
        return ""
    return ", ".join([f'<{hub}>; rel="hub"' for hub in hubs] + [f'<{self_url}>; rel="self"'])


@bp.get("/feeds.opml")
def opml() -> Response:
    fmt = choice("format", NAMES, "rss")
    publisher = service().publisher
    return send(publisher.opml(base_url(), fmt), publisher.modified(ALL))
