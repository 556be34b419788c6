"""The alert store: alerts (one per subscription and story), the stories they fold in, and the
outbox of deliveries with its retry state.

A match is recorded in one transaction: the alert (or, for a story already alerted, the folded
article), its deliveries, and the article's ``matched_at``. The unique key on (subscription,
story) makes a second alert for the same story impossible, whatever the timing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from pipeline.storage.chunks import where_in
from pipeline.storage.models import (
    AlertArticleRow,
    AlertRow,
    ArticleRow,
    Base,
    ChannelRow,
    DeliveryRow,
    SubscriptionRow,
)
from pipeline.storage.sealing import TargetCipher, open_target
from pipeline.storage.upsert import insert_ignoring_conflicts_statement

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource

PENDING, RETRYING, SENT, DEAD = "pending", "retrying", "sent", "dead"
SHARED_REASONS_GROUP = 20
"""Matches sharing their reasons (one query's subscribers) inserted by one ``INSERT ... SELECT``
when at least this many; fewer go row by row."""
CLAIM_LEASE = timedelta(minutes=5)
"""How long a claimed delivery is hidden from other senders while it is being sent."""


@dataclass(frozen=True)
class SubscriptionMatch:
    """One subscription that matched one article, and where to deliver if it is immediate."""

    subscription_id: int
    reasons: tuple[dict[str, Any], ...]
    channel_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class MatchRecord:
    """What recording an article's matches did."""

    new_alerts: int = 0
    folded: int = 0
    deliveries: int = 0


@dataclass(frozen=True)
class AlertRecord:
    """An alert as stored."""

    id: int
    subscription_id: int
    subscription: str
    story_id: int
    article_id: int
    title: str | None
    url: str
    reasons: tuple[dict[str, Any], ...]
    coverage: int
    created_at: datetime


@dataclass(frozen=True)
class DeliveryJob:
    """A delivery to attempt, with what is needed to build its message."""

    id: int
    key: str
    attempts: int
    status: str
    channel_id: int
    channel_kind: str
    target: str
    """The clear destination (never print it: ``target_shown``); empty when unreadable."""
    alert_id: int
    subscription_id: int
    article_id: int
    last_error: str | None = None
    created_at: datetime | None = None
    target_shown: str = ""
    """The destination as people may see it (Slack and Discord URLs redacted)."""
    target_unreadable: str | None = None
    """Why a sealed destination could not be opened (no or another NEWSMON_SECRET_KEY)."""
    unsubscribe_epoch: int = 0
    """The channel's current unsubscribe epoch, carried by the message's unsubscribe link."""


class AlertStore:
    """Alerts and the outbox."""

    def __init__(self, sessions: SessionSource, cipher: TargetCipher | None = None) -> None:
        self._sessions = sessions
        self._cipher = cipher

    def record_matches(
        self, article_id: int, story_id: int, matches: Sequence[SubscriptionMatch], at: datetime
    ) -> MatchRecord:
        """Record every subscription an article matched, and mark the article matched.

        In bulk, a few statements whatever the number of matches (``IN`` lists are cut to what
        the database takes: :mod:`pipeline.storage.chunks`): subscriptions deleted since the
        article was matched are left out; the alerts the story already has are looked up at
        once; new alerts are inserted together (the unique key still decides: one inserted
        meanwhile by another process counts as already there), the many subscribers of one
        query by ``INSERT ... SELECT`` with the reasons they share bound once; their first
        articles are listed by one ``INSERT ... SELECT`` and their deliveries inserted in one
        executemany; later coverage is folded in."""
        with self._sessions.write() as session:
            _lock_story(session, story_id)
            live = _still_subscribed(session, matches)
            existing = _alerts_of_story(session, story_id, [m.subscription_id for m in live])
            fresh = [m for m in live if m.subscription_id not in existing]
            created = _insert_alerts(session, article_id, story_id, fresh, at)
            existing |= _alerts_of_story(
                session, story_id, [m.subscription_id for m in fresh if
                                    m.subscription_id not in created])
            _list_on_alerts(session, article_id, list(created.values()), at)
            deliveries = _insert_rows(session, DeliveryRow, [
                _delivery_values(created[m.subscription_id], channel_id, at)
                for m in fresh if m.subscription_id in created for channel_id in m.channel_ids])
            folded = _fold_all(session, article_id, [
                existing[m.subscription_id] for m in live
                if m.subscription_id in existing and m.subscription_id not in created], at)
            _mark_matched(session, article_id, at)
        return MatchRecord(len(created), folded, deliveries)

    def pass_over(self, article_id: int, at: datetime) -> None:
        """Mark an article matched without alerting anyone: one the matching step could not
        match (it recorded why), so that it is not tried again run after run."""
        with self._sessions.write() as session:
            _mark_matched(session, article_id, at)

    def claim_due(self, now: datetime, limit: int = 100,
                  lease: timedelta = CLAIM_LEASE) -> list[DeliveryJob]:
        """Deliveries due now, hidden from other senders for ``lease`` while they are sent (a
        sender that dies holding them leaves them to be sent again once it has passed)."""
        query = (
            select(DeliveryRow, ChannelRow, AlertRow)
            .join(ChannelRow, ChannelRow.id == DeliveryRow.channel_id)
            .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
            .join(SubscriptionRow, SubscriptionRow.id == AlertRow.subscription_id)
            .where(DeliveryRow.status.in_((PENDING, RETRYING)),
                   DeliveryRow.next_attempt_at <= now, ChannelRow.disabled_at.is_(None),
                   SubscriptionRow.paused.is_(False))
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id).limit(limit)
        )
        with self._sessions.write() as session:
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(of=DeliveryRow, skip_locked=True)
            rows = session.execute(query).all()
            jobs = [_job(delivery, channel, alert, self._cipher)
                    for delivery, channel, alert in rows]
            for claimed in where_in(session, DeliveryRow.id, [j.id for j in jobs]):
                session.execute(update(DeliveryRow).where(claimed)
                                .values(next_attempt_at=now + lease))
            return jobs

    def mark_sent(self, delivery_id: int, at: datetime, status_code: int | None) -> None:
        """The delivery went out: never send it again."""
        self._set(delivery_id, status=SENT, sent_at=at, last_status_code=status_code,
                  attempts=DeliveryRow.attempts + 1)

    def mark_retry(self, delivery_id: int, next_attempt_at: datetime, error: str,
                   status_code: int | None) -> None:
        """A transient failure: try again at ``next_attempt_at``."""
        self._set(delivery_id, status=RETRYING, next_attempt_at=next_attempt_at,
                  last_error=error, last_status_code=status_code,
                  attempts=DeliveryRow.attempts + 1)

    def mark_dead(self, delivery_id: int, error: str, status_code: int | None) -> None:
        """A permanent failure, or too many transient ones: dead-lettered with the last error."""
        self._set(delivery_id, status=DEAD, last_error=error, last_status_code=status_code,
                  attempts=DeliveryRow.attempts + 1)

    def replay(self, delivery_id: int, now: datetime) -> bool:
        """Queue a dead (or sent) delivery again, with the same delivery id."""
        with self._sessions.write() as session:
            result = session.execute(
                update(DeliveryRow).where(DeliveryRow.id == delivery_id)
                .values(status=PENDING, attempts=0, next_attempt_at=now)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def deliveries(self, *, status: str | None = None, limit: int = 100) -> list[DeliveryJob]:
        """Deliveries newest first, optionally with one status (``dead`` for the dead letters)."""
        query = (
            select(DeliveryRow, ChannelRow, AlertRow)
            .join(ChannelRow, ChannelRow.id == DeliveryRow.channel_id)
            .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
            .order_by(DeliveryRow.id.desc()).limit(limit)
        )
        if status is not None:
            query = query.where(DeliveryRow.status == status)
        with self._sessions.read() as session:
            return [_job(d, c, a, self._cipher) for d, c, a in session.execute(query).all()]

    def outbox_counts(self) -> dict[str, int]:
        """How many deliveries are in each state."""
        query = select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status)
        with self._sessions.read() as session:
            return {status: count for status, count in session.execute(query)}

    def alerts(self, *, subscription_id: int | None = None, limit: int = 50,
               alert_id: int | None = None, created_from: datetime | None = None,
               created_before: datetime | None = None) -> list[AlertRecord]:
        """Alerts newest first (one subscription's, the one with ``alert_id``, or those created
        in ``[created_from, created_before)``)."""
        query = (
            select(AlertRow, SubscriptionRow.name, ArticleRow.title, ArticleRow.canonical_url)
            .join(SubscriptionRow, SubscriptionRow.id == AlertRow.subscription_id)
            .join(ArticleRow, ArticleRow.id == AlertRow.article_id)
            .order_by(AlertRow.id.desc()).limit(limit)
        )
        if subscription_id is not None:
            query = query.where(AlertRow.subscription_id == subscription_id)
        if alert_id is not None:
            query = query.where(AlertRow.id == alert_id)
        if created_from is not None:
            query = query.where(AlertRow.created_at >= created_from)
        if created_before is not None:
            query = query.where(AlertRow.created_at < created_before)
        with self._sessions.read() as session:
            return [
                AlertRecord(a.id, a.subscription_id, name, a.story_id, a.article_id, title, url,
                            tuple(a.reasons), a.coverage, a.created_at)
                for a, name, title, url in session.execute(query)
            ]

    def get(self, alert_id: int) -> AlertRecord | None:
        """One alert by id."""
        found = self.alerts(alert_id=alert_id, limit=1)
        return found[0] if found else None

    def story_articles(self, alert_id: int) -> list[int]:
        """The articles folded into an alert, first one first."""
        query = (select(AlertArticleRow.article_id).where(AlertArticleRow.alert_id == alert_id)
                 .order_by(AlertArticleRow.matched_at, AlertArticleRow.article_id))
        with self._sessions.read() as session:
            return list(session.scalars(query))

    def _set(self, delivery_id: int, **values: Any) -> None:
        with self._sessions.write() as session:
            statement = update(DeliveryRow).where(DeliveryRow.id == delivery_id)
            session.execute(statement.values(**values))


