"""The one response builder: validators, caching headers, gzip choice and the 304 decision."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from flask import Response, request
from werkzeug.http import http_date, is_resource_modified

from feedsvc.publishing.cache import Document

# Pages hold only escaped text and one stylesheet; nothing else may load.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none';"
       " frame-ancestors 'none'")
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", CSP),
    ("Referrer-Policy", "no-referrer"),
)
PUBLIC_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed", "text/x-opml")
# Every request for a cached document sends one of four header lists: each is built once per
# document, so a hit costs a lookup, not a dozen formattings. Gone with the document.
_HEADER_LISTS: WeakKeyDictionary[Document, dict[tuple, list[tuple[str, str]]]] = WeakKeyDictionary()


def security_headers(headers) -> None:
    """Headers every answer carries, errors included."""
    if "Content-Security-Policy" in headers:
        return  # send() put all three in already: setting them again costs a scan each
    for name, value in SECURITY_HEADERS:
        headers[name] = value


def send(document: Document, max_age: int) -> Response:
    """A 200 with the cached bytes, or a bodiless 304 that repeats the validators."""
    environ = request.environ
    gzip_ok = _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
    if ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ) and _not_modified(document):
        return Response(status=304, headers=_headers(document, gzip_ok, max_age, False))
    body = document.gzipped if gzip_ok else document.body
    return Response(body, status=200, headers=_headers(document, gzip_ok, max_age, True))


def _headers(document: Document, gzip_ok: bool, max_age: int, full: bool) -> list[tuple[str, str]]:
    key = (gzip_ok, max_age, full)
    memo = _HEADER_LISTS.get(document)
    if memo is None:
        memo = _HEADER_LISTS.setdefault(document, {})
    found = memo.get(key)
    if found is not None:
        return found
    headers = [
        ("ETag", f'"{document.gzip_etag if gzip_ok else document.etag}"'),
        ("Cache-Control", f"public, max-age={max_age}"),
        ("Vary", "Accept-Encoding"),
    ]
    if document.last_modified is not None:
        headers.append(("Last-Modified", http_date(document.last_modified)))
    if full:
        if gzip_ok:
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Type", document.media_type))
        if document.media_type.startswith(PUBLIC_TYPES):
            headers.append(("Access-Control-Allow-Origin", "*"))  # feeds are public; browser readers may fetch them
    headers.extend(SECURITY_HEADERS)
    memo[key] = headers
    return headers


def _accepts_gzip(header: str) -> bool:
    # The common "gzip, deflate, br" needs no parsing; q-values go to werkzeug.
    if ";" in header:
        return request.accept_encodings["gzip"] > 0
    tokens = {token.strip().lower() for token in header.split(",")}
    return "gzip" in tokens or "*" in tokens


def _not_modified(document: Document) -> bool:
    # werkzeug applies RFC 9110 §13.2.2: If-None-Match (lists, weak tags, "*")
    # decides when present, else If-Modified-Since "not newer than". A client
    # may hold either coding of the bytes, so either tag matches.
    environ = request.environ
    if environ.get("HTTP_IF_NONE_MATCH") in (f'"{document.etag}"', f'"{document.gzip_etag}"'):
        return True  # the usual poll repeats one of our tags exactly
    last_modified = document.last_modified
    return not is_resource_modified(environ, etag=document.etag, last_modified=last_modified) or not (
        is_resource_modified(environ, etag=document.gzip_etag, last_modified=last_modified)
    )
