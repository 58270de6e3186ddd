"""Routes: thin wrappers that read the request, ask the core for a document and send it."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify, render_template, request

from feedsvc.corpus.listings import ALL
from feedsvc.publishing.cache import make_document
from feedsvc.publishing.formats import FORMATS, NAMES
from feedsvc.publishing.paging import check_page
from feedsvc.publishing.site import article_path, category_path, feed_path
from feedsvc.web.errors import BadParameter, NotReady, plain
from feedsvc.web.responses import security_headers, send

bp = Blueprint("web", __name__)

HTML = "text/html; charset=utf-8"
MAX_URL = 2048
LATEST = 20
_HOST = re.compile(r"^(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}\.?(?::\d{1,5})?$"
                   r"|^\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?$")


def service():
    return current_app.extensions["feedsvc"]


def base_url() -> str:
    """The public base URL: the setting, else the request's (as ProxyFix left it)."""
    configured = current_app.config["BASE_URL"]
    if configured:
        return configured
    environ = request.environ
    host = environ.get("HTTP_HOST")
    if not host or environ.get("SCRIPT_NAME"):
        return request.host_url.rstrip("/")
    # guard() has checked the Host header; werkzeug's host_url costs ~10x this on every poll.
    scheme = environ["wsgi.url_scheme"]
    default_port = ":443" if scheme == "https" else ":80"
    if host.endswith(default_port):
        host = host[: -len(default_port)]
    return f"{scheme}://{host}"


def _max_age() -> int:
    return int(current_app.config["MAX_AGE"])


_good_hosts: set[str] = set()  # Host values already checked: a poll then skips the regex


@bp.before_app_request
def guard():
    environ = request.environ
    if len(environ.get("RAW_URI") or request.full_path) > MAX_URL:
        return plain(414, f"URL longer than {MAX_URL} characters")
    query = environ.get("QUERY_STRING", "")
    if query and not query.isascii():
        try:
            request.query_string.decode("utf-8")  # werkzeug decodes it strictly when request.args is first read
        except UnicodeDecodeError:
            return plain(400, "the query string is not valid UTF-8; percent-encode it")
    host = environ.get("HTTP_HOST")
    if not host and environ.get("SERVER_PROTOCOL", "HTTP/1.0") not in ("HTTP/1.0", "HTTP/0.9"):
        # RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400; the self links would name the bind address.
        return plain(400, "missing Host header")
    if not current_app.config["BASE_URL"] and host not in _good_hosts:
        # Without a configured base URL the Host header builds the self links: refuse junk. The raw
        # header is checked: request.host drops a trailing ":80", so "a:80:80" would pass as "a:80".
        if not _HOST.match(host or request.host):
            return plain(400, "invalid Host header")
        if host and len(_good_hosts) < 256:
            _good_hosts.add(host)
    if not service().catalog.ready.is_set() and request.endpoint not in ("static", "web.healthz"):
        raise NotReady("the article index is still loading; try again shortly")
    return None


@bp.after_app_request
def harden(response):
    security_headers(response.headers)
    return response


def _int_arg(name: str, low: int, high: int | None) -> int | None:
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadParameter(f"{name} is given {len(values)} times; give it once")
    raw = values[0]
    top = f" to {high}" if high else " or more"
    # ASCII digits only: str.isdigit() also passes "²" (int() then fails) and "١" (not canonical).
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise BadParameter(f"{name} must be a whole number from {low}{top}, not {raw[:40]!r}")
    value = int(raw)
    if value < low or (high is not None and value > high):
        raise BadParameter(f"{name} must be a whole number from {low}{top}, not {value}")
    return value


def paging() -> tuple[int | None, int | None]:
    """``limit`` (1…max) and ``page`` (1…) as given, or None where absent."""
    if not request.environ.get("QUERY_STRING"):
        return None, None  # the usual poll: nothing to parse
    return _int_arg("limit", 1, int(current_app.config["MAX_LIMIT"])), _int_arg("page", 1, None)


@bp.get("/feeds/<name>.<any(rss, atom, json):fmt>")
def feed(name: str, fmt: str):
    slug = ALL if name == "all" else name
    limit, page = paging()
    return send(service().publisher.feed(base_url(), slug, fmt, limit=limit, page=page), _max_age())


@bp.get("/feeds.opml")
def opml():
    fmt = request.args.get("format", "rss")
    if fmt not in FORMATS:
        raise BadParameter(f"format must be one of {', '.join(NAMES)}, not {fmt[:40]!r}")
    return send(service().publisher.opml(base_url(), fmt), _max_age())


def _page(key: tuple, tags: frozenset, render, last_modified=None):
    # HTML pages go through the same cache and conditional GET as the feeds.
    svc = service()
    document = svc.cache.get(key, lambda: make_document(render().encode("utf-8"), HTML, last_modified), tags)
    return send(document, _max_age())


def _feed_links(slug: str) -> list[tuple[str, str, str]]:
    return [(form.name, form.link_type, feed_path(slug, form.name)) for form in FORMATS.values()]


@bp.get("/")
def home():
    svc = service()
    repo = svc.catalog
    key = ("home", base_url(), repo.version(ALL))

    def render():
        latest, total = repo.page(ALL, LATEST, 1)
        return render_template("home.html", site=svc.publisher.site, categories=repo.categories(),
                               latest=latest, total=total, feeds=_feed_links(ALL), feed_links=_feed_links,
                               article_path=article_path, category_path=category_path)

    return _page(key, frozenset({ALL}), render)


@bp.get("/categories/<slug>")
def category(slug: str):
    svc = service()
    repo = svc.catalog
    name = repo.category_name(slug)
    _, page = paging()
    number = page or 1
    size = svc.publisher.site.default_limit
    key = ("category", base_url(), slug, number, repo.version(slug))

    def render():
        articles, total = repo.page(slug, size, number)
        last = check_page(number, total, size)
        return render_template("category.html", site=svc.publisher.site, name=name, slug=slug, articles=articles,
                               total=total, page=number, last=last, feeds=_feed_links(slug),
                               article_path=article_path)

    return _page(key, frozenset({slug}), render)


@bp.get("/articles/<article_id>")
def article(article_id: str):
    svc = service()
    found = svc.catalog.get(article_id)
    key = ("article", base_url(), article_id, svc.catalog.fingerprint(article_id))

    def render():
        return render_template("article.html", site=svc.publisher.site, article=found,
                               category_path=category_path, feeds=_feed_links(found.category_slug or ALL))

    return _page(key, frozenset({found.category_slug or ALL}), render, found.published)


@bp.get("/healthz")
def healthz():
    repo = service().catalog
    ready = repo.ready.is_set()
    response = jsonify(
        status="ok" if ready else "loading",
        articles=len(repo),
        categories={slug: count for slug, _, count in repo.categories()},
        corpus_version=repo.version(ALL),
        skipped=[{"file": name, "reason": reason} for name, reason in sorted(repo.skipped.items())],
    )
    response.headers["Cache-Control"] = "no-store"
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return response


@bp.app_template_filter("vndate")
def vndate(moment, precision: str | None) -> str:
    """05/10/2021, or 10/2021 for a month-only date; empty when undated."""
    if moment is None:
        return ""
    return moment.strftime("%d/%m/%Y" if precision == "day" else "%m/%Y")
