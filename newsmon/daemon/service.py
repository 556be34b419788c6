"""The running daemon: APScheduler's AsyncIOScheduler on the reactor's loop, and a clean stop.

Where it sits: between ``cli`` (which holds the lock and runs the reactor on the main thread) and
``jobs``. At start the schedule is derived from the settings and the sources
(:func:`newsmon.daemon.plan.plan_jobs`), and derived again on SIGHUP (:meth:`Daemon.reload`);
job errors and missed runs reach a listener that logs and counts them. A stop pauses the
scheduler (no new job starts), waits for the running jobs, shuts the scheduler down and stops
the reactor.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from newsmon.daemon.jobs import JobContext
from newsmon.daemon.plan import JobSpec, plan_jobs
from newsmon.daemon.reload import ReloadReport, changed_jobs, read_sources
from newsmon.daemon.settings import daemon_settings
from newsmon.daemon.triggers import WindowTrigger, build_trigger
from pipeline.storage.engine import database_problem

logger = logging.getLogger(__name__)


@dataclass
class DaemonStats:
    """In-memory counts of what the scheduler reported, per job id."""

    executed: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    """Runs not started because the job's previous run was still going (``max_instances=1``);
    the running one covers their work, so they are counted, not retried."""
    last_error: dict[str, str] = field(default_factory=dict)

    def observe(self, event: JobEvent) -> None:
        """The scheduler's listener: count and log executions, errors, missed and skipped runs."""
        if event.code == EVENT_JOB_MISSED:
            self.missed[event.job_id] += 1
            due = getattr(event, "scheduled_run_time", None)
            logger.warning("job %s missed its run%s (the daemon was busy or asleep for longer "
                           "than [daemon] misfire_grace_time)", event.job_id,
                           f" due at {due.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if due else "")
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            self.skipped[event.job_id] += 1
            logger.info("job %s was still running at its next run time; that run was skipped",
                        event.job_id)
        elif event.code == EVENT_JOB_ERROR and isinstance(event, JobExecutionEvent):
            self.errors[event.job_id] += 1
            self.last_error[event.job_id] = repr(event.exception)
            problem = database_problem(event.exception)
            if isinstance(event.exception, asyncio.CancelledError):
                logger.warning("job %s did not finish: the daemon stopped while it ran",
                               event.job_id)
            elif problem is None:
                logger.error("job %s failed: %r", event.job_id, event.exception,
                             exc_info=event.exception)
            else:  # the database is locked, down or unreachable: a traceback tells nothing
                logger.error("job %s failed: cannot use the database: %s", event.job_id, problem)
        else:
            self.executed[event.job_id] += 1


@dataclass(frozen=True)
class SchedulerPace:
    """How fast the app's clock runs against the scheduler's wall clock.

    In production ``speed`` is 1 and the app's clock is the wall clock: schedules pass through
    unchanged. The offline demo (``newsmon demo``) runs the app on an accelerated clock
    (``speed`` app seconds per wall second); APScheduler still waits in wall seconds, so each
    interval and jitter is divided by ``speed`` and each run time is placed as far ahead in wall
    time as it lies ahead in app time. Misfire grace stays in wall seconds: it tolerates a busy
    machine, and a busy machine is slow in wall time.
    """

    speed: float = 1.0

    def wall_seconds(self, app_seconds: float) -> float:
        """An app-clock duration as the scheduler's wall-clock duration."""
        return app_seconds / self.speed

    def to_wall(self, app_time: datetime, app_now: datetime) -> datetime:
        """An app-clock moment as a scheduler moment (unchanged at speed 1)."""
        if self.speed == 1:
            return app_time
        return datetime.now(UTC) + (app_time - app_now) / self.speed

    def to_app(self, wall_time: datetime, app_now: datetime) -> datetime:
        """A scheduler moment as an app-clock moment (unchanged at speed 1)."""
        if self.speed == 1:
            return wall_time
        return app_now + (wall_time - datetime.now(UTC)) * self.speed


REAL_TIME = SchedulerPace()


def build_scheduler(loop: asyncio.AbstractEventLoop, stats: DaemonStats) -> AsyncIOScheduler:
    """An AsyncIOScheduler on ``loop`` whose listener feeds ``stats``."""
    scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
    scheduler.add_listener(stats.observe, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
                           | EVENT_JOB_MAX_INSTANCES)
    return scheduler


def add_job(
    scheduler: AsyncIOScheduler, spec: JobSpec, context: JobContext,
    pace: SchedulerPace = REAL_TIME,
) -> None:
    """Add (or replace) one planned job, following APScheduler's rules for long-lived
    schedules. On an accelerated clock a window or cron schedule cannot be kept in wall time,
    so such sources are polled at their (accelerated) interval instead."""
    jitter = None if spec.jitter is None else pace.wall_seconds(spec.jitter)
    kind = spec.trigger if pace.speed == 1 else "interval"
    trigger = build_trigger(kind, seconds=pace.wall_seconds(spec.seconds), jitter=jitter,
                            cron=spec.cron, window=spec.window, timezone=spec.timezone)
    scheduler.add_job(
        spec.function, trigger, args=(context, *spec.args), id=spec.id, name=spec.id,
        next_run_time=pace.to_wall(spec.first_run, context.app.clock()), replace_existing=True,
        coalesce=True, max_instances=1, misfire_grace_time=spec.misfire_grace_time,
    )


async def _wait(event: asyncio.Event | None) -> None:
    """Until ``event`` is set (forever without one)."""
    await (event or asyncio.Event()).wait()


async def _first(*waits: Coroutine[Any, Any, None], deadline: float) -> None:
    """Wait until the first of ``waits`` ends, or until the loop time ``deadline``; the others
    are cancelled."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    timeout = max(0.0, deadline - asyncio.get_running_loop().time())
    await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()


def warn_if_nothing_to_crawl(specs: list[JobSpec]) -> None:
    """A schedule without a crawl job runs but never fetches anything: say so, and how."""
    if not any(spec.id.startswith("crawl:") for spec in specs):
        logger.warning("no enabled source: nothing will be crawled (add sources with `newsmon "
                       "sources add`, the default list with `newsmon init`, or enable one with "
                       "`newsmon sources enable`; then reload)")


class Daemon:
    """The scheduler, its job context and stats, started on the running loop."""

    def __init__(
        self, context: JobContext, loop: asyncio.AbstractEventLoop,
        pace: SchedulerPace = REAL_TIME,
    ) -> None:
        self.context = context
        self.pace = pace
        self.stats = DaemonStats()
        self.scheduler = build_scheduler(loop, self.stats)
        self.scheduler.add_listener(self._record_run,
                                    EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self.context.on_new_articles = self._wake_process
        self.context.on_new_deliveries = self._wake_deliver
        self.context.on_source_paused = self._postpone_crawl
        self._run_again: set[str] = set()
        """Jobs woken while they ran: run once more when they finish (a wake is never lost)."""
        self.specs: dict[str, JobSpec] = {}
        self._stopping = False
        self._run_writes: set[asyncio.Future[None]] = set()

    def start(self) -> list[JobSpec]:
        """Plan the jobs from the settings and the sources (the user's ``sources.toml``
        applied to the database, see :func:`read_sources`), add them, start."""
        specs, _ = self._plan()  # an invalid sources.toml is logged and left out
        for spec in specs:
            add_job(self.scheduler, spec, self.context, self.pace)
        self.specs = {spec.id: spec for spec in specs}
        self.scheduler.start()
        warn_if_nothing_to_crawl(specs)
        return specs

    async def reload(self) -> ReloadReport:
        """SIGHUP: read the sources again as at start, then add the jobs of new sources,
        remove those of removed or disabled ones and replace those whose schedule changed
        (unchanged jobs keep their next run). Subscriptions are read afresh by every
        processing and digest run; both run now, so the current ones apply at once."""
        specs, invalid_file = await asyncio.to_thread(self._plan)
        planned = {spec.id: spec for spec in specs}
        added, removed, changed = changed_jobs(self.specs, planned)
        for job_id in removed:
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
        for job_id in (*added, *changed):
            add_job(self.scheduler, planned[job_id], self.context, self.pace)
        self.specs = planned
        subscriptions = await asyncio.to_thread(
            self.context.app.storage.subscriptions.all, active_only=True)
        for job_id in ("process", "digests"):
            self._run_soon(job_id)
        report = ReloadReport(added, removed, changed, len(subscriptions), invalid_file)
        logger.info("reloaded: %s", report.summary())
        warn_if_nothing_to_crawl(specs)
        return report

    def _plan(self) -> tuple[list[JobSpec], Path | None]:
        """The jobs, and the user's sources.toml if it was invalid (so not applied)."""
        app = self.context.app
        sources, invalid_file = read_sources(app)
        states = {source.name: app.storage.sources.fetch_state(source.name) for source in sources}
        last_runs = {run.job_id: run.last_run_at for run in app.storage.job_runs.all()}
        return plan_jobs(app.settings, sources, app.clock(), states, last_runs), invalid_file

    async def stop(self, hurry: asyncio.Event | None = None) -> None:
        """No new job starts; the running ones finish (up to the stop timeout); shut down.
        A job in a worker thread (processing) starts no further batch and ends after its
        current one. Once ``hurry`` is set (a second stop signal) crawls are left unfinished,
        but a job in a worker thread is still waited for (within the timeout): it cannot be
        interrupted mid-batch, and closing the app under it could hang the exit."""
        if self._stopping:
            return
        self._stopping = True
        self.context.stopping.set()
        self.scheduler.pause()
        timeout = daemon_settings(self.context.app.settings).stop_timeout
        deadline = asyncio.get_running_loop().time() + timeout
        if self.context.running:
            logger.info("stopping: waiting for %s to finish (up to %ss; a second stop signal "
                        "stops at once)", self.running_jobs(), timeout)
        await _first(self.context.wait_idle(), _wait(hurry), deadline=deadline)
        hurried = hurry is not None and hurry.is_set()
        if hurried and self.context.threaded_jobs():
            logger.info("still waiting for %s: it runs in a worker thread and ends after its "
                        "current batch", ", ".join(self.context.threaded_jobs()))
            await _first(self.context.wait_for_threaded_jobs(), deadline=deadline)
        if self.context.running and not hurried:
            logger.warning("%s still running after %ss: stopping without them",
                           self.running_jobs(), timeout)
        self.scheduler.shutdown(wait=True)
        await asyncio.sleep(0)  # the shutdown runs as a loop callback
        if self._run_writes:
            await asyncio.gather(*self._run_writes)

    def running_jobs(self) -> str:
        """The jobs running now, by id: ``crawl:wire, process``."""
        return ", ".join(sorted(self.context.active)) or "no job"

    def _record_run(self, event: JobEvent) -> None:
        """Keep each job's last run, outcome and next run in the database (for ``status``);
        written off the event loop, and never allowed to disturb the scheduler."""
        if event.code != EVENT_JOB_MISSED and event.job_id in self._run_again:
            self._run_again.discard(event.job_id)
            self._run_soon(event.job_id)
        outcome = {EVENT_JOB_MISSED: "missed", EVENT_JOB_ERROR: "error"}.get(event.code, "ok")
        error = repr(getattr(event, "exception", None)) if outcome == "error" else None
        job: Any = self.scheduler.get_job(event.job_id)
        app = self.context.app
        wall_next = None if job is None else job.next_run_time
        next_run = None if wall_next is None else self.pace.to_app(wall_next, app.clock())

        def write() -> None:
            try:
                app.storage.job_runs.record(event.job_id, outcome, at=app.clock(),
                                            next_run_at=next_run, error=error)
            except Exception:
                logger.exception("recording the run of job %s failed", event.job_id)

        pending = asyncio.get_running_loop().run_in_executor(None, write)
        self._run_writes.add(pending)
        pending.add_done_callback(self._run_writes.discard)

    def _wake_process(self, new_articles: int) -> None:
        """New articles were stored: run the process job now rather than at its next tick."""
        self._run_soon("process")

    def _wake_deliver(self, new_deliveries: int) -> None:
        """Processing queued deliveries: send them now rather than at the next tick."""
        self._run_soon("deliver")

    def _postpone_crawl(self, name: str, until: datetime) -> None:
        """A source paused by backoff or Retry-After: its crawl job's next run waits for the
        pause to end (inside its window, at a cron time), so ``status`` shows when it is polled
        again and no run is spent skipping it meanwhile."""
        job: Any = self.scheduler.get_job(f"crawl:{name}")
        if job is None or job.next_run_time is None:
            return
        resume = self.pace.to_wall(until, self.context.app.clock())
        if isinstance(job.trigger, WindowTrigger):
            resume = job.trigger.window.next_opening(resume)
        elif isinstance(job.trigger, CronTrigger):
            resume = job.trigger.get_next_fire_time(None, resume) or resume
        if job.next_run_time < resume:
            job.modify(next_run_time=resume)

    def _run_soon(self, job_id: str) -> None:
        """Bring a job's next run forward to now (unless the daemon is stopping); a job that
        is running now runs again as soon as it ends."""
        if self._stopping:
            return
        if job_id in self.context.active:
            self._run_again.add(job_id)
            return
        job: Any = self.scheduler.get_job(job_id)
        if job is not None:
            app_now = self.context.app.clock()
            job.modify(next_run_time=self.pace.to_wall(app_now, app_now))
            self.scheduler.wakeup()
