"""What every document says about the site, and where each document lives (its path)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from feedsvc.corpus.listings import ALL, AUTHOR


@dataclass(frozen=True)
class Site:
    """The site's own fields; none of them comes from a request."""

    title: str
    description: str
    tag_authority: str  # "kontumtv.vn,2021": RFC 4151 authority and date
    default_limit: int = 50
    max_age: int = 300
    hubs: tuple[str, ...] = ()  # WebSub hubs every feed names

    def entry_id(self, article_id: str) -> str:
        """The permanent id of an article in every format: built from its id alone."""
        return f"tag:{self.tag_authority}:article:{quote(article_id, safe='')}"

    def feed_id(self, slug: str) -> str:
        return f"tag:{self.tag_authority}:feed:{slug or 'all'}"


def feed_path(slug: str, fmt: str) -> str:
    """/feeds/all.rss, /feeds/<section>.rss, /feeds/authors/<author>.rss."""
    if slug.startswith(AUTHOR):
        return f"/feeds/authors/{slug[len(AUTHOR):]}.{fmt}"
    return f"/feeds/{slug or 'all'}.{fmt}"


def article_path(article_id: str) -> str:
    return "/articles/" + quote(article_id, safe="")


def category_path(slug: str) -> str:
    """The HTML page of a listing: /, /categories/<section>, /authors/<author>."""
    if slug == ALL:
        return "/"
    if slug.startswith(AUTHOR):
        return "/authors/" + slug[len(AUTHOR):]
    return "/categories/" + slug


def search_path(fmt: str | None = None) -> str:
    return f"/search.{fmt}" if fmt else "/search"


def with_query(path: str, limit: int | None = None, page: int | None = None, q: str | None = None) -> str:
    """A path with its parameters in canonical order (q, limit, page), only those given."""
    if q is None and limit is None and page is None:
        return path  # every poll of a feed's first page: nothing to encode
    query = urlencode([(k, v) for k, v in (("q", q), ("limit", limit), ("page", page)) if v is not None])
    return f"{path}?{query}" if query else path
