"""Politeness decisions, pure: the User-Agent, when a source may be polled next, and why.

A failing source backs off exponentially (base * 2^(failures-1), capped); a server's Retry-After
or Cache-Control max-age postpones the next poll (capped by ``max_cache_delay``); a source whose
pause has not expired is skipped unless the operator forces the poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from config.settings import CrawlerSettings
from pipeline.dates import to_utc

NEWSMON_VERSION = "0.1.0"
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|[,\s])(no-cache|no-store)\b", re.IGNORECASE)


def user_agent(contact_url: str) -> str:
    """The User-Agent every request carries: names newsmon and how to reach its operator."""
    return f"newsmon/{NEWSMON_VERSION} (+{contact_url}; self-hosted news monitor)"


@dataclass(frozen=True)
class NextPoll:
    """The earliest time a source may be polled again and the reason, or no constraint."""

    at: datetime | None = None
    reason: str | None = None


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Parse a Retry-After header (seconds or an HTTP date) into a delay from ``now``."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    delay = to_utc(when) - to_utc(now)
    return max(delay, timedelta(0))


def parse_max_age(cache_control: str | None) -> int | None:
    """The max-age of a Cache-Control header in seconds; ``None`` if absent or uncacheable.

    newsmon is a private client, so ``s-maxage`` (meant for shared caches) is ignored.
    """
    if not cache_control or _NO_CACHE.search(cache_control):
        return None
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def after_success(
    now: datetime, interval_seconds: int, cache_control: str | None, settings: CrawlerSettings
) -> NextPoll:
    """A successful poll: only a max-age longer than the source's interval postpones the next."""
    max_age = parse_max_age(cache_control)
    if max_age is None or max_age <= interval_seconds:
        return NextPoll()
    delay = min(max_age, settings.max_cache_delay)
    return NextPoll(now + timedelta(seconds=delay), f"Cache-Control max-age={max_age}")


def after_failure(
    now: datetime, consecutive_failures: int, retry_after: str | None, settings: CrawlerSettings
) -> NextPoll:
    """A failed poll: exponential backoff, or the server's Retry-After if that is longer."""
    failures = max(consecutive_failures, 1)
    backoff = min(settings.backoff_base * 2 ** min(failures - 1, 30), settings.backoff_max)
    reason = f"backing off after {failures} consecutive failure{'s' if failures > 1 else ''}"
    told = parse_retry_after(retry_after, now)
    if told is not None:
        capped = min(int(told.total_seconds()), settings.max_cache_delay)
        if capped >= backoff:
            reason = f"server asked to retry after {capped}s"
            return NextPoll(now + timedelta(seconds=capped), reason)
    return NextPoll(now + timedelta(seconds=backoff), reason)


def skip_reason(next_poll_at: datetime | None, reason: str | None, now: datetime) -> str | None:
    """Why a source must not be polled at ``now`` (``None`` when it may be)."""
    if next_poll_at is None or next_poll_at <= now:
        return None
    return f"not before {next_poll_at:%Y-%m-%d %H:%M:%S} UTC ({reason or 'paused'})"
