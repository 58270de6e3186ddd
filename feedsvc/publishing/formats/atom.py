"""Atom 1.0 (RFC 4287) with RFC 5005 paging links."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from feedgen.entry import FeedEntry
from lxml.etree import SubElement

from feedsvc.publishing.formats.page import (
    FeedPage,
    content_html,
    feed_updated,
    item_summary,
    item_title,
    item_updated,
    paging_links,
)
from feedsvc.publishing.formats.xml import generator

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
LINK_TYPE = "application/atom+xml"


class _Entry(FeedEntry):
    """An Atom entry with an html title, a typed alternate link, authors and a category."""

    has_content = False
    authors: tuple[str, ...] = ()
    category_term: str | None = None
    category_label: str | None = None

    def atom_entry(self, extensions: bool = True) -> Any:
        entry = super().atom_entry(extensions)
        # Children so far: id, title, updated, [content], link, ... (authors are ours, below).
        # The title was escaped for type="html": a title like '<script>…</script>' is then text
        # to every reader (RFC 4287 §3.1.1.2); as type="text" the validator flags it as HTML.
        entry[1].set("type", "html")
        # feedgen 1.0 drops rel/type from entry links (its loop shadows the link dict).
        link = entry[4] if self.has_content else entry[3]
        link.set("rel", "alternate")
        link.set("type", "text/html")
        for name in self.authors:
            SubElement(SubElement(entry, "author"), "name").text = name
        if self.category_term is not None:
            category = SubElement(entry, "category")
            category.set("term", self.category_term)
            category.set("label", self.category_label)
        return entry


def render(page: FeedPage) -> bytes:
    """The page as Atom 1.0 bytes."""
    fg = generator(page)
    # RFC 4287 §4.1.1: entries without an author inherit the feed's.
    fg.author(name=page.title)
    fg.link(href=page.self_url, rel="self", type=LINK_TYPE)
    fg.link(href=page.home_url, rel="alternate", type="text/html")
    for rel, href in paging_links(page):
        fg.link(href=href, rel=rel, type=LINK_TYPE)
    for hub in page.hubs:  # W3C WebSub §4
        fg.link(href=hub, rel="hub")
    url, entry_id = page.article_url, page.entry_id
    used: set[datetime] = set()
    fallback = feed_updated(page)
    for article in page.articles:
        fe = _Entry()
        fe.id(entry_id(article.id))
        fe.title(escape(item_title(article), quote=False))  # type="html", see _Entry
        updated = item_updated(article, fallback)
        while updated in used:  # two ids hashed to one second: rare, settled in page order
            updated += timedelta(seconds=1)
        used.add(updated)
        fe.updated(updated)  # feedgen defaults to now
        if article.published is not None:
            fe.published(article.published)
        # Always present, so an entry without content still validates (RFC 4287 §4.1.2).
        fe.link(href=url(article.id))
        summary = item_summary(article)
        if summary is not None:
            # type="html" like the title; description() followed by content() would drop it.
            fe.summary(escape(summary, quote=False), type="html")
        if article.body:
            fe.content(content_html(article), type="html")
            fe.has_content = True
        fe.authors = article.authors
        if article.category_slug is not None:
            fe.category_term = article.category_slug
            fe.category_label = article.category or article.category_slug
        fg.add_entry(fe, order="append")
    data: bytes = fg.atom_str()
    return data
