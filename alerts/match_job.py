"""The matching step: tagged, clustered articles -> every active subscription -> alerts + outbox.

What ``newsmon process`` (and the daemon's processing job) run last. Active subscriptions are
compiled once per run into a :class:`~alerts.matching.MatchIndex`; each waiting article is
matched, and its alerts, folded coverage and deliveries are recorded in one transaction with the
article's ``matched_at``. A subscription whose stored query no longer parses (say, an entity was
removed from the catalog) is skipped and reported, never allowed to stop the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alerts.matching import MatchIndex, per_subscription
from alerts.query import Query, QueryError, Reasons, parse_query
from alerts.views import article_view, reason_to_json
from config.catalog import Catalog
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.subscriptions import SubscriptionRecord

logger = logging.getLogger(__name__)
IMMEDIATE = "immediate"


@dataclass(frozen=True)
class MatchReport:
    """What one matching run did."""

    articles: int = 0
    new_alerts: int = 0
    folded: int = 0
    deliveries: int = 0
    broken_subscriptions: tuple[str, ...] = ()


def compile_subscriptions(
    subscriptions: list[SubscriptionRecord], catalog: Catalog
) -> tuple[MatchIndex, tuple[str, ...]]:
    """The index of every subscription whose query parses, and the names of those that don't."""
    valid: list[tuple[int, Query]] = []
    broken: list[str] = []
    for subscription in subscriptions:
        parsed = parse_query(subscription.query, catalog)
        if isinstance(parsed, QueryError):
            logger.warning("subscription %s: query no longer parses: %s", subscription.name,
                           parsed.message)
            broken.append(subscription.name)
        else:
            valid.append((subscription.id, parsed))
    return MatchIndex.build(valid), tuple(broken)


def match_pending(
    storage: Storage, catalog: Catalog, *, clock: Callable[[], datetime], batch_size: int = 200
) -> MatchReport:
    """Match every waiting article against every active subscription."""
    subscriptions = {s.id: s for s in storage.subscriptions.all(active_only=True)}
    index, broken = compile_subscriptions(list(subscriptions.values()), catalog)
    articles = alerts = folded = deliveries = 0
    while batch := storage.articles.pending_matching(batch_size):
        for article_id in batch:
            view = article_view(storage, article_id)
            if view is None or view.story_id is None:
                continue
            now = clock()
            matches = [_subscription_match(subscriptions[sid], reasons)
                       for sid, reasons in per_subscription(index.match(view, now))]
            recorded = storage.alerts.record_matches(article_id, view.story_id, matches, now)
            articles += 1
            alerts, folded = alerts + recorded.new_alerts, folded + recorded.folded
            deliveries += recorded.deliveries
    return MatchReport(articles, alerts, folded, deliveries, broken)


def _subscription_match(subscription: SubscriptionRecord, reasons: Reasons) -> SubscriptionMatch:
    """Immediate subscriptions get deliveries now; hourly and daily ones wait for their digest."""
    channels = tuple(c.id for c in subscription.channels if c.disabled_at is None) \
        if subscription.frequency == IMMEDIATE else ()
    return SubscriptionMatch(subscription.id, tuple(reason_to_json(r) for r in reasons), channels)
