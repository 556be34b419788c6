"""Retention: deleting articles older than a cutoff, with every row that depends on them.

Where it sits: called by the daemon's maintenance job (``[daemon] retention``). Articles are
deleted in bounded batches, one transaction each, together with their mentions, stock
reactions, alert links, and the alerts (with their deliveries) they were the first article of.
An old article is kept while something still needs it:

- it has not been matched against the subscriptions yet;
- an alert it belongs to has a delivery still pending or retrying;
- an alert it belongs to waits for a digest: the alert of an hourly or daily subscription was
  created after the end of that subscription's last sent digest (or none was sent yet);
- it is the first article of an alert whose story is still active (the alert was updated after
  the cutoff), so a later article of that story cannot raise the alert again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CompoundSelect, Select, delete, func, or_, select, union
from sqlalchemy.orm import Session

from pipeline.storage.chunks import IN_CHUNK, chunked
from pipeline.storage.models import (
    AlertArticleRow,
    AlertRow,
    ArticleRow,
    DeliveryRow,
    DigestRow,
    MentionRow,
    StockReactionRow,
    SubscriptionRow,
)

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource

UNDELIVERED = ("pending", "retrying")
DIGEST_FREQUENCIES = ("hourly", "daily")


class RetentionStore:
    """Deletes old articles and their dependent rows, never what is still needed."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    def delete_older_than(self, cutoff: datetime, *, batch_size: int = 500) -> int:
        """Delete the articles fetched before ``cutoff`` that nothing needs any more, in
        batches of ``batch_size`` (one transaction each); how many were deleted."""
        deleted = 0
        while True:
            with self._sessions.write() as session:
                ids = list(session.scalars(deletable_articles(cutoff, batch_size)))
                if ids:
                    _delete_articles(session, ids)
            deleted += len(ids)
            if len(ids) < batch_size:
                return deleted

    def deletable(self, cutoff: datetime, limit: int = 1000) -> list[int]:
        """Ids of articles a retention run at ``cutoff`` would delete (for checks and tests)."""
        with self._sessions.read() as session:
            return list(session.scalars(deletable_articles(cutoff, limit)))


def deletable_articles(cutoff: datetime, limit: int) -> Select[int]:
    """The oldest ``limit`` articles fetched before ``cutoff`` that nothing protects."""
    return (
        select(ArticleRow.id)
        .where(ArticleRow.fetched_at < cutoff, ArticleRow.matched_at.is_not(None),
               ArticleRow.id.not_in(protected_articles(cutoff)))
        .order_by(ArticleRow.id).limit(limit)
    )


def protected_articles(cutoff: datetime) -> CompoundSelect[int]:
    """Articles an undelivered or not-yet-digested alert needs, and the first articles of
    alerts updated since ``cutoff``."""
    held = held_alerts()
    return union(
        select(AlertRow.article_id).where(or_(AlertRow.id.in_(held),
                                              AlertRow.updated_at >= cutoff)),
        select(AlertArticleRow.article_id).where(AlertArticleRow.alert_id.in_(held)),
    )


def held_alerts() -> CompoundSelect[int]:
    """Alerts with a delivery pending or retrying, and digest subscriptions' alerts created
    after their last sent digest's end (all of them before a first digest is sent)."""
    covered = (
        select(DigestRow.subscription_id, func.max(DigestRow.period_end).label("until"))
        .where(DigestRow.sent_at.is_not(None)).group_by(DigestRow.subscription_id).subquery()
    )
    waiting_for_digest = (
        select(AlertRow.id)
        .join(SubscriptionRow, SubscriptionRow.id == AlertRow.subscription_id)
        .outerjoin(covered, covered.c.subscription_id == AlertRow.subscription_id)
        .where(SubscriptionRow.frequency.in_(DIGEST_FREQUENCIES),
               or_(covered.c.until.is_(None), AlertRow.created_at >= covered.c.until))
    )
    undelivered = select(DeliveryRow.alert_id).where(DeliveryRow.status.in_(UNDELIVERED))
    return union(undelivered, waiting_for_digest)


def _delete_articles(session: Session, ids: list[int]) -> None:
    """Delete the articles with everything that hangs on them, in the caller's transaction,
    a bounded ``IN`` list at a time (``retention_batch_size`` may exceed what one statement
    binds)."""
    for chunk in chunked(ids, IN_CHUNK):
        _delete_chunk(session, chunk)


def _delete_chunk(session: Session, ids: Sequence[int]) -> None:
    alerts = select(AlertRow.id).where(AlertRow.article_id.in_(ids))
    session.execute(delete(DeliveryRow).where(DeliveryRow.alert_id.in_(alerts)))
    session.execute(delete(AlertArticleRow).where(or_(AlertArticleRow.article_id.in_(ids),
                                                      AlertArticleRow.alert_id.in_(alerts))))
    session.execute(delete(AlertRow).where(AlertRow.article_id.in_(ids)))
    session.execute(delete(MentionRow).where(MentionRow.article_id.in_(ids)))
    session.execute(delete(StockReactionRow).where(StockReactionRow.article_id.in_(ids)))
    session.execute(delete(ArticleRow).where(ArticleRow.id.in_(ids)))
