"""The subscription store: standing queries, their channels, pausing and deleting."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pipeline.storage.models import ChannelRow, SubscriptionRow
from pipeline.storage.upsert import insert_ignoring_conflicts

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource


@dataclass(frozen=True)
class ChannelRecord:
    """One destination of a subscription's alerts."""

    id: int
    kind: str
    target: str
    disabled_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True)
class SubscriptionRecord:
    """A subscription as stored, with its channels."""

    id: int
    name: str
    query: str
    frequency: str
    digest_time: str
    timezone: str
    paused: bool
    token_secret: str
    created_at: datetime
    channels: tuple[ChannelRecord, ...] = ()


@dataclass(frozen=True)
class NewSubscription:
    """What ``newsmon subscribe`` asks to store (already validated)."""

    name: str
    query: str
    frequency: str = "immediate"
    digest_time: str = "08:00"
    timezone: str = "UTC"
    channels: tuple[tuple[str, str], ...] = ()


class SubscriptionStore:
    """Subscriptions and their channels."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    def add(self, new: NewSubscription, now: datetime) -> SubscriptionRecord | None:
        """Store a subscription with its channels; ``None`` if the name is taken."""
        values = {
            "name": new.name, "query": new.query, "frequency": new.frequency,
            "digest_time": new.digest_time, "timezone": new.timezone, "paused": False,
            "token_secret": secrets.token_hex(32), "created_at": now,
        }
        with self._sessions.write() as session:
            subscription_id = insert_ignoring_conflicts(session, SubscriptionRow, values)
            if subscription_id is None:
                return None
            for kind, target in dict.fromkeys(new.channels):
                session.add(ChannelRow(subscription_id=subscription_id, kind=kind, target=target))
            session.flush()
            return _record(session, session.get_one(SubscriptionRow, subscription_id))

    def get(self, name: str) -> SubscriptionRecord | None:
        """The subscription called ``name``."""
        with self._sessions.read() as session:
            row = session.scalar(select(SubscriptionRow).where(SubscriptionRow.name == name))
            return _record(session, row) if row else None

    def by_id(self, subscription_id: int) -> SubscriptionRecord | None:
        """The subscription with this id."""
        with self._sessions.read() as session:
            row = session.get(SubscriptionRow, subscription_id)
            return _record(session, row) if row else None

    def all(self, *, active_only: bool = False) -> list[SubscriptionRecord]:
        """Every subscription by name (only unpaused ones with ``active_only``)."""
        query = select(SubscriptionRow).order_by(SubscriptionRow.name)
        if active_only:
            query = query.where(SubscriptionRow.paused.is_(False))
        with self._sessions.read() as session:
            return [_record(session, row) for row in session.scalars(query)]

    def set_paused(self, name: str, paused: bool) -> bool:
        """Pause or resume; ``False`` if there is no such subscription."""
        with self._sessions.write() as session:
            result = session.execute(
                update(SubscriptionRow).where(SubscriptionRow.name == name).values(paused=paused)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete(self, name: str) -> bool:
        """Delete a subscription with its channels, alerts and pending deliveries."""
        with self._sessions.write() as session:
            result = session.execute(delete(SubscriptionRow).where(SubscriptionRow.name == name))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def disable_channel(self, channel_id: int, reason: str, at: datetime) -> None:
        """Stop using a channel (e.g. its webhook answered 410 Gone)."""
        with self._sessions.write() as session:
            session.execute(
                update(ChannelRow).where(ChannelRow.id == channel_id)
                .values(disabled_at=at, disabled_reason=reason)
            )


def _record(session: Session, row: SubscriptionRow) -> SubscriptionRecord:
    channels = session.scalars(
        select(ChannelRow).where(ChannelRow.subscription_id == row.id).order_by(ChannelRow.id)
    )
    return SubscriptionRecord(
        id=row.id, name=row.name, query=row.query, frequency=row.frequency,
        digest_time=row.digest_time, timezone=row.timezone, paused=row.paused,
        token_secret=row.token_secret, created_at=row.created_at,
        channels=tuple(
            ChannelRecord(c.id, c.kind, c.target, c.disabled_at, c.disabled_reason)
            for c in channels
        ),
    )
