"""Frozen records that storage hands out instead of ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SourceRecord:
    """A source as stored."""

    id: int
    name: str
    kind: str
    url: str
    interval_seconds: int
    weight: float
    link_selector: str | None
    enabled: bool
    description: str | None
    window: str | None = None
    """Poll only between these local times (``HH:MM-HH:MM``); ``None``: at any time."""
    cron: str | None = None
    """Poll at these times (crontab) instead of every ``interval_seconds``."""
    timezone: str = "UTC"
    """The zone ``window`` and ``cron`` are read in."""


@dataclass(frozen=True)
class FetchState:
    """What the crawler needs to poll a source politely: validators and its earliest next poll."""

    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: datetime | None = None
    next_poll_reason: str | None = None
    consecutive_failures: int = 0
    last_polled_at: datetime | None = None


@dataclass(frozen=True)
class SourceHealth:
    """A source's health for ``newsmon sources list`` and ``status``."""

    source: SourceRecord
    state: FetchState
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    last_status_code: int | None
    articles_total: int
    articles_last_24h: int
    articles_per_day: float
    """Average over the last seven days."""


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored."""

    id: int
    source_name: str
    url: str
    canonical_url: str
    origin: str
    title: str | None
    text: str
    description: str | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    notes: tuple[str, ...]
    language: str | None
    image_url: str | None
    site_name: str | None
    word_count: int
    published_at: datetime | None
    fetched_at: datetime
    story_id: int | None = None
    tagged_at: datetime | None = None


@dataclass(frozen=True)
class RejectionRecord:
    """One recorded refusal."""

    id: int
    source_name: str | None
    url: str | None
    stage: str
    reason: str
    occurred_at: datetime


@dataclass(frozen=True)
class PollRecord:
    """What one poll of a source's own URL found, to be written into its fetch state."""

    at: datetime
    succeeded: bool
    status_code: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    next_poll_at: datetime | None = None
    next_poll_reason: str | None = None
