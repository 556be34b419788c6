"""The subscription store: standing queries, their channels, pausing, deleting, unsubscribing.

Slack and Discord URLs are sealed on the way in and opened on the way out with the
:class:`~pipeline.storage.sealing.TargetCipher` the store is given (see
:mod:`pipeline.storage.sealing`); records carry clear targets plus a form safe to show.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from pipeline.storage.models import ChannelRow, SubscriptionRow
from pipeline.storage.sealing import (
    SEALED_KINDS,
    SEALED_PREFIX,
    SecretKeyError,
    TargetCipher,
    is_sealed,
    missing_key_message,
    open_target,
    redact_url,
)
from pipeline.storage.upsert import insert_ignoring_conflicts

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource


@dataclass(frozen=True)
class ChannelRecord:
    """One destination of a subscription's alerts."""

    id: int
    kind: str
    target: str
    """The clear address or URL (empty when a sealed URL cannot be opened: see
    ``unreadable``). Never print it: use ``shown``."""
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    shown: str = ""
    """The target as people may see it (Slack and Discord URLs redacted)."""
    unreadable: str | None = None
    """Why a sealed target could not be opened (no key, another key), or ``None``."""
    unsubscribe_epoch: int = 0
    """Carried by unsubscribe links; using a link increments it (earlier links are void)."""

    def __post_init__(self) -> None:
        if not self.shown:
            shown = redact_url(self.target) if self.kind in SEALED_KINDS else self.target
            object.__setattr__(self, "shown", shown)


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

    def __init__(self, sessions: SessionSource, cipher: TargetCipher | None = None) -> None:
        self._sessions = sessions
        self._cipher = cipher

    @property
    def can_seal(self) -> bool:
        """Whether Slack and Discord channels can be stored (a secret key was given)."""
        return self._cipher is not None

    def add(self, new: NewSubscription, now: datetime) -> SubscriptionRecord | None:
        """Store a subscription with its channels; ``None`` if the name is taken. Raises
        :class:`SecretKeyError` for a Slack or Discord channel without a key."""
        if not self.can_seal and any(kind in SEALED_KINDS for kind, _ in new.channels):
            raise SecretKeyError(missing_key_message())
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
                session.add(self._channel_row(subscription_id, kind, target))
            session.flush()
            return self._record(session, session.get_one(SubscriptionRow, subscription_id))

    def _channel_row(self, subscription_id: int, kind: str, target: str) -> ChannelRow:
        if kind not in SEALED_KINDS or self._cipher is None:
            return ChannelRow(subscription_id=subscription_id, kind=kind, target=target)
        return ChannelRow(subscription_id=subscription_id, kind=kind,
                          target=self._cipher.seal(target), target_redacted=redact_url(target))

    def get(self, name: str) -> SubscriptionRecord | None:
        """The subscription called ``name``."""
        with self._sessions.read() as session:
            row = session.scalar(select(SubscriptionRow).where(SubscriptionRow.name == name))
            return self._record(session, row) if row else None

    def by_id(self, subscription_id: int) -> SubscriptionRecord | None:
        """The subscription with this id."""
        with self._sessions.read() as session:
            row = session.get(SubscriptionRow, subscription_id)
            return self._record(session, row) if row else None

    def all(self, *, active_only: bool = False) -> list[SubscriptionRecord]:
        """Every subscription by name (only unpaused ones with ``active_only``), with its
        channels: two queries however many there are (matching reads them every run)."""
        # plain rows, not ORM objects: a third of the time at 40,000 subscriptions
        query = select(*SubscriptionRow.__table__.columns).order_by(SubscriptionRow.name)
        channels = select(*ChannelRow.__table__.columns).order_by(ChannelRow.subscription_id,
                                                                  ChannelRow.id)
        if active_only:
            query = query.where(SubscriptionRow.paused.is_(False))
            channels = channels.join(SubscriptionRow).where(SubscriptionRow.paused.is_(False))
        with self._sessions.read() as session:
            rows = session.execute(query).all()
            by_subscription: dict[int, list[ChannelRecord]] = defaultdict(list)
            for channel in session.execute(channels):
                by_subscription[channel.subscription_id].append(
                    channel_record(channel, self._cipher))
            return [self._as_record(row, by_subscription.get(row.id, ())) for row in rows]

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

    def unsubscribe_channel(
        self, channel_id: int, epoch: int, reason: str, at: datetime
    ) -> bool:
        """Disable a channel through one of its unsubscribe links, if ``epoch`` is still its
        current one and it is active; the epoch moves on, voiding every link sent so far.
        ``False`` if another request used a link first (the check and the change are one
        statement, so two requests cannot both succeed)."""
        with self._sessions.write() as session:
            result = session.execute(
                update(ChannelRow)
                .where(ChannelRow.id == channel_id, ChannelRow.unsubscribe_epoch == epoch,
                       ChannelRow.disabled_at.is_(None))
                .values(unsubscribe_epoch=epoch + 1, disabled_at=at, disabled_reason=reason)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def seal_clear_targets(self) -> SealingOutcome:
        """Seal Slack and Discord URLs stored in clear (by a version before sealing, or by hand)
        and re-seal those sealed with a key being rotated out (``NEWSMON_OLD_SECRET_KEYS``), in
        one transaction. Raises :class:`SecretKeyError` without a key."""
        cipher = self._cipher
        if cipher is None:
            raise SecretKeyError(missing_key_message())
        sealed = resealed = unreadable = 0
        with self._sessions.write() as session:
            rows = session.scalars(select(ChannelRow).where(ChannelRow.kind.in_(SEALED_KINDS)))
            for row in rows:
                if not is_sealed(row.target):
                    row.target_redacted = redact_url(row.target)
                    row.target = cipher.seal(row.target)
                    sealed += 1
                elif not cipher.sealed_with_current_key(row.target):
                    clear = cipher.open(row.target)
                    if clear is None:
                        unreadable += 1
                        continue
                    row.target = cipher.seal(clear)
                    resealed += 1
        return SealingOutcome(sealed, resealed, unreadable)

    def count_clear_targets(self) -> int:
        """How many Slack and Discord URLs are stored in clear (to warn about)."""
        with self._sessions.read() as session:
            return len(session.scalars(select(ChannelRow.id).where(
                ChannelRow.kind.in_(SEALED_KINDS),
                ~ChannelRow.target.startswith(SEALED_PREFIX))).all())

    def disable_channel(self, channel_id: int, reason: str, at: datetime) -> None:
        """Stop using a channel (e.g. its webhook answered 410 Gone)."""
        with self._sessions.write() as session:
            session.execute(
                update(ChannelRow).where(ChannelRow.id == channel_id)
                .values(disabled_at=at, disabled_reason=reason)
            )


    def _record(self, session: Session, row: SubscriptionRow) -> SubscriptionRecord:
        channels = session.scalars(
            select(ChannelRow).where(ChannelRow.subscription_id == row.id).order_by(ChannelRow.id)
        )
        return self._as_record(row, [channel_record(c, self._cipher) for c in channels])

    @staticmethod
    def _as_record(row: SubscriptionRow | Row[Any],
                   channels: Iterable[ChannelRecord]) -> SubscriptionRecord:
        return SubscriptionRecord(
            id=row.id, name=row.name, query=row.query, frequency=row.frequency,
            digest_time=row.digest_time, timezone=row.timezone, paused=row.paused,
            token_secret=row.token_secret, created_at=row.created_at, channels=tuple(channels),
        )


@dataclass(frozen=True)
class SealingOutcome:
    """What :meth:`SubscriptionStore.seal_clear_targets` did."""

    sealed: int
    """Slack/Discord URLs that were stored in clear, now sealed."""
    resealed: int
    """Targets sealed with an earlier key, now sealed with the current one."""
    unreadable: int
    """Targets no given key opens (sealed with a key that is not in the environment)."""


def channel_record(row: ChannelRow | Row[Any], cipher: TargetCipher | None) -> ChannelRecord:
    """A channel row (ORM object or plain row of its columns) as a record, its target
    opened."""
    opened = open_target(row.kind, row.target, row.target_redacted, cipher)
    return ChannelRecord(
        row.id, row.kind, opened.target, row.disabled_at, row.disabled_reason,
        shown=opened.shown, unreadable=opened.unreadable,
        unsubscribe_epoch=row.unsubscribe_epoch,
    )
