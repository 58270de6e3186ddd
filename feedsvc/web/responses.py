"""The one response builder: validators, caching headers, gzip choice and the 304 decision."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask import Response, current_app, request
from werkzeug.datastructures import Headers
from werkzeug.http import http_date, is_resource_modified

from feedsvc.publishing.cache import Document
from feedsvc.web.logs import REQUEST_ID, request_id_from

# Pages hold only escaped text, one stylesheet, the site's icons and the search form; nothing else
# may load, and no script at all.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self';"
       " frame-ancestors 'none'")
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", CSP),
    ("Referrer-Policy", "no-referrer"),
)
PUBLIC_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed", "text/x-opml")
_MAX_ACCEPT_ENCODING = 256  # a real Accept-Encoding is a few dozen bytes; parsing more is work for nothing


def security_headers(headers) -> None:  # type: ignore[no-untyped-def]
    """Headers every answer carries, errors included."""
    for name, value in SECURITY_HEADERS:
        headers[name] = value


class Sent(Response):
    """A response :func:`send` built whole: the security headers and the request id are in already,
    so the after-request hook leaves it alone (it would rescan the headers twice per poll).

    Its headers are also final as built, so werkzeug's pass before sending is skipped: it copies
    them all into a new Headers object to resolve a Location (there is none), take the entity
    headers off a 304 (none are put on one) and count a length (set_data did): 20 µs a poll.
    """

    default_mimetype = None  # a 304 has no Content-Type (RFC 9110 §15.4.5); a 200 has its own

    def get_wsgi_headers(self, environ: dict[str, Any]) -> Headers:
        return self.headers


def send(document: Document, modified: int | None, links: str = "") -> Response:
    """A 200 with the cached bytes, or a bodiless 304 that repeats the validators.

    ``modified`` is when the document last changed (POSIX seconds, see Publisher.modified). It is
    sent as Last-Modified only once that second is past: RFC 9110 §8.8.2.1 forbids a date in the
    future, and a clock that moved past "now" (several changes in one second) keeps the strict
    order If-Modified-Since relies on. A conditional request is judged against it either way.
    ``links`` is a Link header value (RFC 8288), sent on 200 and 304 alike.
    """
    environ = request.environ
    gzip_ok = _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
    config = current_app.config
    policy = (config["CACHE_CONTROL"], config["VARY"], links)
    shown = modified if modified is not None and modified <= config["CLOCK"]() else None
    tag = document.gzip_etag if gzip_ok else document.etag
    request_id = ("X-Request-ID", REQUEST_ID.get() or request_id_from(None))
    if ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ) and _not_modified(document, modified):
        response = Sent(status=304, headers=[*_headers(tag, document.media_type, gzip_ok, policy, shown, False),
                                             request_id])
    else:
        body = document.gzipped if gzip_ok else document.body
        response = Sent(body, status=200, headers=[*_headers(tag, document.media_type, gzip_ok, policy, shown, True),
                                                   request_id])
    if shown == modified:  # not while a Last-Modified waits for its second to pass
        current_app.extensions["feedsvc.repeats"].remember(
            environ, response, current_app.extensions["feedsvc"].get().catalog, document, gzip=gzip_ok,
            last_modified=http_date(modified) if modified is not None else None,
            labels=(request.endpoint or "", (request.view_args or {}).get("fmt") or ""))
    return response


# Every request for a cached document sends one of a few header lists: each is built once, keyed by
# the ETag sent (the bytes) and what else goes in, so a hit costs a lookup, not a dozen formattings.
@lru_cache(maxsize=4096)
def _headers(tag: str, media_type: str, gzip_ok: bool, policy: tuple[str, str, str], shown: int | None,
             full: bool) -> tuple[tuple[str, str], ...]:
    cache_control, vary, links = policy
    headers = [
        ("ETag", f'"{tag}"'),
        ("Cache-Control", cache_control),
        ("Vary", vary),
    ]
    if links:
        headers.append(("Link", links))
    if full:  # a 304 carries the ETag, and RFC 9110 §15.4.5 asks for no other metadata then
        if shown is not None:
            headers.append(("Last-Modified", http_date(shown)))
        if gzip_ok:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Type", media_type))
        if media_type.startswith(PUBLIC_TYPES):
            headers.append(("Access-Control-Allow-Origin", "*"))  # feeds are public; browser readers may fetch them
    return (*headers, *SECURITY_HEADERS)


def _accepts_gzip(header: str) -> bool:
    # The common "gzip, deflate, br" needs no parsing; q-values go to werkzeug, on a bounded header.
    if ";" in header:
        if len(header) > _MAX_ACCEPT_ENCODING:
            return False  # identity is always acceptable (RFC 9110 §12.5.3)
        return request.accept_encodings["gzip"] > 0
    tokens = {token.strip().lower() for token in header.split(",")}
    return "gzip" in tokens or "*" in tokens


def quoted_tags(document: Document) -> tuple[str, str]:
    """The If-None-Match values that name this document exactly: either coding's tag validates."""
    return f'"{document.etag}"', f'"{document.gzip_etag}"'


def _not_modified(document: Document, modified: int | None) -> bool:
    # werkzeug applies RFC 9110 §13.2.2: If-None-Match (lists, weak tags, "*") decides when
    # present, else If-Modified-Since "not newer than". A client may hold either coding of
    # the bytes, so either tag matches. Without a clock, a date proves nothing: 200.
    environ = request.environ
    if environ.get("HTTP_IF_NONE_MATCH") in quoted_tags(document):
        return True  # the usual poll repeats one of our tags exactly
    if "HTTP_IF_NONE_MATCH" not in environ and modified is None:
        return False
    last = datetime.fromtimestamp(modified, tz=UTC) if modified is not None else None
    return not is_resource_modified(environ, etag=document.etag, last_modified=last) or not (
        is_resource_modified(environ, etag=document.gzip_etag, last_modified=last)
    )
