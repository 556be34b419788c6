"""Retention on SQLite and PostgreSQL: articles past the age go in bounded batches with their
tags, alert links, alerts and deliveries; what an undelivered alert, an unsent digest period, a
running story or the matcher still needs stays. The maintenance job runs it, then checkpoints
SQLite."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import event, func, select

from config.settings import DaemonSettings, NlpSettings, Settings, StorageSettings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext, run_maintenance
from pipeline.nlp.types import Direction, EntityMention, EntityType, StockReaction
from pipeline.storage import Storage, retention
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.digests import StoredDigest
from pipeline.storage.models import (
    AlertArticleRow,
    AlertRow,
    ArticleRow,
    DeliveryRow,
    MentionRow,
    StockReactionRow,
)
from pipeline.storage.subscriptions import NewSubscription
from pipeline.storage.tags import ArticleTags
from pipeline.types import ArticleOrigin, ExtractedArticle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
CUTOFF = NOW - timedelta(days=30)
META = EntityMention(type=EntityType.COMPANY, text="Meta", start=0, end=4, canonical="Meta",
                     canonical_id="meta", ticker="META")
REACTION = StockReaction(company="Meta", direction=Direction.UP, text="Meta's stock rising",
                         start=0, end=19, company_id="meta", ticker="META")


def article(storage: Storage, name: str, fetched_at: datetime = OLD, *,
            matched: bool = True) -> int:
    text = " ".join(f"{name} word{n}" for n in range(40))
    outcome = storage.articles.store("wire", ExtractedArticle(
        url=f"https://n.example/{name}", title=name, text=text),
        origin=ArticleOrigin.PAGE, fetched_at=fetched_at)
    assert outcome.article_id is not None
    storage.tags.save(outcome.article_id, ArticleTags(text_entities=(META,),
                                                      text_reactions=(REACTION,)),
                      at=fetched_at, version="v1")
    if matched:
        storage.alerts.record_matches(outcome.article_id, outcome.article_id, [], fetched_at)
    return outcome.article_id


def subscription(storage: Storage, name: str, frequency: str) -> tuple[int, tuple[int, ...]]:
    record = storage.subscriptions.add(NewSubscription(
        name=name, query="company:Meta", frequency=frequency,
        channels=(("webhook", "http://127.0.0.1:9/hook"),)), OLD - timedelta(days=1))
    assert record is not None
    return record.id, tuple(c.id for c in record.channels)


def alert(storage: Storage, article_id: int, subscription_id: int, channels: tuple[int, ...],
          at: datetime = OLD, story_id: int | None = None) -> None:
    storage.alerts.record_matches(article_id, story_id or article_id,
                                  [SubscriptionMatch(subscription_id, (), channels)], at)


def rows(storage: Storage, table: type, article_ids: list[int]) -> int:
    column = table.id if table is ArticleRow else table.article_id  # type: ignore[attr-defined]
    with storage.engine.connect() as connection:
        return int(connection.execute(
            select(func.count()).select_from(table).where(column.in_(article_ids))).scalar_one())


def test_retention_deletes_only_what_nothing_needs_with_its_dependent_rows(
    storage: Storage,
) -> None:
    immediate, immediate_channels = subscription(storage, "now", "immediate")
    waiting, _ = subscription(storage, "daily-unsent", "daily")
    covered, _ = subscription(storage, "daily-sent", "daily")

    plain = article(storage, "plain")
    unmatched = article(storage, "unmatched", matched=False)
    pending = article(storage, "pending")
    alert(storage, pending, immediate, immediate_channels)
    sent = article(storage, "sent")
    alert(storage, sent, immediate, immediate_channels)
    for job in storage.alerts.deliveries():
        if job.article_id == sent:
            storage.alerts.mark_sent(job.id, OLD, 200)
    digest_waiting = article(storage, "digest-waiting")
    alert(storage, digest_waiting, waiting, ())
    digest_covered = article(storage, "digest-covered")
    alert(storage, digest_covered, covered, ())
    storage.digests.keep(StoredDigest(0, covered, "2026-10-11", OLD - timedelta(days=1),
                                      OLD + timedelta(days=1), OLD, OLD + timedelta(days=1),
                                      "", "", "", "{}"))
    story_start = article(storage, "story-start")
    alert(storage, story_start, immediate, ())
    recent = article(storage, "recent", NOW - timedelta(days=1))
    alert(storage, recent, immediate, (), at=NOW - timedelta(days=1), story_id=story_start)

    deleted = storage.retention.delete_older_than(CUTOFF, batch_size=2)

    gone = [plain, sent, digest_covered]
    kept = [unmatched, pending, digest_waiting, story_start, recent]
    assert deleted == 3
    assert rows(storage, ArticleRow, gone) == 0
    assert rows(storage, ArticleRow, kept) == len(kept)
    for table in (MentionRow, StockReactionRow, AlertArticleRow, AlertRow):
        assert rows(storage, table, gone) == 0, table.__name__
    assert rows(storage, MentionRow, kept) == len(kept)
    with storage.engine.connect() as connection:
        alerts_left = connection.execute(select(func.count()).select_from(AlertRow)).scalar_one()
        deliveries = connection.execute(select(DeliveryRow.status)).scalars().all()
    assert alerts_left == 3  # pending, digest-waiting, story-start (with recent folded in)
    assert deliveries == ["pending"]  # the sent one went with its alert
    assert storage.retention.delete_older_than(CUTOFF) == 0  # nothing more to do


def test_a_digest_sent_later_releases_the_articles_it_covered(storage: Storage) -> None:
    daily, _ = subscription(storage, "daily", "daily")
    held = article(storage, "held")
    alert(storage, held, daily, ())
    assert storage.retention.deletable(CUTOFF) == []
    stored = storage.digests.keep(StoredDigest(0, daily, "2026-10-11", OLD - timedelta(days=1),
                                               OLD + timedelta(hours=1), OLD, None, "", "", "",
                                               "{}"))
    assert storage.retention.deletable(CUTOFF) == []  # built, but not sent yet
    storage.digests.mark_sent(stored.id, OLD + timedelta(hours=2))
    assert storage.retention.deletable(CUTOFF) == [held]


def test_the_maintenance_job_applies_the_retention_age(tmp_path: Path, database_url: str) -> None:
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model=""),
                        storage=StorageSettings(database_url=SecretStr(database_url)),
                        daemon=DaemonSettings(retention=30 * 86400))
    with App.from_settings(settings, upgrade=True) as app:
        app.clock = lambda: NOW
        old, new = article(app.storage, "old"), article(app.storage, "new", NOW)
        report = asyncio.run(run_maintenance(JobContext(app)))
        assert report.deleted_articles == 1
        assert app.storage.articles.get(old) is None and app.storage.articles.get(new)
        assert (report.checkpoint is not None) == database_url.startswith("sqlite")
    forever = Settings(home=tmp_path, storage=settings.storage)  # retention 0: keep forever
    with App.from_settings(forever) as app:
        app.clock = lambda: NOW + timedelta(days=400)
        assert asyncio.run(run_maintenance(JobContext(app))).deleted_articles == 0
        assert app.storage.articles.get(new) is not None


def test_a_checkpoint_held_up_by_a_reader_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A long read (a backup, an open `sqlite3` shell) keeps the WAL from being truncated:
    the WAL then grows, and the operator should hear of it."""
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model=""),
                        storage=StorageSettings(sqlite_busy_timeout_seconds=0.1))
    with App.from_settings(settings, upgrade=True) as app:
        article(app.storage, "written to the WAL", NOW)
        reader = sqlite3.connect(tmp_path / "newsmon.sqlite3", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM articles").fetchone()  # holds its snapshot
        try:
            with caplog.at_level(logging.INFO, "newsmon.daemon.jobs"):
                report = asyncio.run(run_maintenance(JobContext(app)))
        finally:
            reader.execute("COMMIT")
            reader.close()

    assert report.checkpoint is not None and report.checkpoint[0] == 1  # busy
    assert str(report).endswith("WAL checkpoint could not finish")  # run --once's line
    [line] = [r for r in caplog.records if "checkpoint" in r.getMessage()]
    assert line.levelno == logging.WARNING
    assert "could not finish" in line.getMessage()


def test_a_batch_larger_than_one_statement_binds_is_deleted_a_chunk_at_a_time(
    storage: Storage, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``retention_batch_size`` may be up to 100,000, more ids than SQLite (32,766) or psycopg
    (65,535) bind in one statement: the ids go in chunks (two here, to see it work)."""
    monkeypatch.setattr(retention, "IN_CHUNK", 2)
    immediate, channels = subscription(storage, "now", "immediate")
    old = [article(storage, f"old-{n}") for n in range(5)]
    for article_id in old:
        alert(storage, article_id, immediate, channels)
    for job in storage.alerts.deliveries():
        storage.alerts.mark_sent(job.id, OLD, 200)
    kept = article(storage, "recent", NOW - timedelta(days=1))

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()))

    event.listen(storage.engine, "before_cursor_execute", count)
    try:
        assert storage.retention.delete_older_than(CUTOFF, batch_size=100) == len(old)
    finally:
        event.remove(storage.engine, "before_cursor_execute", count)
    assert sum(s.startswith("DELETE FROM articles ") for s in statements) == 3  # 2 + 2 + 1
    for table in (ArticleRow, MentionRow, AlertArticleRow, AlertRow):
        assert rows(storage, table, old) == 0, table.__name__
    assert rows(storage, ArticleRow, [kept]) == 1
