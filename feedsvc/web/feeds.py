"""Feed routes: read the request, ask the publisher for a document, send it."""

from __future__ import annotations

import unicodedata

from flask import Blueprint, Response, current_app, request

from feedsvc.corpus.listings import ALL, AUTHOR
from feedsvc.corpus.search import MAX_QUERY, query_terms
from feedsvc.publishing.formats import NAMES
from feedsvc.publishing.site import feed_path, search_path, with_query
from feedsvc.web.errors import BadParameter
from feedsvc.web.guard import base_url, service
from feedsvc.web.params import choice, paging
from feedsvc.web.responses import send

bp = Blueprint("feeds", __name__)
FORMAT = "<any(rss, atom, json):fmt>"


@bp.get(f"/feeds/<name>.{FORMAT}")
def feed(name: str, fmt: str) -> Response:
    return _listing_feed(ALL if name == "all" else name, fmt)


@bp.get(f"/feeds/authors/<author_slug>.{FORMAT}")
def author_feed(author_slug: str, fmt: str) -> Response:
    return _listing_feed(AUTHOR + author_slug, fmt)


def _listing_feed(slug: str, fmt: str) -> Response:
    limit, page = paging()
    publisher = service().publisher
    base = base_url()
    document = publisher.feed(base, slug, fmt, limit=limit, page=page)
    return send(document, publisher.modified(slug), hub_links(base + with_query(feed_path(slug, fmt), limit, page)))


@bp.get(f"/search.{FORMAT}")
def search_feed(fmt: str) -> Response:
    query = search_query()
    limit, page = paging()
    publisher = service().publisher
    base = base_url()
    document = publisher.search_feed(base, query, fmt, limit=limit, page=page)
    return send(document, publisher.modified(ALL), hub_links(base + with_query(search_path(fmt), limit, page, q=query)))


def search_query() -> str:
    """The ``q`` of a search, whitespace collapsed: given once, 1 to 200 characters, with a word in it."""
    values = request.args.getlist("q")
    if len(values) > 1:
        raise BadParameter(f"q is given {len(values)} times; give it once")
    query = " ".join(unicodedata.normalize("NFC", values[0] if values else "").split())
    if not query:
        raise BadParameter("q is empty: give the words to search for, e.g. ?q=kinh+te")
    if len(query) > MAX_QUERY:
        raise BadParameter(f"q is {len(query)} characters long; {MAX_QUERY} at most")
    if not query_terms(query):
        raise BadParameter("q has no letters or digits to search for")
    return query


@bp.get("/feeds.opml")
def opml() -> Response:
    fmt = choice("format", NAMES, "rss")
    publisher = service().publisher
    return send(publisher.opml(base_url(), fmt), publisher.modified(ALL))


@bp.get("/rss/<section_slug>.rss")
def vietnamese_news_path(section_slug: str) -> Response:
    """/rss/<chuyen-muc>.rss, where Vietnamese news sites publish their feeds (tools guess it)."""
    slug = ALL if section_slug == "home" else section_slug
    if slug != ALL:
        service().catalog.category_name(slug)  # an unknown section is a 404 here, not a redirect to one
    location = base_url() + feed_path(slug, "rss")
    return Response(f"301: moved to {location}\n", status=301, mimetype="text/plain", headers={"Location": location})


def hub_links(self_url: str) -> str:
    """W3C WebSub §4: ``Link: <hub>; rel="hub"`` for each hub and ``<self>; rel="self"``, the rels
    quoted (a hub in use, flask-websub's, looks for the quoted form)."""
    hubs = current_app.config["WEBSUB_HUBS"]
    if not hubs:
        return ""
    return ", ".join([f'<{hub}>; rel="hub"' for hub in hubs] + [f'<{self_url}>; rel="self"'])
