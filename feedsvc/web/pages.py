"""HTML pages: the home page, every listing and every article, cached like the feeds."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request

from feedsvc.articles.dates import VN_TZ
from feedsvc.corpus.catalog import SEEN
from feedsvc.corpus.listings import ALL, AUTHOR, NO_SECTION, NO_SECTION_NAME, author_key, is_author
from feedsvc.publishing.cache import make_document
from feedsvc.publishing.formats import FORMATS
from feedsvc.publishing.paging import check_page
from feedsvc.publishing.publisher import SEARCHES
from feedsvc.publishing.site import article_path, category_path, feed_path, search_path, with_query
from feedsvc.web.feeds import search_query
from feedsvc.web.guard import base_url, service
from feedsvc.web.params import paging
from feedsvc.web.responses import send

bp = Blueprint("pages", __name__)

HTML = "text/html; charset=utf-8"
LATEST = 20
ALL_ARTICLES = "Tất cả bài viết"
FAVICON_MAX_AGE = 7 * 86400  # a week: it never changes between releases


def _page(key: tuple[object, ...], tags: frozenset[str], render: Callable[[], str], modified: int | None,
          zone: str = "") -> Response:
    # HTML pages go through the same cache and conditional GET as the feeds. Their bytes hold only
    # paths, never the host, so one copy serves every Host.
    document = service().cache.get(key, lambda: make_document(render().encode("utf-8"), HTML), tags, zone)
    return send(document, modified)


def feed_links(slug: str) -> list[tuple[str, str, str]]:
    """(format, link type, path) of a listing's feeds, for autodiscovery and the pages' feed links."""
    return [(form.name, form.link_type, feed_path(slug, form.name)) for form in FORMATS.values()]


def search_feed_links(query: str) -> list[tuple[str, str, str]]:
    return [(form.name, form.link_type, with_query(search_path(form.name), q=query)) for form in FORMATS.values()]


def author_path(name: str) -> str | None:
    key = author_key(name)
    return category_path(key) if key else None


def _context(**values: object) -> dict[str, object]:
    return {"site": service().publisher.site, "feed_links": feed_links, "article_path": article_path,
            "category_path": category_path, "author_path": author_path, "no_section": NO_SECTION,
            "no_section_name": NO_SECTION_NAME, **values}


@bp.get("/")
def home() -> Response:
    svc = service()
    catalog = svc.catalog

    def render() -> str:
        latest, total = catalog.page(ALL, LATEST, 1)
        return render_template("home.html", **_context(categories=catalog.categories(), latest=latest, total=total,
                                                       feeds=feed_links(ALL)))

    return _page(("home", catalog.version(ALL)), frozenset({ALL}), render, svc.publisher.modified(ALL))


def _listing(slug: str, name: str, path: str) -> Response:
    svc = service()
    catalog = svc.catalog
    _, page = paging()
    number = page or 1
    size = svc.publisher.site.default_limit

    def render() -> str:
        articles, total = catalog.page(slug, size, number)
        last = check_page(number, total, size)
        return render_template("category.html", **_context(name=name, slug=slug, articles=articles, total=total,
                                                           page=number, last=last, feeds=feed_links(slug),
                                                           path=path))

    key = ("listing", slug, number, catalog.version(slug))
    return _page(key, frozenset({slug}), render, svc.publisher.modified(slug))


@bp.get("/articles")
def articles() -> Response:
    """Every article, newest first: a crawl from the home page reaches them all."""
    return _listing(ALL, ALL_ARTICLES, "/articles")


@bp.get("/categories/<slug>")
def category(slug: str) -> Response:
    return _listing(slug, service().catalog.category_name(slug), category_path(slug))


@bp.get("/authors/<author_slug>")
def author(author_slug: str) -> Response:
    slug = AUTHOR + author_slug
    return _listing(slug, "Bài viết của " + service().catalog.category_name(slug), category_path(slug))


@bp.get("/search")
def search() -> Response:
    """Search results, newest first, paged; the same results are a feed at /search.rss?q=…"""
    svc = service()
    query = search_query()
    _, page = paging()
    number = page or 1
    size = svc.publisher.site.default_limit

    def render() -> str:
        articles, total = svc.catalog.search(query, size, number)
        last = check_page(number, total, size)
        return render_template("search.html", **_context(query=query, articles=articles, total=total, page=number,
                                                         last=last, feeds=search_feed_links(query)))

    key = ("search-page", query, number, svc.catalog.version(ALL))
    return _page(key, frozenset({ALL}), render, svc.publisher.modified(ALL), SEARCHES)


@bp.get("/feeds")
def feeds() -> Response:
    """Every feed with its address to copy, and how to subscribe (in Vietnamese)."""
    svc = service()
    catalog = svc.catalog
    base = base_url()

    def render() -> str:
        listings = [(ALL, svc.publisher.site.title, catalog.count(ALL))] + catalog.categories()
        return render_template("feeds.html", **_context(base=base, listings=listings, authors=catalog.authors(),
                                                        feeds=feed_links(ALL)))

    # The addresses shown are absolute, so this page (alone) depends on the base URL.
    return _page(("feeds-page", base, catalog.version(ALL)), frozenset({ALL}), render, svc.publisher.modified(ALL))


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The site icon; browsers and feed readers ask for it at this path (Liferea: 44 times in a poll)."""
    icon, etag = _favicon()
    response = Response(icon, mimetype="image/vnd.microsoft.icon",
                        headers={"Cache-Control": f"public, max-age={FAVICON_MAX_AGE}, immutable"})
    response.set_etag(etag)
    response.make_conditional(request)  # turns itself into a 304 in place
    return response


