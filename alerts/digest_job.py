"""Digests from storage: a subscription's alerts of a period -> DigestInput -> rendered, kept.

``newsmon digest`` calls :func:`digest_of_day` to review a local day: the subscription's local
calendar day (its time zone, DST included); a digest already stored for that day is returned as
it was, so a past day's digest is shown as it was sent. A day that ended before the subscription
was created has no digest (:func:`existed_on`): none is built or stored for it. The daemon's
digest job calls :func:`digests_due` and :func:`prepare_due_digest`: hourly subscriptions get a
digest per local hour, daily ones per local day after their digest time; after downtime only the
latest due period is sent, and it starts where the last sent digest ended.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.digest import (
    DigestInput,
    DigestOutlet,
    DigestStory,
    StoryReport,
    build_digest,
    entities_from_refs,
    lead_report,
    reaction_from_ref,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from alerts.digest.build import counts_of, matched_entity_keys
from alerts.views import article_view, reason_from_json, view_of
from pipeline.storage import Storage
from pipeline.storage.alerts import AlertRecord
from pipeline.storage.digests import StoredDigest
from pipeline.storage.subscriptions import SubscriptionRecord

MAX_ALERTS = 10_000
HOURLY, DAILY = "hourly", "daily"


def local_day_period(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of a local calendar day (23 or 25 hours long on DST days)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


class NotSubscribedYetError(ValueError):
    """A digest was asked for a day that ended before the subscription was created."""


def existed_on(subscription: SubscriptionRecord, day: date) -> bool:
    """Whether the subscription existed during its local ``day`` (was created before it ended)."""
    _, end = local_day_period(day, subscription.timezone)
    return subscription.created_at < end


def digest_of_day(
    storage: Storage, subscription: SubscriptionRecord, day: date,
    *, clock: Callable[[], datetime], keep: bool = True,
) -> StoredDigest:
    """The subscription's digest of ``day``: the stored one, else built now (and kept).
    :class:`NotSubscribedYetError` for a day that ended before the subscription was created."""
    if not existed_on(subscription, day):
        created = subscription.created_at.astimezone(ZoneInfo(subscription.timezone))
        raise NotSubscribedYetError(f"{subscription.name} did not exist yet on {day.isoformat()} "
                                    f"(created {created:%Y-%m-%d %H:%M %Z})")
    stored = storage.digests.get(subscription.id, day.isoformat())
    if stored is not None:
        return stored
    start, end = local_day_period(day, subscription.timezone)
    digest = build_digest(digest_input(storage, subscription, start, end))
    rendered = StoredDigest(
        id=0, subscription_id=subscription.id, local_date=day.isoformat(), period_start=start,
        period_end=end, created_at=clock(), sent_at=None, html=render_html(digest),
        text=render_text(digest), markdown=render_markdown(digest), json=render_json(digest),
    )
    return storage.digests.keep(rendered) if keep else rendered


def digest_input(
    storage: Storage, subscription: SubscriptionRecord, start: datetime, end: datetime
) -> DigestInput:
    """The stories a subscription's alerts of ``[start, end)`` hold, with the previous period's
    mention counts for comparison."""
    def period(since: datetime, until: datetime) -> list[AlertRecord]:
        return storage.alerts.alerts(subscription_id=subscription.id, limit=MAX_ALERTS,
                                     created_from=since, created_before=until)

    stories = _stories(storage, period(start, end))
    previous = _stories(storage, period(start - (end - start), start))
    return DigestInput(
        subscription=subscription.name, query=subscription.query,
        timezone=subscription.timezone, period_start=start, period_end=end,
        stories=tuple(stories), previous_counts=counts_of(previous),
    )


def _stories(storage: Storage, alerts: list[AlertRecord]) -> list[DigestStory]:
    stories = []
    for alert in alerts:
        story = _story(storage, alert)
        if story is not None:
            stories.append(story)
    return stories


def _story(storage: Storage, alert: AlertRecord) -> DigestStory | None:
    """The story of ``alert``: shown by its lead article (:func:`lead_report`), ranked and
    sectioned by the mentions of the article that matched."""
    first = article_view(storage, alert.article_id)
    if first is None:
        return None
    outlets, reports = [], []
    reactions = list(first.reactions)
    for article_id in storage.alerts.story_articles(alert.id):
        article = storage.articles.get(article_id)
        if article is not None:
            source = storage.sources.get(article.source_name)
            weight = source.weight if source else 1.0
            outlets.append(DigestOutlet(article.source_name, weight, article.canonical_url,
                                        article.site_name or ""))
            reports.append(StoryReport(article.id, article.title or "", article.canonical_url,
                                       article.text, article.published_at, article.fetched_at,
                                       weight))
            if article_id != alert.article_id:  # what other outlets add: "rose 3.4%"
                reactions.extend(view_of(article, storage.tags.of(article_id)).reactions)
    lead = lead_report(reports) or StoryReport(first.article_id, first.title, first.url,
                                               first.text, first.published)
    reasons = [reason_from_json(reason) for reason in alert.reasons]
    return DigestStory(
        story_id=alert.story_id, headline=lead.title, url=lead.url, text=lead.text,
        outlets=tuple(outlets), published=lead.published,
        entities=entities_from_refs(first.entities),
        reactions=tuple(reaction_from_ref(r) for r in reactions),
        matched=matched_entity_keys(first.entities, reasons),
    )


def digest_summary(stored: StoredDigest) -> str:
    """One line about a stored digest, from its JSON."""
    document = json.loads(stored.json)
    count = len(document.get("stories", []))
    sent = f"sent {stored.sent_at:%Y-%m-%d %H:%M} UTC" if stored.sent_at else "not sent"
    return f"{stored.local_date}: {count} stories ({sent})"


def due_digest_day(now: datetime, timezone: str, digest_time: str) -> date:
    """The local day whose digest is due at ``now``: yesterday once today's digest time has
    passed, else the day before (so a digest is never sent for a day still running)."""
    local = now.astimezone(ZoneInfo(timezone))
    hour, minute = (int(part) for part in digest_time.split(":"))
    passed = (local.hour, local.minute) >= (hour, minute)
    return local.date() - timedelta(days=1 if passed else 2)


@dataclass(frozen=True)
class DigestPeriod:
    """A digest's period: its key (the local date of a daily digest, the local start of an
    hourly one's hour with its UTC offset) and its UTC bounds ``[start, end)``."""

    key: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class DueDigest:
    """A digest to send now: the subscription, the period it is keyed by, and where it starts
    (the end of the last digest sent, so nothing matched during downtime is left out)."""

    subscription: SubscriptionRecord
    period: DigestPeriod
    start: datetime


