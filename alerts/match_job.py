"""The matching step: tagged, clustered articles -> every active subscription -> alerts + outbox.

What ``newsmon process`` (and the daemon's processing job) run last. Active subscriptions are
compiled into a :class:`~alerts.matching.MatchIndex`, which a :class:`CompiledSubscriptions`
keeps between runs (the daemon's): it is compiled again only when the active subscriptions'
queries or the catalog changed, and a run with no article waiting compiles nothing (at 100,000
subscriptions a compile costs seconds: ~20 µs to parse a query, ~2 s to build the index).
Each waiting article is matched, and its alerts, folded coverage and deliveries are recorded in
one transaction with the article's ``matched_at``. A subscription whose stored query no longer
parses (say, an entity was removed from the catalog) is skipped and reported, never allowed to
stop the run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from alerts.matching import MatchIndex, per_subscription
from alerts.query import Query, QueryError, Reasons, parse_query
from alerts.views import article_view, reason_to_json
from config.catalog import Catalog
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.subscriptions import SubscriptionRecord
from pipeline.types import StopCheck, never

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
    subscriptions: Iterable[SubscriptionRecord], catalog: Catalog
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


class CompiledSubscriptions:
    """The index of the active subscriptions, kept from one matching run to the next and
    compiled again only when their queries (or the catalog they are read with) changed."""

    def __init__(self) -> None:
        self._fingerprint: str | None = None
        self._compiled: tuple[MatchIndex, tuple[str, ...]] | None = None
        self.compiles = 0
        """How many times the index was compiled (for tests and logs)."""

    def index_of(
        self, subscriptions: Iterable[SubscriptionRecord], catalog: Catalog
    ) -> tuple[MatchIndex, tuple[str, ...]]:
        """The index of these subscriptions and the names of those whose query no longer
        parses; compiled now only if they differ from the last call's."""
        listed = list(subscriptions)
        fingerprint = _fingerprint(listed, catalog)
        if self._compiled is None or fingerprint != self._fingerprint:
            self._compiled = compile_subscriptions(listed, catalog)
            self._fingerprint = fingerprint
            self.compiles += 1
        return self._compiled


def _fingerprint(subscriptions: list[SubscriptionRecord], catalog: Catalog) -> str:
    """What the compiled index depends on: each subscription's id and query, and the catalog."""
    digest = hashlib.blake2b(catalog.fingerprint.encode(), digest_size=16)
    for subscription in sorted(subscriptions, key=lambda item: item.id):
        digest.update(f"{subscription.id}\x1f{subscription.query}\x1e".encode())
    return digest.hexdigest()


def match_pending(
    storage: Storage, catalog: Catalog, *, clock: Callable[[], datetime], batch_size: int = 200,
    compiled: CompiledSubscriptions | None = None, should_stop: StopCheck = never,
) -> MatchReport:
    """Match every waiting article against every active subscription (``compiled`` keeps the
    index between runs; without it the index is compiled for this run only); once
    ``should_stop`` says so, no further article is started."""
    batch = storage.articles.pending_matching(batch_size)
    if not batch or should_stop():
        return MatchReport()
    subscriptions = {s.id: s for s in storage.subscriptions.all(active_only=True)}
    index, broken = (compiled or CompiledSubscriptions()).index_of(subscriptions.values(), catalog)
    articles = alerts = folded = deliveries = 0
    while batch:
        for article_id in batch:
            if should_stop():
                return MatchReport(articles, alerts, folded, deliveries, broken)
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
        batch = storage.articles.pending_matching(batch_size)
    return MatchReport(articles, alerts, folded, deliveries, broken)


def _subscription_match(subscription: SubscriptionRecord, reasons: Reasons) -> SubscriptionMatch:
    """Immediate subscriptions get deliveries now; hourly and daily ones wait for their digest."""
    channels = tuple(c.id for c in subscription.channels if c.disabled_at is None) \
        if subscription.frequency == IMMEDIATE else ()
    return SubscriptionMatch(subscription.id, tuple(reason_to_json(r) for r in reasons), channels)
