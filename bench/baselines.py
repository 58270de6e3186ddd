"""The yardsticks our RSS render is compared with: the same items through plain feedgen and Django.

Both set the same fields we do: channel title, link, description, language, lastBuildDate, ttl; per item
title, link, guid (isPermaLink="false"), description, content:encoded, pubDate, one dc:creator per
author (feedgen's dc extension; Django's own <dc:creator> for a name-only author), and the category.
Neither adds our RFC 5005 paging links, which on a one-page feed are absent from ours too.
"""

from __future__ import annotations

from html import escape

from feedgen.feed import FeedGenerator

from feedsvc.publishing.formats import page as feeds


def _content(article) -> str:
    return "\n".join("<p>" + escape(p, quote=False) + "</p>" for p in article.body)


def feedgen_rss(page: feeds.FeedPage) -> bytes:
    """The minimal feedgen script a newcomer would write, fed the same fields."""
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.title(page.title)
    fg.link(href=page.self_url, rel="self")
    fg.link(href=page.home_url, rel="alternate")
    fg.description(page.description)
    fg.language(page.language)
    fg.lastBuildDate(feeds.feed_updated(page))
    fg.ttl(page.ttl_minutes)
    for article in page.articles:
        fe = fg.add_entry(order="append")
        fe.title(article.title)
        fe.link(href=page.article_url(article.id))
        fe.guid(page.entry_id(article.id), permalink=False)
        fe.description(escape(article.summary, quote=False))
        if article.body:
            fe.content(_content(article))
        if article.published is not None:
            fe.pubDate(article.published)
        for name in article.authors:
            fe.dc.dc_creator(name, replace=False)
        if article.category:
            fe.category(term=article.category)
    return fg.rss_str()


def django_rss(page: feeds.FeedPage) -> bytes:
    """Django's ``Rss201rev2Feed`` with content:encoded added the documented way (a subclass)."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_TZ=True)
    from django.utils.feedgenerator import Rss201rev2Feed

    class ContentFeed(Rss201rev2Feed):
        def rss_attributes(self):
            attrs = super().rss_attributes()
            attrs["xmlns:content"] = "http://purl.org/rss/1.0/modules/content/"
            attrs["xmlns:dc"] = "http://purl.org/dc/elements/1.1/"
            return attrs

        def add_item_elements(self, handler, item):
            super().add_item_elements(handler, item)
            if item.get("content"):
                handler.addQuickElement("content:encoded", item["content"])
            for name in item["creators"]:
                handler.addQuickElement("dc:creator", name)

    feed = ContentFeed(title=page.title, link=page.home_url, description=page.description,
                       language=page.language, feed_url=page.self_url, ttl=str(page.ttl_minutes))
    for article in page.articles:
        feed.add_item(
            title=article.title,
            link=page.article_url(article.id),
            unique_id=page.entry_id(article.id),
            unique_id_is_permalink=False,
            description=escape(article.summary, quote=False),
            content=_content(article) if article.body else None,
            pubdate=article.published,
            categories=[article.category] if article.category else None,
            creators=article.authors,
        )
    return feed.writeString("utf-8").encode("utf-8")