def _still_subscribed(session: Session,
                      matches: Sequence[SubscriptionMatch]) -> list[SubscriptionMatch]:
    """The matches whose subscription still exists (one deleted after the article was matched
    takes its channels with it: neither can be referred to any more)."""
    found: set[int] = set()
    for condition in where_in(session, SubscriptionRow.id, [m.subscription_id for m in matches]):
        found.update(session.scalars(select(SubscriptionRow.id).where(condition)))
    return [m for m in matches if m.subscription_id in found]


def _alerts_of_story(session: Session, story_id: int,
                     subscription_ids: Sequence[int]) -> dict[int, int]:
    """Subscription id -> alert id, for the given subscriptions' alerts of the story."""
    found: dict[int, int] = {}
    for condition in where_in(session, AlertRow.subscription_id, subscription_ids):
        query = select(AlertRow.subscription_id, AlertRow.id).where(
            AlertRow.story_id == story_id, condition)
        found.update({subscription_id: alert_id
                      for subscription_id, alert_id in session.execute(query)})
    return found


def _insert_alerts(session: Session, article_id: int, story_id: int,
                   matches: Sequence[SubscriptionMatch], at: datetime) -> dict[int, int]:
    """Insert the alerts; subscription id -> id of each alert inserted (the unique key refuses
    one another process inserted meanwhile). Subscribers of one query share its reasons: a
    group of at least :data:`SHARED_REASONS_GROUP` is inserted from the subscriptions table
    with the reasons and times bound once, the rest row by row in one (paged) executemany."""
    by_reasons: dict[str, list[SubscriptionMatch]] = {}
    for match in matches:
        by_reasons.setdefault(json.dumps(match.reasons), []).append(match)
    created: dict[int, int] = {}
    one_by_one: list[SubscriptionMatch] = []
    for group in by_reasons.values():
        if len(group) >= SHARED_REASONS_GROUP:
            created.update(_insert_alerts_sharing_reasons(session, article_id, story_id, group,
                                                          at))
        else:
            one_by_one.extend(group)
    created.update(_insert_alert_rows(session, article_id, story_id, one_by_one, at))
    return created


