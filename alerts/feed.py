"""A subscription's own Atom feed of its alerts, for feed-reader users (pure: data in, bytes out).

Built with ElementTree so every value from an article is escaped as XML text; nothing from an
article is ever interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from alerts.messages import web_url

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
    """The Atom document of a subscription's alerts, newest first. The feed was last updated
    when its newest alert was made (``updated`` when it has none), so a feed written again
    without new alerts reads as unchanged."""
    ElementTree.register_namespace("", ATOM)
    root = ElementTree.Element(f"{{{ATOM}}}feed")
    _text(root, "title", f"newsmon: {subscription}")
    _text(root, "subtitle", query)
    _text(root, "id", feed_id)
    _text(root, "updated", max((e.updated for e in entries), default=updated).isoformat())
    author = ElementTree.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", "newsmon")
    for entry in entries:
        element = ElementTree.SubElement(root, f"{{{ATOM}}}entry")
        _text(element, "title", entry.title)
        _text(element, "id", f"{feed_id}:alert:{entry.alert_id}")
        _text(element, "updated", entry.updated.isoformat())
        url = web_url(entry.url)
        if url:
            ElementTree.SubElement(element, f"{{{ATOM}}}link", href=url, rel="alternate")
        others = entry.coverage - 1
        more = (f" (also covered by {others} other outlet{'s' if others != 1 else ''})"
                if others > 0 else "")
        _text(element, "summary", entry.summary + more)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def _text(parent: ElementTree.Element, tag: str, value: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}").text = value
