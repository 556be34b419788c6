"""Digests from storage: a subscription's alerts of a local day -> DigestInput -> rendered, kept.

``newsmon digest`` (and, later, the daemon's digest job) call :func:`digest_of_day`. A day is
the subscription's local calendar day (its time zone, DST included); a digest already stored for
that day is returned as it was, so a past day's digest is shown as it was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.digest import (
    DigestInput,
    DigestOutlet,
    DigestStory,
    build_digest,
    entities_from_refs,
    reaction_from_ref,
    render_html,
    render_json,
    render_markdown,
    render_text,
)
from alerts.digest.build import counts_of
from alerts.views import article_view
from pipeline.storage import Storage
from pipeline.storage.alerts import AlertRecord
from pipeline.storage.digests import StoredDigest
from pipeline.storage.subscriptions import SubscriptionRecord

MAX_ALERTS = 10_000


def local_day_period(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC start and end of a local calendar day (23 or 25 hours long on DST days)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def digest_of_day(
    storage: Storage, subscription: SubscriptionRecord, day: date,
    *, clock: Callable[[], datetime], keep: bool = True,
) -> StoredDigest:
    """The subscription's digest of ``day``: the stored one, else built now (and kept)."""
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
    first = article_view(storage, alert.article_id)
    if first is None:
        return None
    outlets = []
    for article_id in storage.alerts.story_articles(alert.id):
        article = storage.articles.get(article_id)
        if article is not None:
            source = storage.sources.get(article.source_name)
            outlets.append(DigestOutlet(article.source_name, source.weight if source else 1.0,
                                        article.canonical_url))
    return DigestStory(
        story_id=alert.story_id, headline=first.title, url=first.url, text=first.text,
        outlets=tuple(outlets), published=first.published,
        entities=entities_from_refs(first.entities),
        reactions=tuple(reaction_from_ref(r) for r in first.reactions),
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


def digests_due(
    storage: Storage, now: datetime
) -> list[tuple[SubscriptionRecord, date]]:
    """Daily subscriptions whose due day's digest has not been sent yet."""
    due = []
    for subscription in storage.subscriptions.all(active_only=True):
        if subscription.frequency != "daily":
            continue
        day = due_digest_day(now, subscription.timezone, subscription.digest_time)
        stored = storage.digests.get(subscription.id, day.isoformat())
        if stored is None or stored.sent_at is None:
            due.append((subscription, day))
    return due
