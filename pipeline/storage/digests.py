"""The digest store: each subscription's digest of a local day (or hour), rendered and kept.

Storing is insert-or-keep (a unique key on subscription and period key), so a period's digest is
sent once, and a past period's digest is shown exactly as it was sent; only a digest never sent
may be rebuilt (:meth:`DigestStore.replace_unsent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select, update

from pipeline.storage.models import DigestRow
from pipeline.storage.upsert import insert_unless_present

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource


@dataclass(frozen=True)
class StoredDigest:
    """A rendered digest as stored."""

    id: int
    subscription_id: int
    local_date: str
    period_start: datetime
    period_end: datetime
    created_at: datetime
    sent_at: datetime | None
    html: str
    text: str
    markdown: str
    json: str


class DigestStore:
    """Rendered digests by subscription and local date."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    def keep(self, digest: StoredDigest) -> StoredDigest:
        """Store ``digest`` unless that subscription's digest of that day exists; return the
        stored one either way (``id`` of the argument is ignored)."""
        values = {
            "subscription_id": digest.subscription_id, "local_date": digest.local_date,
            "period_start": digest.period_start, "period_end": digest.period_end,
            "created_at": digest.created_at, "sent_at": digest.sent_at, "html": digest.html,
            "text": digest.text, "markdown": digest.markdown, "json": digest.json,
        }
        with self._sessions.write() as session:
            insert_unless_present(session, DigestRow, values)
        stored = self.get(digest.subscription_id, digest.local_date)
        assert stored is not None  # inserted now or earlier; digests are never deleted alone
        return stored

    def get(self, subscription_id: int, local_date: str) -> StoredDigest | None:
        """The stored digest of one subscription and local date."""
        query = select(DigestRow).where(and_(DigestRow.subscription_id == subscription_id,
                                             DigestRow.local_date == local_date))
        with self._sessions.read() as session:
            row = session.scalar(query)
            return _record(row) if row else None

    def replace_unsent(self, digest: StoredDigest) -> StoredDigest:
        """Store ``digest`` over its period's digest if that one was never sent (rebuilt at
        send time, so it covers everything up to then); a sent digest is never changed."""
        values = {
            "period_start": digest.period_start, "period_end": digest.period_end,
            "created_at": digest.created_at, "html": digest.html, "text": digest.text,
            "markdown": digest.markdown, "json": digest.json,
        }
        with self._sessions.write() as session:
            session.execute(update(DigestRow).where(and_(
                DigestRow.subscription_id == digest.subscription_id,
                DigestRow.local_date == digest.local_date, DigestRow.sent_at.is_(None),
            )).values(values))
        return self.keep(digest)

    def last_sent_end(self, subscription_id: int) -> datetime | None:
        """Where the subscription's last sent digest ended (the next one starts there)."""
        query = select(func.max(DigestRow.period_end)).where(and_(
            DigestRow.subscription_id == subscription_id, DigestRow.sent_at.is_not(None)))
        with self._sessions.read() as session:
            return session.scalar(query)

    def mark_sent(self, digest_id: int, at: datetime) -> None:
        """Record that a digest went out."""
        with self._sessions.write() as session:
            session.execute(update(DigestRow).where(DigestRow.id == digest_id).values(sent_at=at))


def _record(row: DigestRow) -> StoredDigest:
    return StoredDigest(row.id, row.subscription_id, row.local_date, row.period_start,
                        row.period_end, row.created_at, row.sent_at, row.html, row.text,
                        row.markdown, row.json)
