"""The daemon's job functions: module-level coroutines that APScheduler calls by reference.

Where it sits: each job does one step of the flow through the :class:`newsmon.app.App` it is
given -- crawl one source, process (tag, cluster, match) in a worker thread, deliver the outbox,
send due digests, maintenance (retention of old articles, SQLite checkpoint). :class:`JobContext`
carries the app and counts the jobs in flight, so a stop can wait for the running job to finish.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from alerts.digest_job import digests_due, prepare_due_digest
from alerts.outbox import OutboxReport
from crawler.runner import CrawlReport
from crawler.types import PollOutcome
from newsmon.app import App, ProcessReport
from newsmon.daemon.plan import source_is_due
from newsmon.daemon.settings import daemon_settings
from pipeline.storage import FetchState

logger = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What every job needs: the app, and a count of jobs running (for a clean stop)."""

    app: App
    on_new_articles: Callable[[int], None] | None = None
    on_new_deliveries: Callable[[int], None] | None = None
    on_source_paused: Callable[[str, datetime], None] | None = None
    """Called after a crawl with a source's pause (backoff, Retry-After) and when it ends."""
    running: int = 0
    active: set[str] = field(default_factory=set)
    """Names of the jobs running now (the scheduler's job ids)."""
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set when the daemon starts stopping: a job in a worker thread then starts no further
    batch (its current one finishes), so a long backlog does not hold the stop up."""
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    _ended: asyncio.Condition = field(default_factory=asyncio.Condition)
    """Notified each time a job ends."""

    def __post_init__(self) -> None:
        self._idle.set()

    @asynccontextmanager
    async def job(self, name: str) -> AsyncIterator[None]:
        """Mark a job as running for its duration."""
        self.running += 1
        self.active.add(name)
        self._idle.clear()
        logger.debug("job %s started", name)
        try:
            yield
        finally:
            self.active.discard(name)
            self.running -= 1
            if self.running == 0:
                self._idle.set()
            async with self._ended:
                self._ended.notify_all()

    def threaded_jobs(self) -> list[str]:
        """The running jobs that work in worker threads (all but crawls, which run on the
        event loop): nothing can interrupt them, and the interpreter waits for them at exit."""
        return sorted(name for name in self.active if not name.startswith("crawl"))

    async def wait_for_threaded_jobs(self) -> None:
        """Return once no job runs in a worker thread (crawls may still run)."""
        async with self._ended:
            await self._ended.wait_for(lambda: not self.threaded_jobs())

    async def wait_idle(self) -> None:
        """Return once no job is running."""
        await self._idle.wait()


async def crawl_source(context: JobContext, name: str) -> CrawlReport | None:
    """Poll one source if it is still enabled; its backoff / Retry-After pause is honoured, and
    reported to ``on_source_paused`` so the job's next run waits for the pause to end."""
    async with context.job(f"crawl:{name}"):
        storage = context.app.storage
        source = storage.sources.get(name)
        if source is None or not source.enabled:
            logger.info("source %s is gone or disabled: not crawled", name)
            return None
        report = await context.app.crawl_runner().crawl([source])
        state = storage.sources.fetch_state(name)
        log_crawl(report, {name: state})
        if state.next_poll_at is not None and context.on_source_paused is not None:
            context.on_source_paused(name, state.next_poll_at)
        if report.new_articles and context.on_new_articles is not None:
            context.on_new_articles(report.new_articles)
        return report


async def crawl_due(context: JobContext) -> CrawlReport:
    """Poll every enabled source that is due (``run --once``), in one Scrapy crawl."""
    async with context.job("crawl"):
        app = context.app
        now = app.clock()
        due = [
            source for source in app.storage.sources.all(enabled_only=True)
            if source_is_due(app.settings, source, app.storage.sources.fetch_state(source.name),
                             now)
        ]
        report = await app.crawl_runner().crawl(due)
        log_crawl(report, {source.name: app.storage.sources.fetch_state(source.name)
                           for source in due})
        return report


async def process_pending(context: JobContext) -> ProcessReport:
    """Tag, cluster and match everything new, in a worker thread (spaCy is CPU-bound); a run
    that found nothing to do is logged at DEBUG only (it runs every few minutes)."""
    async with context.job("process"):
        report = await asyncio.to_thread(context.app.process, context.stopping.is_set)
        did = (report.tagging.tagged, report.tagging.failed, report.clustering.clustered,
               report.matching.new_alerts)
        logger.log(logging.INFO if any(did) or report.stopped_early else logging.DEBUG,
                   "processed: %d tagged, %d failed, %d clustered, %d new alerts%s", *did,
                   "; stopping: the rest waits for the next run" if report.stopped_early else "")
        if report.matching.deliveries and context.on_new_deliveries is not None:
            context.on_new_deliveries(report.matching.deliveries)
        return report


async def deliver_alerts(context: JobContext) -> OutboxReport:
    """One pass over the outbox; a pass with nothing to send is logged at DEBUG only."""
    async with context.job("deliver"):
        report = await context.app.send_alerts()
        did = (report.sent, report.retrying, report.dead)
        logger.log(logging.INFO if any(did) else logging.DEBUG,
                   "delivery: %d sent, %d retrying, %d dead", *did)
        return report


