"""What every request goes through first: its size, its encoding, its Host, and readiness."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from werkzeug.routing import RequestRedirect

from feedsvc.web.errors import NotReady, plain
from feedsvc.web.hosts import BadHost, check_host, request_base_url
from feedsvc.web.logs import REQUEST_ID, request_id_from
from feedsvc.web.repeats import EDITION_KEY
from feedsvc.web.responses import Sent, security_headers

bp = Blueprint("guard", __name__)

MAX_URL = 2048
# Endpoints that answer before the index is ready, and without a Host (an HTTP/1.0 health probe).
ALWAYS_OPEN = frozenset({"static", "health.healthz", "metrics.metrics"})
_KNOWN: dict[tuple[str, str], str] = {}  # (scheme, Host) already checked -> base URL: a poll skips the checks
_KNOWN_MAX = 256
BASE_URL_KEY = "feedsvc.base_url"


def service():  # type: ignore[no-untyped-def]
    """The worker's core objects (see app.Service), built on first use in this process."""
    return current_app.extensions["feedsvc"].get()


def base_url() -> str:
    """The public base URL links are built from (set by :func:`guard` for this request)."""
    found = request.environ.get(BASE_URL_KEY)
    return found if found is not None else _base_url()


def _base_url() -> str:
    configured: str = current_app.config["BASE_URL"]
    if configured:
        return configured
    environ = request.environ
    scheme, host = environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST", "")
    found = _KNOWN.get((scheme, host))
    if found is None:
        found = request_base_url(scheme, host)
        if len(_KNOWN) < _KNOWN_MAX:
            _KNOWN[(scheme, host)] = found
    return found


@bp.before_app_request
def guard() -> Response | None:
    environ = request.environ
    REQUEST_ID.set(request_id_from(environ.get("HTTP_X_REQUEST_ID")))
    if len(environ.get("RAW_URI") or request.full_path) > MAX_URL:
        return plain(414, f"URL longer than {MAX_URL} characters")
    query = environ.get("QUERY_STRING", "")
    if query and not query.isascii():
        try:
            request.query_string.decode("utf-8")  # werkzeug decodes it strictly when request.args is first read
        except UnicodeDecodeError:
            return plain(400, "the query string is not valid UTF-8; percent-encode it")
    open_endpoint = request.endpoint in ALWAYS_OPEN
    host = environ.get("HTTP_HOST")
    if not host:
        # RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. An HTTP/1.0 one has no name to
        # build links from either (it would be the bind address): only a health probe may go on.
        if environ.get("SERVER_PROTOCOL") not in ("HTTP/1.0", "HTTP/0.9") or not (
                open_endpoint or current_app.config["BASE_URL"]):
            return plain(400, "missing Host header")
    else:
        try:
            if (environ.get("wsgi.url_scheme"), host) not in _KNOWN:
                check_host(host)
            environ[BASE_URL_KEY] = _base_url()
        except BadHost as exc:
            return plain(400, str(exc))
    if not open_endpoint:
        catalog = service().catalog
        if not catalog.ready.is_set():
            raise NotReady("the article index is still loading; try again shortly")
        environ[EDITION_KEY] = catalog.edition  # before the view reads the catalog (see repeats)
    return None


@bp.after_app_request
def harden(response: Response) -> Response:
    if isinstance(response, Sent):
        return response  # built with both already
    security_headers(response.headers)
    response.headers["X-Request-ID"] = REQUEST_ID.get() or request_id_from(None)
    return response


@bp.teardown_app_request
def forget_request_id(_: BaseException | None) -> None:
    REQUEST_ID.set("")  # the thread's next log lines (or its next request) are not this request's


@bp.app_errorhandler(RequestRedirect)
def redirect(exc: RequestRedirect) -> Response:
    """werkzeug redirects "//feeds/all.rss" to "/feeds/all.rss" with a URL built from the Host header:
    it is built from the public base URL instead, like every other link."""
    target = urlsplit(exc.new_url)
    location = target.path + (f"?{target.query}" if target.query else "")
    return Response(f"{exc.code}: moved to {location}\n", status=exc.code, mimetype="text/plain",
                    headers={"Location": base_url() + location})