def _insert_alerts_sharing_reasons(session: Session, article_id: int, story_id: int,
                                   group: Sequence[SubscriptionMatch],
                                   at: datetime) -> dict[int, int]:
    """``INSERT INTO alerts ... SELECT`` the group's subscriptions, all with its first match's
    reasons (the same in every match of the group)."""
    values = (literal(story_id, AlertRow.story_id.type),
              literal(article_id, AlertRow.article_id.type),
              literal(list(group[0].reasons), AlertRow.reasons.type),
              literal(1, AlertRow.coverage.type), literal(at, AlertRow.created_at.type),
              literal(at, AlertRow.updated_at.type))
    columns = ("subscription_id", "story_id", "article_id", "reasons", "coverage", "created_at",
               "updated_at")
    created: dict[int, int] = {}
    for condition in where_in(session, SubscriptionRow.id, [m.subscription_id for m in group]):
        chosen = select(SubscriptionRow.id, *values).where(condition)
        statement = insert_ignoring_conflicts_statement(session, AlertRow).from_select(
            columns, chosen).returning(AlertRow.subscription_id, AlertRow.id)
        created.update({subscription_id: alert_id
                        for subscription_id, alert_id in session.execute(statement)})
    return created


def _insert_alert_rows(session: Session, article_id: int, story_id: int,
                       matches: Sequence[SubscriptionMatch], at: datetime) -> dict[int, int]:
    """Insert alerts row by row in one executemany (paged by SQLAlchemy)."""
    if not matches:
        return {}
    rows = [{"subscription_id": m.subscription_id, "story_id": story_id,
             "article_id": article_id, "reasons": list(m.reasons), "coverage": 1,
             "created_at": at, "updated_at": at} for m in matches]
    statement = insert_ignoring_conflicts_statement(session, AlertRow).returning(
        AlertRow.subscription_id, AlertRow.id)
    return {subscription_id: alert_id
            for subscription_id, alert_id in session.execute(statement, rows)}


