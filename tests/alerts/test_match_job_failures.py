"""One article that cannot be matched never stops the matching step, on SQLite and PostgreSQL.

Real parts: articles tagged by the rules-only tagger and stored, each its own story, matched by
:func:`alerts.match_job.match_pending` against stored subscriptions. The bad article is bad in
the database: a mention whose type this version does not know (as a newer tagger could have
written). A subscriber who leaves while a run is under way is deleted for real: by the clock
the run calls between matching an article and recording it, or (PostgreSQL) by another
connection that commits its delete while the run's insert waits for the row.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, text, update

from alerts.match_job import match_pending
from config.catalog import Catalog
from pipeline.nlp.tagger import Tagger
from pipeline.storage import Storage
from pipeline.storage.models import ArticleRow, MentionRow, SubscriptionRow
from pipeline.storage.subscriptions import NewSubscription
from tests.alerts.stored_articles import store_tagged
from tests.support.db import postgres_schema_url

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STORIES = [
    ("Meta unveils Muse Spark", "Meta released Muse Spark, its new reasoning model."),
    ("Meta opens a lab in Paris", "Meta will hire 50 researchers in Paris, the company said."),
    ("Meta cuts prices", "Meta halved the price of its Llama API on Monday."),
]


def publish(storage: Storage, tagger: Tagger, number: int) -> int:
    """Store, tag and cluster (a story of its own) one of ``STORIES``."""
    title, text = STORIES[number]
    filler = " ".join(f"word{number}x{n}" for n in range(40))
    view = store_tagged(storage, tagger, title, f"{text} {filler}",
                        url=f"https://news.example.com/{number}")
    storage.articles.set_story(view.article_id, view.article_id, b"")
    return view.article_id


def subscribe(storage: Storage, name: str) -> None:
    assert storage.subscriptions.add(NewSubscription(name=name, query="company:Meta"), NOW)


def alerted_articles(storage: Storage) -> list[tuple[str, int]]:
    return sorted((a.subscription, a.article_id) for a in storage.alerts.alerts())


def break_tags(storage: Storage, article_id: int) -> None:
    """Give the article a mention of a type this version cannot read."""
    with storage.sessions.write() as session:
        session.execute(insert(MentionRow).values(
            article_id=article_id, field="text", type="EVENT", text="launch", start_offset=0,
            end_offset=6, canonical="launch", sentence="launch", decided_by="catalog",
            confidence=1.0))


def test_an_article_that_cannot_be_matched_is_refused_and_the_next_ones_are_matched(
        storage: Storage, tagger: Tagger, catalog: Catalog) -> None:
    subscribe(storage, "meta")
    first, bad, last = (publish(storage, tagger, n) for n in range(3))
    break_tags(storage, bad)
    report = match_pending(storage, catalog, clock=lambda: NOW)
    assert (report.articles, report.new_alerts, report.refused) == (2, 2, 1)
    assert alerted_articles(storage) == [("meta", first), ("meta", last)]
    [refusal] = storage.sources.rejections()
    assert (refusal.stage, refusal.source_name) == ("match", "wire")
    assert refusal.url == "https://news.example.com/1"
    assert "EVENT" in refusal.reason
    assert storage.articles.pending_matching(10) == []
    again = match_pending(storage, catalog, clock=lambda: NOW)  # not retried run after run
    assert (again.articles, again.refused) == (0, 0)
    assert len(storage.sources.rejections()) == 1


def test_a_subscriber_who_leaves_during_a_run_does_not_cost_the_others_their_alerts(
        storage: Storage, tagger: Tagger, catalog: Catalog) -> None:
    subscribe(storage, "meta")
    subscribe(storage, "leaving")
    first, second = publish(storage, tagger, 0), publish(storage, tagger, 1)
    left: list[bool] = []

    def clock() -> datetime:  # called after an article is matched, before it is recorded
        if not left:
            left.append(storage.subscriptions.delete("leaving"))
        return NOW

    report = match_pending(storage, catalog, clock=clock)
    assert left == [True]
    assert (report.articles, report.new_alerts, report.refused) == (2, 2, 0)
    assert alerted_articles(storage) == [("meta", first), ("meta", second)]
    assert storage.sources.rejections() == []



def test_an_article_whose_row_cannot_be_read_is_refused_too(
        storage: Storage, tagger: Tagger, catalog: Catalog) -> None:
    subscribe(storage, "meta")
    bad, last = publish(storage, tagger, 0), publish(storage, tagger, 1)
    with storage.sessions.write() as session:  # as a faulty writer could have left it
        session.execute(update(ArticleRow).where(ArticleRow.id == bad).values(authors=5))
    report = match_pending(storage, catalog, clock=lambda: NOW)
    assert (report.articles, report.refused) == (1, 1)
    assert alerted_articles(storage) == [("meta", last)]
    [refusal] = storage.sources.rejections()
    assert refusal.stage == "match" and "TypeError" in refusal.reason
    assert storage.articles.pending_matching(10) == []

@pytest.fixture
def postgres_storage() -> Iterator[Storage]:
    """A migrated storage in a fresh schema on the real PostgreSQL."""
    with postgres_schema_url() as url:
        storage = Storage.open(url)
        storage.upgrade()
        yield storage
        storage.close()


def wait_until_blocked_by(storage: Storage, pid: int, timeout: float = 10.0) -> None:
    """Return once some session waits for a lock that session ``pid`` holds."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    deadline = time.monotonic() + timeout
    with storage.engine.connect() as watcher:
        while not watcher.execute(query, {"pid": pid}).scalar():
            assert time.monotonic() < deadline, "the matching run never waited for the delete"
            time.sleep(0.02)


@pytest.mark.postgres
def test_a_subscriber_deleted_while_the_alerts_are_written_costs_one_more_try(
        postgres_storage: Storage, tagger: Tagger, catalog: Catalog) -> None:
    storage = postgres_storage
    subscribe(storage, "meta")
    subscribe(storage, "leaving")
    first = publish(storage, tagger, 0)
    with storage.engine.connect() as deleter, ThreadPoolExecutor(max_workers=1) as pool:
        pid = deleter.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # not committed yet: the deleted row stays locked, the run's insert will wait for it
        deleter.execute(delete(SubscriptionRow).where(SubscriptionRow.name == "leaving"))
        run = pool.submit(match_pending, storage, catalog, clock=lambda: NOW)
        wait_until_blocked_by(storage, pid)
        deleter.commit()  # the waiting insert now refers to a deleted subscription
        report = run.result(timeout=60)
    assert (report.articles, report.new_alerts, report.refused) == (1, 1, 0)
    assert alerted_articles(storage) == [("meta", first)]
    assert storage.sources.rejections() == []
