"""The one response builder: validators, caching headers, gzip choice and the 304 decision."""

from __future__ import annotations

from flask import Response, request
from werkzeug.http import is_resource_modified

from feedsvc.cache import Document

# Pages hold only escaped text and one stylesheet; nothing else may load.
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def security_headers(headers) -> None:
    """Headers every answer carries, errors included."""
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = CSP
    headers["Referrer-Policy"] = "no-referrer"


def send(document: Document, max_age: int) -> Response:
    """A 200 with the cached bytes, or a bodiless 304 that repeats the validators."""
    gzip_ok = request.accept_encodings["gzip"] > 0
    etag = document.gzip_etag if gzip_ok else document.etag
    headers = {
        "ETag": f'"{etag}"',
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if document.last_modified is not None:
        headers["Last-Modified"] = _http_date(document.last_modified)
    if _not_modified(document):
        return Response(status=304, headers=headers)
    body = document.body
    if gzip_ok:
        body = document.gzipped
        headers["Content-Encoding"] = "gzip"
    headers["Content-Type"] = document.media_type
    if document.media_type.startswith(("application/rss", "application/atom", "application/feed", "text/x-opml")):
        headers["Access-Control-Allow-Origin"] = "*"  # feeds are public; browser readers may fetch them
    return Response(body, status=200, headers=headers)


def _not_modified(document: Document) -> bool:
    # werkzeug applies RFC 9110 §13.2.2: If-None-Match (lists, weak tags, "*")
    # decides when present, else If-Modified-Since "not newer than". A client
    # may hold either coding of the bytes, so either tag matches.
    environ = request.environ
    if "HTTP_IF_NONE_MATCH" not in environ and "HTTP_IF_MODIFIED_SINCE" not in environ:
        return False
    last_modified = document.last_modified
    return not is_resource_modified(environ, etag=document.etag, last_modified=last_modified) or not (
        is_resource_modified(environ, etag=document.gzip_etag, last_modified=last_modified)
    )


def _http_date(moment) -> str:
    from werkzeug.http import http_date

    return http_date(moment)
