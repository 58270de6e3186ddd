"""The feed formats, in one registry: routes, OPML, autodiscovery, the static export and the tests iterate it.

A new format is one module with ``MEDIA_TYPE``, ``LINK_TYPE`` and ``render(FeedPage) -> bytes``, and one
entry below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from feedsvc.publishing.formats import atom, jsonfeed, rss
from feedsvc.publishing.formats.page import FeedPage


@dataclass(frozen=True)
class Format:
    """One feed format: its URL extension, its HTTP and link types, its OPML type and its writer."""

    name: str  # the URL extension (/feeds/all.rss) and the OPML ?format= value
    media_type: str  # Content-Type of the response
    link_type: str  # type= of <link rel="alternate"> and of atom:link
    opml_type: str  # OPML 2.0 outline type
    render: Callable[[FeedPage], bytes]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("rss", rss.MEDIA_TYPE, rss.LINK_TYPE, "rss", rss.render),
        Format("atom", atom.MEDIA_TYPE, atom.LINK_TYPE, "atom", atom.render),
        Format("json", jsonfeed.MEDIA_TYPE, jsonfeed.LINK_TYPE, "jsonfeed", jsonfeed.render),
    )
}
NAMES = tuple(FORMATS)