async def send_digests(context: JobContext) -> int:
    """Build and send each hourly or daily subscription's latest due digest not yet sent
    (keyed by its local hour or date, so a period's digest goes out once; after downtime one
    digest covers everything since the last one sent)."""
    async with context.job("digests"):
        app = context.app
        due = await asyncio.to_thread(digests_due, app.storage, app.clock())
        sent = 0
        for item in due:
            stored = await asyncio.to_thread(prepare_due_digest, app.storage, item,
                                             clock=app.clock)
            name, key = item.subscription.name, item.period.key
            if stored is None:
                logger.info("digest of %s for %s: no new stories, not sent", name, key)
                continue
            results = await app.send_digest(stored, item.subscription)
            sent += bool(results) and all(r.status.value == "sent" for _, _, r in results)
            logger.info("digest of %s for %s (since %s): %s", name, key,
                        f"{item.start:%Y-%m-%d %H:%M} UTC",
                        ", ".join(f"{k} {r.status.value}" for k, _, r in results) or "no channel")
        return sent


async def run_maintenance(context: JobContext) -> MaintenanceReport:
    """Delete articles past the retention age (in bounded batches), then, on SQLite,
    checkpoint and truncate the WAL and refresh the planner's statistics."""
    async with context.job("maintenance"):
        app = context.app
        settings = daemon_settings(app.settings)
        deleted = 0
        if settings.retention > 0:
            cutoff = app.clock() - timedelta(seconds=settings.retention)
            deleted = await asyncio.to_thread(
                app.storage.retention.delete_older_than, cutoff,
                batch_size=settings.retention_batch_size)
            logger.info("retention: %d articles fetched before %s deleted", deleted,
                        f"{cutoff:%Y-%m-%d %H:%M} UTC")
        checkpoint = await asyncio.to_thread(sqlite_maintenance, app)
        return MaintenanceReport(deleted, checkpoint)


@dataclass(frozen=True)
class MaintenanceReport:
    """What maintenance did: articles deleted by retention, and SQLite's checkpoint result
    (``None`` on PostgreSQL)."""

    deleted_articles: int
    checkpoint: tuple[int, int, int] | None

    def __str__(self) -> str:
        done = f"{self.deleted_articles} old articles deleted"
        if self.checkpoint is None:
            return done
        return done + (", WAL checkpoint could not finish" if self.checkpoint[0]
                       else ", WAL checkpointed")


def sqlite_maintenance(app: App) -> tuple[int, int, int] | None:
    """``PRAGMA wal_checkpoint(TRUNCATE)`` and ``PRAGMA optimize`` (nothing on PostgreSQL):
    the checkpoint's ``(busy, log pages, pages moved)``. A database another connection keeps
    locked past the busy timeout is an expected outcome, not a failure: ``busy`` is 1 and both
    are tried again at the next maintenance."""
    if app.storage.dialect != "sqlite":
        return None
    with app.storage.engine.connect() as connection:
        # On the sqlite3 connection itself, in autocommit: through SQLAlchemy both pragmas ran
        # inside a deferred BEGIN, where the checkpoint waits on its own snapshot and optimize's
        # ANALYZE, upgrading that read to a write after another writer committed, failed at once
        # with "database is locked" instead of waiting the busy timeout.
        sqlite = cast(sqlite3.Connection, connection.connection.driver_connection)
        try:
            busy, log_pages, moved = sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            sqlite.execute("PRAGMA optimize")
        except sqlite3.OperationalError as error:  # a writer held on past the busy timeout
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            busy, log_pages, moved = 1, 0, 0
    if busy:
        logger.warning("maintenance: the WAL checkpoint could not finish (another connection "
                       "was reading or writing): %s of %s pages moved, the WAL not truncated; "
                       "tried again at the next maintenance", moved, log_pages)
    else:
        logger.info("maintenance: WAL checkpointed (%s pages) and truncated", log_pages)
    return int(busy), int(log_pages), int(moved)


CRAWL_LOG_LEVELS = {PollOutcome.FAILED: logging.WARNING, PollOutcome.SKIPPED: logging.DEBUG}
"""A failed poll is a warning; a poll skipped during a pause is routine (its failure said when
the next poll is)."""


def log_crawl(report: CrawlReport, states: Mapping[str, FetchState] | None = None) -> None:
    """One line per source crawled; a failure says when the source is polled next and why."""
    for result in report.results:
        pause = ""
        state = (states or {}).get(result.source)
        if result.outcome is PollOutcome.FAILED and state is not None:
            pause = pause_note(state, report.started_at)
        logger.log(CRAWL_LOG_LEVELS.get(result.outcome, logging.INFO),
                   "crawl %s: %s, %d new, %d duplicates%s%s", result.source,
                   result.outcome.value, result.new_articles, result.duplicates,
                   f" ({result.errors[0]})" if result.errors else "", pause)


def pause_note(state: FetchState, crawl_started: datetime) -> str:
    """``; next poll at <time> UTC (<reason>)`` for a pause this crawl set; nothing for none, or
    for an older one that has ended (a poll whose outcome could not be recorded)."""
    if state.next_poll_at is None or state.next_poll_at <= crawl_started:
        return ""
    return (f"; next poll at {state.next_poll_at:%Y-%m-%d %H:%M} UTC "
            f"({state.next_poll_reason or 'paused'})")
