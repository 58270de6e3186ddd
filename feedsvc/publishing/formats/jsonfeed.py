"""JSON Feed 1.1, compact UTF-8, written with the standard library."""

from __future__ import annotations

import json

from feedsvc.articles import Article
from feedsvc.publishing.formats.page import FeedPage, content_html, item_title, rfc3339

MEDIA_TYPE = "application/feed+json"
LINK_TYPE = "application/feed+json"
VERSION = "https://jsonfeed.org/version/1.1"


def item(page: FeedPage, article: Article) -> dict[str, object]:
    """One item, keys in a fixed order; optional keys only when set."""
    found: dict[str, object] = {
        "id": page.entry_id(article.id),
        "url": page.article_url(article.id),
        "title": item_title(article),
    }
    if article.summary:
        found["summary"] = article.summary
    found["content_html"] = content_html(article)  # content_html or content_text is required
    if article.published is not None:
        found["date_published"] = rfc3339(article.published)
    if article.authors:
        found["authors"] = [{"name": name} for name in article.authors]
    if article.category is not None:
        found["tags"] = [article.category]
    return found


def render(page: FeedPage) -> bytes:
    """The page as JSON Feed 1.1 bytes."""
    doc: dict[str, object] = {
        "version": VERSION,
        "title": page.title,
        "home_page_url": page.home_url,
        "feed_url": page.self_url,
        "description": page.description,
        "language": page.language,
    }
    if page.large_icon_url:
        doc["icon"] = page.large_icon_url
    if page.icon_url:
        doc["favicon"] = page.icon_url
    if page.next_url:
        doc["next_url"] = page.next_url
    if page.hubs:
        doc["hubs"] = [{"type": "WebSub", "url": hub} for hub in page.hubs]
    doc["items"] = [item(page, article) for article in page.articles]
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # "<" as \u003c: same JSON value, but no raw "<script>" in the bytes if ever sniffed as HTML.
    return text.replace("<", "\\u003c").encode("utf-8")
