"""The matching step: tagged, clustered articles -> every active subscription -> alerts + outbox.

What ``newsmon process`` (and the daemon's processing job) run last. Active subscriptions are
compiled into a :class:`~alerts.matching.MatchIndex`, which a :class:`CompiledSubscriptions`
keeps between runs (the daemon's): it is compiled again only when the active subscriptions'
queries or the catalog changed, and a run with no article waiting compiles nothing (at 100,000
subscriptions a compile costs seconds: ~20 µs to parse a query, ~2 s to build the index).
Each waiting article is matched, and its alerts, folded coverage and deliveries are recorded in
one transaction with the article's ``matched_at``. A subscription whose stored query no longer
parses (say, an entity was removed from the catalog) is skipped and reported, never allowed to
stop the run; nor is an article that cannot be matched (its stored tags unreadable, its
recording failing twice): it is refused, as the tagging step refuses one, and the run goes on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import StatementError

from alerts.matching import MatchIndex, per_subscription
from alerts.query import Query, QueryError, Reasons, parse_query
from alerts.views import article_view, reason_to_json
from config.catalog import Catalog
from pipeline.storage import Storage
from pipeline.storage.alerts import MatchRecord, SubscriptionMatch
from pipeline.storage.subscriptions import SubscriptionRecord
from pipeline.types import StopCheck, never

logger = logging.getLogger(__name__)
IMMEDIATE = "immediate"
MATCH_ATTEMPTS = 2
"""Tries at one article before it is refused."""


@dataclass(frozen=True)
class MatchReport:
    """What one matching run did."""

    articles: int = 0
    new_alerts: int = 0
    folded: int = 0
    deliveries: int = 0
    broken_subscriptions: tuple[str, ...] = ()
    refused: int = 0
    """Articles that could not be matched (recorded as rejections at stage ``match``)."""


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
    ``should_stop`` says so, no further article is started.

    An article that cannot be matched (reading it or recording its matches fails twice) is
    refused: logged, recorded as a rejection at stage ``match`` and marked matched with no
    alert, so that the articles after it are matched and it is not tried run after run. If
    even that cannot be written (the database is down), the run stops and the article waits."""
    batch = storage.articles.pending_matching(batch_size)
    if not batch or should_stop():
        return MatchReport()
    subscriptions = {s.id: s for s in storage.subscriptions.all(active_only=True)}
    index, broken = (compiled or CompiledSubscriptions()).index_of(subscriptions.values(), catalog)
    articles = alerts = folded = deliveries = refused = 0
    while batch:
        for article_id in batch:
            if should_stop():
                return MatchReport(articles, alerts, folded, deliveries, broken, refused)
            outcome = _match_with_retry(storage, index, subscriptions, article_id, clock)
            if isinstance(outcome, Exception):
                _refuse(storage, article_id, outcome, clock())
                refused += 1
            elif outcome is not None:
                articles += 1
                alerts, folded = alerts + outcome.new_alerts, folded + outcome.folded
                deliveries += outcome.deliveries
        batch = storage.articles.pending_matching(batch_size)
    return MatchReport(articles, alerts, folded, deliveries, broken, refused)


def _match_with_retry(
    storage: Storage, index: MatchIndex, subscriptions: dict[int, SubscriptionRecord],
    article_id: int, clock: Callable[[], datetime],
) -> MatchRecord | Exception | None:
    """What matching one article recorded (``None``: it is gone), or the error of its last
    attempt. A second attempt covers a row deleted by another process between the store's
    check and its insert (PostgreSQL), a deadlock, a lost connection."""
    failure: Exception | None = None
    for attempt in range(1, MATCH_ATTEMPTS + 1):
        try:
            return _match_article(storage, index, subscriptions, article_id, clock)
        except Exception as error:  # one article must not stop the run
            logger.warning("article %d: matching attempt %d of %d failed: %s", article_id,
                           attempt, MATCH_ATTEMPTS, _why(error))
            failure = error
    assert failure is not None
    return failure


def _match_article(
    storage: Storage, index: MatchIndex, subscriptions: dict[int, SubscriptionRecord],
    article_id: int, clock: Callable[[], datetime],
) -> MatchRecord | None:
    """Match one article and record its alerts, folded coverage and deliveries."""
    view = article_view(storage, article_id)
    if view is None or view.story_id is None:
        return None
    now = clock()
    matches = [_subscription_match(subscriptions[sid], reasons)
               for sid, reasons in per_subscription(index.match(view, now))]
    return storage.alerts.record_matches(article_id, view.story_id, matches, now)


def _refuse(storage: Storage, article_id: int, error: Exception, at: datetime) -> None:
    """Record why an article could not be matched (with its source and URL when its row can
    be read), and never try it again."""
    reason = f"matching failed: {_why(error)}"
    logger.error("article %d refused: %s", article_id, reason, exc_info=error)
    source, url = _source_and_url(storage, article_id)
    storage.sources.record_rejection(source, "match", reason, url, at)
    storage.alerts.pass_over(article_id, at)


def _source_and_url(storage: Storage, article_id: int) -> tuple[str | None, str | None]:
    """The article's source and URL, or ``None``s when its row is gone or cannot be read."""
    try:
        article = storage.articles.get(article_id)
    except Exception:  # the row may be why the article is refused
        return None, None
    return (article.source_name, article.url) if article else (None, None)


def _why(error: Exception) -> str:
    """One line on an error: the driver's message for a database error (not its SQL)."""
    cause = error.orig if isinstance(error, StatementError) and error.orig else error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _subscription_match(subscription: SubscriptionRecord, reasons: Reasons) -> SubscriptionMatch:
    """Immediate subscriptions get deliveries now; hourly and daily ones wait for their digest."""
    channels = tuple(c.id for c in subscription.channels if c.disabled_at is None) \
        if subscription.frequency == IMMEDIATE else ()
    return SubscriptionMatch(subscription.id, tuple(reason_to_json(r) for r in reasons), channels)
