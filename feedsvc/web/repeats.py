"""Repeated requests answered before Flask: a reader's poll of a document that has not changed.

Readers and aggregators ask for the same few URLs again and again, and most of what such a request
cost was Flask's (a request context, routing, three hooks), not the answer's. :func:`remember`
keeps what :func:`feedsvc.web.responses.send` answered, keyed by every part of the request that
answer depends on; :class:`Repeats`, a WSGI middleware just outside Flask, answers the next such
request from it while the catalog's edition is still the one it was answered under. It decides
only what it can decide exactly: no conditional header (the 200), an If-None-Match that is one of
the document's own tags, or an If-Modified-Since that is its Last-Modified (the 304, RFC 9110
§13.2.2), and only with an answer Flask gave. Anything else goes to Flask, as before.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from feedsvc.corpus.catalog import Catalog
from feedsvc.publishing.cache import Document
from feedsvc.web.logs import request_id_from
from feedsvc.web.responses import quoted_tags

KEPT = 512  # request shapes kept per worker; when full, it starts again (one round of polls refills it)
EDITION_KEY = "feedsvc.edition"  # environ: the catalog's edition when the request came in (set by the guard)

Counter = Callable[[str, str, int, bool], None]  # (endpoint, format, status, conditional)
Key = tuple[Any, ...]


@dataclass(slots=True)
class _Known:
    """What Flask answered to one request shape, for as long as the catalog's edition holds."""

    catalog: Catalog
    edition: int
    document: weakref.ref[Document]
    gzip: bool
    tags: tuple[str, str]  # responses.quoted_tags: either coding's tag validates
    last_modified: str | None
    labels: tuple[str, str]  # (endpoint, format) for the request counters
    answers: dict[int, tuple[str, list[tuple[str, str]]]]  # status code -> (status line, headers but the id)


def _key(environ: dict[str, Any]) -> Key | None:
    if environ.get("REQUEST_METHOD") != "GET" or not environ.get("HTTP_HOST"):
        return None
    # Everything the guard and the views read besides the validators and the request id: the
    # scheme and Host the links are built from (after ProxyFix), the URL as sent (its length is
    # checked) and as routed, and the codings the client takes.
    return (environ.get("wsgi.url_scheme"), environ["HTTP_HOST"], environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO"), environ.get("QUERY_STRING", ""), environ.get("RAW_URI"),
            environ.get("HTTP_ACCEPT_ENCODING", ""))


class Repeats:
    """WSGI middleware around Flask's app: answers a request Flask already answered the same way."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], count: Counter | None = None):
        self.wsgi_app = wsgi_app
        self.count = count  # the request counters of /metrics, when they are on
        self.answered = 0
        self._known: dict[Key, _Known] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = _key(environ)
        known = self._known.get(key) if key is not None else None
        if known is not None and known.edition == known.catalog.edition:
            status = _verdict(known, environ)
            answer = known.answers.get(status) if status is not None else None
            document = known.document()
            if status is not None and answer is not None and document is not None:
                line, headers = answer
                start_response(line, [*headers, ("X-Request-ID", request_id_from(environ.get("HTTP_X_REQUEST_ID")))])
                self.answered += 1
                if self.count is not None:
                    conditional = "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ
                    self.count(*known.labels, status, conditional)
                if status == 304:
                    return []
                return [document.gzipped if known.gzip else document.body]
        return self.wsgi_app(environ, start_response)

    def remember(self, environ: dict[str, Any], response: Response, catalog: Catalog, document: Document, *,
                 gzip: bool, last_modified: str | None, labels: tuple[str, str]) -> None:
        """Keep Flask's answer to this request (status, headers but the request id) for its repeats."""
        key = _key(environ)
        edition = environ.get(EDITION_KEY)
        if key is None or edition is None:
            return
        known = self._known.get(key)
        if known is None or known.edition != edition or known.document() is not document:
            if len(self._known) >= KEPT:
                self._known.clear()
            known = _Known(catalog, edition, weakref.ref(document), gzip, quoted_tags(document), last_modified,
                           labels, {})
            self._known[key] = known
        headers = [(name, value) for name, value in response.headers.to_wsgi_list() if name != "X-Request-ID"]
        known.answers[response.status_code] = (response.status, headers)


def _verdict(known: _Known, environ: dict[str, Any]) -> int | None:
    """200 or 304 when the validators decide it exactly here, else None (Flask decides)."""
    match = environ.get("HTTP_IF_NONE_MATCH")
    if match is not None:
        return 304 if match in known.tags else None  # lists, weak tags and "*" go to werkzeug
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since is None:
        return 200
    return 304 if known.last_modified is not None and since == known.last_modified else None
