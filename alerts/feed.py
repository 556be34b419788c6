"""A subscription's own Atom feed of its alerts, for feed-reader users (pure: data in, bytes out).

Built with ElementTree so every value from an article is escaped as XML text; nothing from an
article is ever interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class FeedEntry:
    """One alert as a feed entry."""

    alert_id: int
    title: str
    url: str
    summary: str
    updated: datetime
    coverage: int


def alerts_feed(subscription: str, query: str, entries: Sequence[FeedEntry], *, feed_id: str,
                updated: datetime) -> bytes:
    """The Atom document of a subscription's alerts, newest first."""
    ElementTree.register_namespace("", ATOM)
    root = ElementTree.Element(f"{{{ATOM}}}feed")
    _text(root, "title", f"newsmon: {subscription}")
    _text(root, "subtitle", query)
    _text(root, "id", feed_id)
    _text(root, "updated", updated.isoformat())
    author = ElementTree.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "newsmon")
    for entry in entries:
        element = ElementTree.SubElement(root, f"{{{ATOM}}}entry")
        _text(element, "title", entry.title)
        _text(element, "id", f"{feed_id}:alert:{entry.alert_id}")
        _text(element, "updated", entry.updated.isoformat())
        ElementTree.SubElement(element, f"{{{ATOM}}}link", href=entry.url, rel="alternate")
        more = f" ({entry.coverage - 1} more outlets)" if entry.coverage > 1 else ""
        _text(element, "summary", entry.summary + more)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _text(parent: ElementTree.Element, tag: str, value: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}").text = value