def day_period(day: date, timezone: str) -> DigestPeriod:
    """The period of a local calendar day."""
    start, end = local_day_period(day, timezone)
    return DigestPeriod(day.isoformat(), start, end)


def hour_before(now: datetime, timezone: str) -> DigestPeriod:
    """The last local hour that has ended at ``now``, keyed by its local start and offset
    (``2026-11-01T01:00-04:00`` and ``...-05:00`` are the two 01:00 hours of a fall-back night;
    a spring-forward night has no 02:00 hour)."""
    zone = ZoneInfo(timezone)
    hour_start = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    end = hour_start.astimezone(UTC)
    start = end - timedelta(hours=1)
    return DigestPeriod(start.astimezone(zone).isoformat(timespec="minutes"), start, end)


def due_period(subscription: SubscriptionRecord, now: datetime) -> DigestPeriod | None:
    """The latest period of a digest subscription that is due at ``now`` (``None`` for
    immediate subscriptions): the last full local hour, or the local day before its digest
    time."""
    if subscription.frequency == HOURLY:
        return hour_before(now, subscription.timezone)
    if subscription.frequency == DAILY:
        day = due_digest_day(now, subscription.timezone, subscription.digest_time)
        return day_period(day, subscription.timezone)
    return None


def digests_due(storage: Storage, now: datetime) -> list[DueDigest]:
    """Per active hourly or daily subscription, its latest due period if that digest has not
    been sent: one digest however long the daemon was down, starting where the last sent one
    ended (or, before any was sent, at the period's start or the subscription's creation,
    whichever is earlier)."""
    due = []
    for subscription in storage.subscriptions.all(active_only=True):
        period = due_period(subscription, now)
        if period is None or period.end <= subscription.created_at:
            continue  # immediate, or a period that ended before the subscription existed
        stored = storage.digests.get(subscription.id, period.key)
        if stored is not None and stored.sent_at is not None:
            continue
        last_end = storage.digests.last_sent_end(subscription.id)
        if last_end is not None and last_end >= period.end:
            continue  # already covered (e.g. the subscription went from hourly to daily)
        start = last_end if last_end is not None else min(period.start, subscription.created_at)
        due.append(DueDigest(subscription, period, start))
    return due


def prepare_due_digest(
    storage: Storage, due: DueDigest, *, clock: Callable[[], datetime]
) -> StoredDigest | None:
    """The digest to send for ``due``, built now over ``[due.start, period end)`` and kept
    (over an unsent earlier build of the same period). ``None`` for an hourly digest without
    stories: quiet hours are not sent, the next hour's digest covers them."""
    subscription, period = due.subscription, due.period
    digest = build_digest(digest_input(storage, subscription, due.start, period.end))
    if subscription.frequency == HOURLY and not digest.stories:
        return None
    rendered = StoredDigest(
        id=0, subscription_id=subscription.id, local_date=period.key, period_start=due.start,
        period_end=period.end, created_at=clock(), sent_at=None, html=render_html(digest),
        text=render_text(digest), markdown=render_markdown(digest), json=render_json(digest),
    )
    return storage.digests.replace_unsent(rendered)
