"""Source kinds: how the bytes of a source's own URL become entries to follow.

A small registry by short name (``feed``, ``sitemap``, ``page``), each reader pure: bytes in,
a :class:`SourceDocument` or a readable failure reason out. Adding a source kind means adding a
reader here and a name to ``config.SourceSpec.kind``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import MINYEAR, UTC, datetime, timedelta

from config.settings import CrawlerSettings
from crawler.feeds import parse_feed
from crawler.sections import pick_article_links
from crawler.sitemaps import parse_sitemap
from crawler.sniff import http_charset
from crawler.types import ParseFailure
from pipeline.storage import SourceRecord
from pipeline.types import EntryHints

_OLDEST = datetime(MINYEAR, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SourceDocument:
    """What a source's own URL listed: entries (newest first) and, for indexes, child sitemaps."""

    entries: tuple[EntryHints, ...]
    child_sitemaps: tuple[str, ...] = ()
    follow_links: bool = True


SourceReader = Callable[
    [SourceRecord, bytes, str, datetime, str | None, CrawlerSettings], SourceDocument | str
]


def read_feed(
    source: SourceRecord, body: bytes, url: str, now: datetime, content_type: str | None,
    settings: CrawlerSettings,
) -> SourceDocument | str:
    """A feed's entries, newest first."""
    parsed = parse_feed(body, url, now=now, content_type=content_type)
    if isinstance(parsed, ParseFailure):
        return parsed.reason
    return SourceDocument(_newest_first(parsed.entries))


def read_sitemap(
    source: SourceRecord, body: bytes, url: str, now: datetime, content_type: str | None,
    settings: CrawlerSettings,
) -> SourceDocument | str:
    """A news sitemap's recent links (or an index's child sitemaps)."""
    parsed = parse_sitemap(
        body, url, now=now, recency=timedelta(seconds=settings.sitemap_recency),
        max_bytes=settings.max_body_bytes,
    )
    if isinstance(parsed, ParseFailure):
        return parsed.reason
    entries = tuple(
        EntryHints(url=link.url, title=link.title, published=link.published or link.last_modified,
                   language=link.language)
        for link in parsed.links
    )
    return SourceDocument(_newest_first(entries), parsed.child_sitemaps)


def read_section_page(
    source: SourceRecord, body: bytes, url: str, now: datetime, content_type: str | None,
    settings: CrawlerSettings,
) -> SourceDocument | str:
    """The article links a section page shows, picked by the source's selector."""
    links = pick_article_links(
        body, url, source.link_selector or "a", encoding=http_charset(content_type)
    )
    if isinstance(links, ParseFailure):
        return links.reason
    return SourceDocument(tuple(EntryHints(url=link) for link in links))


SOURCE_READERS: dict[str, SourceReader] = {
    "feed": read_feed,
    "sitemap": read_sitemap,
    "page": read_section_page,
}


def read_source_document(
    source: SourceRecord, body: bytes, url: str, *, now: datetime, content_type: str | None,
    settings: CrawlerSettings,
) -> SourceDocument | str:
    """Dispatch to the reader of the source's kind; an unknown kind is a failure reason."""
    reader = SOURCE_READERS.get(source.kind)
    if reader is None:
        return f"unknown source kind {source.kind!r} (known: {', '.join(SOURCE_READERS)})"
    return reader(source, body, url, now, content_type, settings)


def _newest_first(entries: tuple[EntryHints, ...]) -> tuple[EntryHints, ...]:
    """Entries by publication (else update) time, newest first; undated ones keep their order."""
    if not any(entry.published or entry.updated for entry in entries):
        return entries
    return tuple(
        sorted(entries, key=lambda e: e.published or e.updated or _OLDEST, reverse=True)
    )
