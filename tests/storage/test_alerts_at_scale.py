"""Recording one article's matches at the scale of a popular query, on SQLite and PostgreSQL.

At 100,000 subscriptions a query such as ``company:OpenAI`` is shared by tens of thousands of
subscribers, so one article can match more subscriptions than either database takes bound
parameters in one statement (PostgreSQL 65,535; SQLite 32,766 since 3.32, the limit set here:
Debian builds allow 250,000 and would hide the problem). Every statement on the recording path,
insert, lookup and fold, must still work. Subscriptions and channels are inserted in bulk as
real rows; then a subscription is deleted while an article is being matched, as a subscriber
can at any moment: the other subscribers' alerts must still be recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import StatementError

from bench.match_writer import insert_subscriptions
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.models import AlertRow
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SQLITE_MAX_VARIABLES = 32_766
"""SQLite's default limit on bound parameters per statement since 3.32."""
POPULAR = 70_000
"""More subscribers of one query than PostgreSQL (65,535) or SQLite takes parameters."""


@pytest.fixture
def portable(storage: Storage) -> Iterator[Storage]:
    """The storage, its SQLite connections held to SQLite's default parameter limit."""
    if storage.engine.dialect.name == "sqlite":
        def limit(connection: Any, _record: Any) -> None:
            connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_MAX_VARIABLES)

        event.listen(storage.engine, "connect", limit)
        storage.engine.dispose()
    yield storage


def article(storage: Storage, index: int, story: int | None = None) -> int:
    """A stored article in ``story`` (its own by default), waiting to be matched."""
    text = " ".join(f"word{index}x{n}" for n in range(40))
    outcome = storage.articles.store("wire", ExtractedArticle(
        url=f"https://n.example/{index}", title=f"T{index}", text=text),
        origin=ArticleOrigin.PAGE, fetched_at=NOW)
    assert outcome.article_id is not None
    storage.articles.set_story(outcome.article_id, story or outcome.article_id, b"")
    return outcome.article_id


def subscribers(storage: Storage, count: int,
                shared_reasons: bool = True) -> list[SubscriptionMatch]:
    """``count`` immediate subscriptions with one email channel each, inserted in bulk, as the
    matches of one article (in id order): all with the same reasons (subscribers of one
    query), or each with its own."""
    channels = insert_subscriptions(storage, count, NOW)
    ids = sorted(channels)

    def reasons(sid: int) -> tuple[dict[str, Any], ...]:
        label = "company:OpenAI" if shared_reasons else f"company:OpenAI AND term:w{sid}"
        return ({"kind": "entity", "label": label, "spans": [["title", 0, 6]]},)

    return [SubscriptionMatch(sid, reasons(sid), (channels[sid],)) for sid in ids]


def coverage_counts(storage: Storage) -> dict[int, int]:
    """How many alerts have each coverage."""
    query = select(AlertRow.coverage, func.count()).group_by(AlertRow.coverage)
    with storage.sessions.read() as session:
        return {coverage: count for coverage, count in session.execute(query)}


@pytest.mark.slow
@pytest.mark.parametrize("shared_reasons", [True, False], ids=["one-query", "many-queries"])
def test_an_article_matched_by_more_subscribers_than_a_statement_takes(
        portable: Storage, shared_reasons: bool) -> None:
    matches = subscribers(portable, POPULAR, shared_reasons)
    first = article(portable, 1)
    second, third = article(portable, 2, first), article(portable, 3, first)
    half = POPULAR // 2
    early = portable.alerts.record_matches(first, first, matches[:half], NOW)
    assert (early.new_alerts, early.folded, early.deliveries) == (half, 0, half)
    later = portable.alerts.record_matches(second, first, matches, NOW + timedelta(minutes=1))
    assert (later.new_alerts, later.folded, later.deliveries) == (POPULAR - half, half,
                                                                   POPULAR - half)
    latest = portable.alerts.record_matches(third, first, matches, NOW + timedelta(minutes=2))
    assert (latest.new_alerts, latest.folded, latest.deliveries) == (0, POPULAR, 0)
    again = portable.alerts.record_matches(third, first, matches, NOW + timedelta(minutes=3))
    assert (again.new_alerts, again.folded, again.deliveries) == (0, 0, 0)
    assert coverage_counts(portable) == {3: half, 2: POPULAR - half}
    assert portable.alerts.outbox_counts() == {"pending": POPULAR}
    [last] = portable.alerts.alerts(limit=1)
    assert last.subscription_id == matches[-1].subscription_id and last.article_id == second
    assert portable.alerts.story_articles(last.id) == [second, third]
    assert last.reasons == matches[-1].reasons
    assert portable.articles.pending_matching(10) == []


def test_a_subscriber_who_left_meanwhile_does_not_stop_the_others_alerts(
        storage: Storage) -> None:
    matches = subscribers(storage, 3)
    first = article(storage, 1)
    assert storage.subscriptions.delete("s1")  # after matching, before recording
    recorded = storage.alerts.record_matches(first, first, matches, NOW)
    assert (recorded.new_alerts, recorded.deliveries) == (2, 2)
    assert sorted(a.subscription for a in storage.alerts.alerts()) == ["s0", "s2"]
    assert storage.alerts.outbox_counts() == {"pending": 2}
    assert storage.articles.pending_matching(10) == []


def test_reasons_that_cannot_be_stored_leave_nothing_half_written(storage: Storage) -> None:
    [match] = subscribers(storage, 1)
    first = article(storage, 1)
    unstorable = SubscriptionMatch(match.subscription_id, ({"at": NOW},), match.channel_ids)
    with pytest.raises((TypeError, StatementError)):
        storage.alerts.record_matches(first, first, [unstorable], NOW)
    assert storage.alerts.alerts() == [] and storage.alerts.outbox_counts() == {}
    assert storage.articles.pending_matching(10) == [first]


def test_concurrent_matchers_of_one_querys_subscribers_create_one_alert_each(
        storage: Storage) -> None:
    matches = subscribers(storage, 25)  # enough to be inserted as one query's group
    ids = [article(storage, index) for index in range(8)]
    for article_id in ids[1:]:
        storage.articles.set_story(article_id, ids[0], b"")

    def record(article_id: int) -> int:
        return storage.alerts.record_matches(article_id, ids[0], matches, NOW).new_alerts

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(record, ids)) == 25
    assert coverage_counts(storage) == {8: 25}
    assert storage.alerts.outbox_counts() == {"pending": 25}


def test_many_matchers_recording_one_storys_coverage_at_once_do_not_deadlock(
        storage: Storage) -> None:
    """Eight writers, forty articles of one story, sixty subscribers split between a shared
    query's group and single rows: on PostgreSQL, inserts and folds of the same alerts in
    different orders deadlocked (one writer failed) until a story's writers took turns."""
    matches = subscribers(storage, 60)
    shared, own = matches[:30], [replace(m, reasons=({"kind": "term", "label": f"w{n}"},))
                                 for n, m in enumerate(matches[30:])]
    ids = [article(storage, index) for index in range(40)]
    for article_id in ids[1:]:
        storage.articles.set_story(article_id, ids[0], b"")

    def record(article_id: int) -> int:
        chosen = shared + own if article_id % 2 else list(reversed(own)) + shared
        return storage.alerts.record_matches(article_id, ids[0], chosen, NOW).new_alerts

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(record, ids)) == 60
    assert coverage_counts(storage) == {40: 60}
