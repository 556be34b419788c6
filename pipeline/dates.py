"""Date sanity: every datetime the pipeline keeps is UTC-aware and plausible.

Feeds and pages state dates in many formats, time zones and, sometimes, absurd years. Parsing is
left to feedparser/htmldate/dateutil at the edges; this module decides what to keep.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
"""News older than the web is treated as a parsing accident."""

FUTURE_TOLERANCE = timedelta(days=1)
"""How far in the future a publication date may lie (time zones, scheduled posts)."""


def to_utc(value: datetime) -> datetime:
    """Return ``value`` as a UTC-aware datetime; naive values are taken to be UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """Convert feedparser's UTC ``struct_time`` to a datetime, or ``None`` when impossible."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_iso_datetime(value: str | None) -> datetime | None:
    """Parse an ISO-8601 date or datetime string leniently; ``None`` when it is not one."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        return None


def sane_published(value: datetime | None, now: datetime) -> datetime | None:
    """Keep a publication date only when it lies between 1990 and a day after ``now``."""
    if value is None:
        return None
    value = to_utc(value)
    if value < EARLIEST_PLAUSIBLE or value > to_utc(now) + FUTURE_TOLERANCE:
        return None
    return value


def utc_now() -> datetime:
    """The current time, UTC-aware. Pass clocks around instead of calling this deep inside."""
    return datetime.now(UTC)
