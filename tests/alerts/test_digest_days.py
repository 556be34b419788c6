"""A digest day is the subscription's local calendar day, DST included."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from alerts.digest_job import local_day_period


@pytest.mark.parametrize(("zone", "day", "hours"), [
    ("Europe/Paris", date(2026, 3, 29), 23),       # spring forward
    ("Europe/Paris", date(2026, 10, 25), 25),      # fall back
    ("America/New_York", date(2026, 3, 8), 23),
    ("America/New_York", date(2026, 11, 1), 25),
    ("Asia/Tokyo", date(2026, 11, 20), 24),
])
def test_local_days_are_23_24_or_25_hours(zone: str, day: date, hours: int) -> None:
    start, end = local_day_period(day, zone)
    assert end - start == timedelta(hours=hours)
    next_start, _ = local_day_period(day + timedelta(days=1), zone)
    assert next_start == end  # consecutive days tile time: one digest per day, never a gap


def test_a_day_starts_at_local_midnight() -> None:
    start, _ = local_day_period(date(2026, 11, 20), "Europe/Paris")
    assert start.isoformat() == "2026-11-19T23:00:00+00:00"
