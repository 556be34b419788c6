"""Politeness decisions: backoff, Retry-After, Cache-Control, the User-Agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config.settings import CrawlerSettings
from crawler.politeness import (
    after_failure,
    after_success,
    parse_max_age,
    parse_retry_after,
    skip_reason,
    user_agent,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SETTINGS = CrawlerSettings(backoff_base=300, backoff_max=3600, max_cache_delay=7200)


def test_backoff_doubles_per_failure_up_to_the_cap() -> None:
    delays = [(after_failure(NOW, n, None, SETTINGS).at or NOW) - NOW for n in range(1, 7)]
    assert [d.total_seconds() for d in delays] == [300, 600, 1200, 2400, 3600, 3600]
    assert "3 consecutive failures" in (after_failure(NOW, 3, None, SETTINGS).reason or "")


def test_retry_after_wins_when_longer_and_is_capped() -> None:
    assert after_failure(NOW, 1, "1800", SETTINGS).at == NOW + timedelta(seconds=1800)
    assert after_failure(NOW, 1, "10", SETTINGS).at == NOW + timedelta(seconds=300)
    assert after_failure(NOW, 1, "999999", SETTINGS).at == NOW + timedelta(seconds=7200)
    http_date = "Fri, 20 Nov 2026 13:00:00 GMT"
    assert after_failure(NOW, 1, http_date, SETTINGS).at == NOW + timedelta(hours=1)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Fri, 20 Nov 2026 11:00:00 GMT", NOW) == timedelta(0)
    assert parse_retry_after("tomorrow", NOW) is None
    assert parse_retry_after(None, NOW) is None


def test_cache_control_max_age() -> None:
    assert parse_max_age("public, max-age=600") == 600
    assert parse_max_age("s-maxage=60, max-age=30") == 30  # s-maxage is for shared caches
    assert parse_max_age("no-cache, max-age=600") is None
    assert parse_max_age(None) is None
    assert after_success(NOW, 900, "max-age=300", SETTINGS).at is None  # shorter than interval
    longer = after_success(NOW, 900, "max-age=3600", SETTINGS)
    assert longer.at == NOW + timedelta(hours=1) and "max-age" in (longer.reason or "")
    assert after_success(NOW, 900, "max-age=86400", SETTINGS).at == NOW + timedelta(hours=2)


def test_skip_reason_only_while_paused() -> None:
    assert skip_reason(None, None, NOW) is None
    assert skip_reason(NOW - timedelta(seconds=1), "x", NOW) is None
    reason = skip_reason(NOW + timedelta(minutes=5), "backing off", NOW)
    assert reason is not None and "backing off" in reason


def test_user_agent_names_newsmon_and_contact() -> None:
    agent = user_agent("https://ops.example/newsmon")
    assert agent.startswith("newsmon/") and "+https://ops.example/newsmon" in agent
