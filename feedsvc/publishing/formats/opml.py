"""OPML 2.0: a list of feeds a reader imports in one go."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from xml.etree import ElementTree as ET

from feedsvc.publishing.formats.page import rfc822

MEDIA_TYPE = "text/x-opml; charset=utf-8"


class Outline(NamedTuple):
    """One feed of the list."""

    text: str
    xml_url: str
    html_url: str
    type: str  # "rss", "atom" or "jsonfeed"


def render(title: str, modified: datetime | None, outlines: list[Outline]) -> bytes:
    """The list as OPML 2.0 bytes; ``modified`` is its dateModified (RFC 822), when known."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    if modified is not None:
        ET.SubElement(head, "dateModified").text = rfc822(modified)
    body = ET.SubElement(root, "body")
    for outline in outlines:
        ET.SubElement(body, "outline", type=outline.type, text=outline.text, title=outline.text,
                      xmlUrl=outline.xml_url, htmlUrl=outline.html_url)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
