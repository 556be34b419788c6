"""A digest day is the subscription's local calendar day, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from alerts.digest_job import (
    digest_of_day,
    digests_due,
    due_digest_day,
    local_day_period,
    prepare_due_digest,
)
from pipeline.storage import Storage
from pipeline.storage.subscriptions import NewSubscription

START = datetime(2026, 11, 1, tzinfo=UTC)


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


@pytest.mark.parametrize(("zone", "now", "digest_time", "due"), [
    ("Europe/Paris", "2026-10-25T07:30:00+00:00", "08:00", date(2026, 10, 24)),  # 08:30 CET
    ("Europe/Paris", "2026-10-25T06:30:00+00:00", "08:00", date(2026, 10, 23)),  # 07:30 CET
    ("Europe/Paris", "2026-03-29T06:30:00+00:00", "08:00", date(2026, 3, 28)),   # 08:30 CEST
    ("America/New_York", "2026-03-08T07:30:00+00:00", "02:30", date(2026, 3, 7)),  # no 02:30
    ("America/New_York", "2026-11-01T06:30:00+00:00", "01:30", date(2026, 10, 31)),  # 01:30 twice
])
def test_the_due_digest_day_follows_local_time(zone: str, now: str, digest_time: str,
                                               due: date) -> None:
    assert due_digest_day(datetime.fromisoformat(now), zone, digest_time) == due


def test_a_days_digest_is_due_once_even_after_downtime(storage: Storage) -> None:
    subscription = storage.subscriptions.add(
        NewSubscription(name="daily", query="x", frequency="daily", digest_time="08:00",
                        timezone="Europe/Paris"), START)
    assert subscription is not None
    late = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # three hours after 08:00 local
    [due] = digests_due(storage, late)
    assert due.subscription.name == "daily" and due.period.key == "2026-11-20"
    assert due.start == START  # nothing sent yet: from the subscription's creation
    stored = prepare_due_digest(storage, due, clock=lambda: late)
    assert stored is not None
    storage.digests.mark_sent(stored.id, late)
    assert digests_due(storage, late + timedelta(hours=5)) == []
    assert digest_of_day(storage, subscription, date(2026, 11, 20),
                         clock=lambda: late).sent_at == late
    [following] = digests_due(storage, late + timedelta(days=1))
    assert following.period.key == "2026-11-21"
    assert following.start == stored.period_end  # where the last sent digest ended


def test_no_digest_is_due_for_a_period_that_ended_before_the_subscription(
    storage: Storage,
) -> None:
    created = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 10:00 in Paris, after 08:00
    storage.subscriptions.add(NewSubscription(name="new", query="x", frequency="daily",
                                              digest_time="08:00", timezone="Europe/Paris"),
                              created)
    assert digests_due(storage, created + timedelta(minutes=5)) == []  # not for the 19th
    [due] = digests_due(storage, created + timedelta(days=1))
    assert due.period.key == "2026-11-20"
    assert due.start == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)  # from local midnight