@lru_cache(maxsize=1)
def _favicon() -> tuple[bytes, str]:
    icon = (Path(current_app.static_folder or "") / "favicon.ico").read_bytes()  # 1.5 KB, read once
    return icon, hashlib.sha256(icon).hexdigest()[:32]


@bp.get("/articles/<article_id>")
def article(article_id: str) -> Response:
    svc = service()
    found = svc.catalog.get(article_id)
    section = found.category_slug or svc.catalog.listing_of(article_id)
    modified = svc.publisher.article_modified(article_id)

    def render() -> str:
        return render_template("article.html", **_context(article=found, feeds=feed_links(section),
                                                          section=section))

    key = ("article", article_id, svc.catalog.entry_of(article_id).fingerprint)
    return _page(key, frozenset({section}), render, modified)


# Names of the formats as readers and their users write them.
FORMAT_LABELS = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


@bp.app_template_filter("feedformat")
def feed_format(name: str) -> str:
    """'rss' -> 'RSS', 'json' -> 'JSON Feed'."""
    return FORMAT_LABELS.get(name, name.upper())


def _local(moment: datetime) -> datetime:
    # Dates are shown as the newsroom lives them: Vietnam time (UTC+7, no DST).
    return moment.astimezone(VN_TZ) if moment.tzinfo else moment


@bp.app_template_filter("vndate")
def vndate(moment: datetime | None, precision: str | None, long: bool = False) -> str:
    """How a Vietnamese reader writes a date: 05/10/2021, with its time when known (05/10/2021 15:30),
    the weekday first when ``long`` (Thứ Ba, 05/10/2021); "tháng 10/2021" for a month-only date;
    empty when undated."""
    if moment is None:
        return ""
    moment = _local(moment)
    if precision == "month":
        return f"tháng {moment:%m/%Y}"
    text = f"{moment:%d/%m/%Y}"
    if precision == SEEN or (moment.hour, moment.minute) != (0, 0):
        text += f" {moment:%H:%M}"
    return f"{WEEKDAYS[moment.weekday()]}, {text}" if long else text


@bp.app_template_filter("isodate")
def iso_date(moment: datetime | None, precision: str | None) -> str:
    """The ``datetime`` of a <time> element: a month (2021-10), a day (2021-10-05), or a moment
    with its offset when the time is known (HTML Living Standard, "valid date string" and kin)."""
    if moment is None:
        return ""
    moment = _local(moment)
    if precision == "month":
        return f"{moment:%Y-%m}"
    if precision != SEEN and (moment.hour, moment.minute) == (0, 0):
        return f"{moment:%Y-%m-%d}"
    return moment.isoformat(timespec="minutes")


@bp.app_template_test("seen")
def dated_when_seen(precision: str | None) -> bool:
    """Whether a date is when the service first published the article (the source gave none)."""
    return precision == SEEN


@bp.app_template_test("author_listing")
def author_listing(slug: str) -> bool:
    """Whether a listing's key is an author's (their pages say "tác giả", not "chuyên mục")."""
    return is_author(slug)
