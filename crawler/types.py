"""Typed values of the crawler stage.

Parsers turn fetched bytes into :class:`ParsedFeed`, :class:`ParsedSitemap` or a list of links;
when they cannot, they return a :class:`ParseFailure` with a readable reason (never raise for
bad input). The spider reports per-source results as :class:`SourceCrawlResult`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.types import EntryHints


@dataclass(frozen=True)
class ParseFailure:
    """Input that could not be parsed; ``reason`` is shown to operators as is."""

    reason: str


@dataclass(frozen=True)
class ParsedFeed:
    """A feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed) typed at the edge."""

    format: str
    """feedparser's version string (``rss20``, ``atom10``, ...) or ``json1`` for JSON Feed."""
    title: str | None
    link: str | None
    entries: tuple[EntryHints, ...]
    encoding: str | None = None
    warnings: tuple[str, ...] = ()
    """Problems the parser recovered from (an ill-formed but readable feed)."""


@dataclass(frozen=True)
class SitemapLink:
    """One ``<url>`` of a (news) sitemap."""

    url: str
    published: datetime | None = None
    last_modified: datetime | None = None
    title: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class ParsedSitemap:
    """A sitemap: article links kept by the recency window, and child sitemaps of an index."""

    links: tuple[SitemapLink, ...]
    child_sitemaps: tuple[str, ...] = ()
    skipped_as_old: int = 0


class SourceKind(enum.StrEnum):
    """The kinds of source the crawler understands (a registry by short name)."""

    FEED = "feed"
    SITEMAP = "sitemap"
    PAGE = "page"


class PollOutcome(enum.StrEnum):
    """What polling a source's own URL (feed, sitemap or section page) gave."""

    FETCHED = "fetched"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class SourceCrawlResult:
    """The per-source summary a crawl returns (and records as the source's health)."""

    source: str
    outcome: PollOutcome
    status_code: int | None = None
    entries_seen: int = 0
    new_articles: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: tuple[str, ...] = field(default=())
