"""A digest day is the subscription's local calendar day, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from alerts.digest import StoryReport, lead_report
from alerts.digest_job import (
    NotSubscribedYetError,
    digest_input,
    digest_of_day,
    digests_due,
    due_digest_day,
    local_day_period,
    prepare_due_digest,
)
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.subscriptions import NewSubscription
from pipeline.types import ArticleOrigin, ExtractedArticle

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


def _stored_article(storage: Storage, source: str, title: str, published: datetime,
                    site_name: str | None = None) -> int:
    text = f"{title}. " + " ".join(f"word{n}" for n in range(40)) + "."
    outcome = storage.articles.store(source, ExtractedArticle(
        url=f"https://{source}.example/{published:%H%M}", title=title, text=text,
        published=published, site_name=site_name), origin=ArticleOrigin.PAGE,
        fetched_at=published)
    assert outcome.article_id is not None
    return outcome.article_id


def test_a_story_is_headed_by_its_earliest_report_not_the_article_that_matched(
    storage: Storage,
) -> None:
    created = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    subscription = storage.subscriptions.add(
        NewSubscription(name="daily", query="company:Meta", frequency="daily"), created)
    assert subscription is not None
    launch = _stored_article(storage, "wire", "Meta unveils Muse Spark",
                             datetime(2026, 11, 26, 17, 33, tzinfo=UTC))
    analysis = _stored_article(storage, "signal", "With Muse Spark, Meta walks away",
                               datetime(2026, 11, 26, 17, 45, tzinfo=UTC))
    match = SubscriptionMatch(subscription.id, ({"kind": "term", "label": "meta"},), ())
    at = datetime(2026, 11, 26, 19, 55, tzinfo=UTC)
    storage.alerts.record_matches(analysis, launch, [match], at)  # the analysis matched first
    storage.alerts.record_matches(launch, launch, [match], at)
    start, end = local_day_period(date(2026, 11, 26), "UTC")
    [story] = digest_input(storage, subscription, start, end).stories
    assert story.headline == "Meta unveils Muse Spark"
    assert story.url == "https://wire.example/1733"
    assert story.text.startswith("Meta unveils Muse Spark.")
    assert story.published == datetime(2026, 11, 26, 17, 33, tzinfo=UTC)
    assert {outlet.source for outlet in story.outlets} == {"wire", "signal"}


def test_a_storys_outlets_carry_the_publication_names_their_pages_give(storage: Storage) -> None:
    """The digest listed "circuit-wire, northgate-signal" (newsmon's source names) where the
    articles name their publications "Circuit Wire" and "Northgate Signal"."""
    created = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    subscription = storage.subscriptions.add(
        NewSubscription(name="daily", query="company:Meta", frequency="daily"), created)
    assert subscription is not None
    launch = _stored_article(storage, "circuit-wire", "Meta unveils Muse Spark",
                             datetime(2026, 11, 26, 17, 33, tzinfo=UTC), "Circuit Wire")
    other = _stored_article(storage, "lab-notes", "Muse Spark, read closely",
                            datetime(2026, 11, 26, 18, 0, tzinfo=UTC))
    match = SubscriptionMatch(subscription.id, ({"kind": "term", "label": "meta"},), ())
    at = datetime(2026, 11, 26, 19, 55, tzinfo=UTC)
    storage.alerts.record_matches(launch, launch, [match], at)
    storage.alerts.record_matches(other, launch, [match], at)
    start, end = local_day_period(date(2026, 11, 26), "UTC")
    [story] = digest_input(storage, subscription, start, end).stories
    assert sorted(outlet.shown for outlet in story.outlets) == ["Circuit Wire", "lab-notes"]


def test_the_lead_report_is_the_earliest_then_the_heaviest_source_and_has_a_title() -> None:
    noon = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    early = StoryReport(3, "Early", "u3", "t", noon - timedelta(hours=1), weight=0.5)
    heavy = StoryReport(2, "Heavy", "u2", "t", noon, weight=2.0)
    light = StoryReport(1, "Light", "u1", "t", noon, weight=1.0)
    untitled = StoryReport(4, " ", "u4", "t", noon - timedelta(hours=5))
    undated = StoryReport(5, "Undated", "u5", "t", None, fetched_at=noon - timedelta(hours=2))
    assert lead_report([light, heavy, early, untitled]) == early
    assert lead_report([light, heavy]) == heavy
    assert lead_report([light, heavy, early, undated]) == undated  # stored before the others
    assert lead_report([]) is None


def test_no_digest_is_built_or_kept_for_a_day_before_the_subscription(storage: Storage) -> None:
    created = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    subscription = storage.subscriptions.add(
        NewSubscription(name="new", query="x", frequency="daily", timezone="Europe/Paris"),
        created)
    assert subscription is not None
    with pytest.raises(NotSubscribedYetError, match=r"did not exist yet on 2026-11-19 "
                                                    r"\(created 2026-11-20 10:00 CET\)"):
        digest_of_day(storage, subscription, date(2026, 11, 19), clock=lambda: created)
    assert storage.digests.get(subscription.id, "2026-11-19") is None
    kept = digest_of_day(storage, subscription, date(2026, 11, 20), clock=lambda: created)
    assert kept.local_date == "2026-11-20"  # the day it was created on has its digest
