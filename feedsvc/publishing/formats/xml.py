"""What RSS and Atom share: the feedgen channel fields and the atom:link names."""

from __future__ import annotations

from feedgen.feed import FeedGenerator

from feedsvc.publishing.formats.page import GENERATOR, FeedPage, feed_updated

ATOM_LINK = "{http://www.w3.org/2005/Atom}link"


def generator(page: FeedPage) -> FeedGenerator:
    """The channel/feed fields both XML formats share; links are format-specific."""
    fg = FeedGenerator()
    fg.id(page.feed_id)
    fg.title(page.title)
    fg.description(page.description or page.title)  # also atom:subtitle; RSS requires one
    fg.language(page.language)  # also xml:lang on <feed>
    fg.generator(GENERATOR)
    fg.updated(feed_updated(page))  # also lastBuildDate; feedgen defaults both to now
    if page.logo_url:
        # RSS <image> (its title and link the channel's, as the validator wants) and Atom <logo>.
        fg.image(url=page.logo_url, title=page.title, link=page.home_url, width="144", height="144")
    if page.icon_url:
        fg.icon(page.icon_url)  # Atom <icon>: square (RFC 4287 §4.2.5)
    return fg
