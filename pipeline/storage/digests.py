"""The digest store: each subscription's digest of a local day, rendered once and kept.

Storing is insert-or-keep (a unique key on subscription and local date), so a day's digest is
built and sent once, and a past day's digest is shown exactly as it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, select, update

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

    def mark_sent(self, digest_id: int, at: datetime) -> None:
        """Record that a digest went out."""
        with self._sessions.write() as session:
            session.execute(update(DigestRow).where(DigestRow.id == digest_id).values(sent_at=at))


def _record(row: DigestRow) -> StoredDigest:
    return StoredDigest(row.id, row.subscription_id, row.local_date, row.period_start,
                        row.period_end, row.created_at, row.sent_at, row.html, row.text,
                        row.markdown, row.json)