def _insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> int:
    """Insert plain rows in one executemany (Core, not the ORM's per-row bookkeeping); how
    many."""
    if rows:
        table: Any = model.__table__
        session.execute(insert(table), rows)
    return len(rows)


def _delivery_values(alert_id: int, channel_id: int, at: datetime) -> dict[str, Any]:
    return {"key": uuid.uuid4().hex, "alert_id": alert_id, "channel_id": channel_id,
            "status": PENDING, "attempts": 0, "next_attempt_at": at, "created_at": at}


def _list_on_alerts(session: Session, article_id: int, alert_ids: Sequence[int],
                    at: datetime) -> list[int]:
    """List the article on each alert, by ``INSERT ... SELECT`` from the alerts; the alerts it
    was not already listed on."""
    columns = ("alert_id", "article_id", "matched_at")
    listed: list[int] = []
    for condition in where_in(session, AlertRow.id, alert_ids):
        chosen = select(AlertRow.id, literal(article_id, AlertArticleRow.article_id.type),
                        literal(at, AlertArticleRow.matched_at.type)).where(condition)
        statement = insert_ignoring_conflicts_statement(session, AlertArticleRow).from_select(
            columns, chosen).returning(AlertArticleRow.alert_id)
        listed.extend(session.scalars(statement))
    return listed


def _fold_all(session: Session, article_id: int, alert_ids: Sequence[int],
              at: datetime) -> int:
    """Later coverage of alerted stories: listed and counted on each alert, nothing sent (an
    article already listed on an alert is not counted twice)."""
    listed = _list_on_alerts(session, article_id, alert_ids, at)
    for condition in where_in(session, AlertRow.id, listed):
        session.execute(update(AlertRow).where(condition)
                        .values(coverage=AlertRow.coverage + 1, updated_at=at))
    return len(listed)


_STORY_LOCK = text("SELECT pg_advisory_xact_lock("
                   "hashtext('newsmon.story:' || current_schema()), :story)")


def _lock_story(session: Session, story_id: int) -> None:
    """On PostgreSQL, take the story's transaction lock: two processes recording coverage of
    one story at once (the daemon and ``newsmon process``) would otherwise insert and fold the
    same alerts in different orders and deadlock. SQLite runs one writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_STORY_LOCK, {"story": story_id})


def _mark_matched(session: Session, article_id: int, at: datetime) -> None:
    session.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(matched_at=at))


def _job(delivery: DeliveryRow, channel: ChannelRow, alert: AlertRow,
         cipher: TargetCipher | None) -> DeliveryJob:
    opened = open_target(channel.kind, channel.target, channel.target_redacted, cipher)
    return DeliveryJob(
        id=delivery.id, key=delivery.key, attempts=delivery.attempts, status=delivery.status,
        channel_id=channel.id, channel_kind=channel.kind, target=opened.target,
        alert_id=alert.id, subscription_id=alert.subscription_id, article_id=alert.article_id,
        last_error=delivery.last_error, created_at=delivery.created_at,
        target_shown=opened.shown, target_unreadable=opened.unreadable,
        unsubscribe_epoch=channel.unsubscribe_epoch,
    )
