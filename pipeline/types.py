"""Typed values that cross the pipeline's boundaries.

The crawler hands the pipeline a :class:`FetchedPage` (and the :class:`EntryHints` its feed or
sitemap gave for it); extraction turns it into an :class:`ExtractedArticle` or says why not with
:class:`NotAnArticle`; storage answers with an :class:`IngestOutcome`. Third-party objects
(Scrapy responses, feedparser dicts, trafilatura documents, ORM rows) never appear here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class EntryHints:
    """What a feed, news sitemap or section page said about an article before it was fetched.

    Used to fill gaps in what the page itself yields, and kept as the article when the page
    cannot be had. All datetimes are UTC-aware; text fields are already cleaned.
    """

    url: str
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    content_html: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    image: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FetchedPage:
    """An article page as the crawler received it: raw bytes plus transport facts."""

    source: str
    url: str
    final_url: str
    status: int
    body: bytes
    fetched_at: datetime
    content_type: str | None = None
    encoding: str | None = None
    hints: EntryHints | None = None


@dataclass(frozen=True)
class ExtractedArticle:
    """The article a page (or a feed entry) yields: clean text and metadata, UTC datetimes."""

    url: str
    title: str | None
    text: str
    canonical_url: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    language: str | None = None
    image: str | None = None
    description: str | None = None
    site_name: str | None = None
    tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    """Readable remarks about what extraction had to fix or drop (e.g. an absurd date)."""


@dataclass(frozen=True)
class NotAnArticle:
    """Extraction refused the page; ``reason`` says why in words an operator understands."""

    url: str
    reason: str


ExtractionResult = ExtractedArticle | NotAnArticle


class ArticleOrigin(enum.StrEnum):
    """Where an article's text came from."""

    PAGE = "page"
    FEED = "feed"


class IngestStatus(enum.StrEnum):
    """What storing one article did."""

    NEW = "new"
    DUPLICATE_URL = "duplicate_url"
    DUPLICATE_CONTENT = "duplicate_content"
    REJECTED = "rejected"


@dataclass(frozen=True)
class IngestOutcome:
    """The result of offering one page or entry to the pipeline (never an exception)."""

    status: IngestStatus
    url: str
    article_id: int | None = None
    reason: str | None = None


StopCheck = Callable[[], bool]
"""Asked between batches by the processing steps: ``True`` once the daemon is stopping, so no
further batch starts and what is left waits for the next run."""


def never() -> bool:
    """The :data:`StopCheck` of a run that is never asked to stop (``newsmon process``)."""
    return False
