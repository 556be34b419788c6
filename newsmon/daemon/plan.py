"""The daemon's schedule as data: which jobs run, how often, and when each runs first.

Where it sits: pure, between the settings + the stored sources and ``service``, which turns each
:class:`JobSpec` into an APScheduler job. Nothing here runs or touches the database, so the
schedule is tested without a scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import Settings
from newsmon.daemon.settings import daemon_settings
from newsmon.daemon.triggers import CRON_LOOKBACK, TimeWindow, next_cron_time
from pipeline.storage import FetchState, SourceRecord

JOBS_MODULE = "newsmon.daemon.jobs"


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: explicit id, the job function's textual reference, its trigger."""

    id: str
    function: str
    """``module:function`` of a module-level job function (APScheduler's textual reference)."""
    args: tuple[str, ...]
    trigger: str
    """The trigger kind: ``interval``; for sources also ``window`` (an interval inside a daily
    window of local time) or ``cron``."""
    seconds: int
    jitter: int | None
    first_run: datetime
    misfire_grace_time: int
    cron: str | None = None
    window: str | None = None
    timezone: str = "UTC"


def plan_jobs(
    settings: Settings,
    sources: Sequence[SourceRecord],
    now: datetime,
    states: Mapping[str, FetchState] | None = None,
    last_runs: Mapping[str, datetime | None] | None = None,
) -> list[JobSpec]:
    """A crawl job per enabled source, then process, deliver, digests and maintenance (on
    SQLite, and on PostgreSQL when articles have a retention age). ``last_runs`` (job id ->
    last run, as the daemon recorded it) lets an overdue maintenance, or one that never ran,
    catch up at start (put off by a day at each start, it would never run on a daemon
    restarted daily)."""
    daemon = daemon_settings(settings)
    grace = daemon.misfire_grace_time
    known = states or {}
    enabled = sorted((s for s in sources if s.enabled), key=lambda s: s.name)
    jobs = [
        _crawl_job(settings, source, known.get(source.name), now, index)
        for index, source in enumerate(enabled)
    ]
    jobs.append(_job("process", "process_pending", daemon.process_interval, now, grace))
    jobs.append(_job("deliver", "deliver_alerts", daemon.deliver_interval, now, grace))
    jobs.append(_job("digests", "send_digests", daemon.digest_check_interval, now, grace))
    if settings.database_url.startswith("sqlite") or daemon.retention > 0:
        last = (last_runs or {}).get("maintenance")
        first = now if last is None else max(
            now, last + timedelta(seconds=daemon.maintenance_interval))
        jobs.append(_job("maintenance", "run_maintenance", daemon.maintenance_interval, first,
                         grace))
    return jobs


def crawl_interval(settings: Settings, source: SourceRecord) -> int:
    """The source's interval, never below ``crawler.min_interval``."""
    return max(source.interval_seconds, settings.crawler.min_interval)


def next_due(interval_seconds: int, state: FetchState | None) -> datetime | None:
    """When a source is next due: an interval after its last poll, or later if it was paused."""
    if state is None:
        return None
    candidates = [state.next_poll_at] if state.next_poll_at else []
    if state.last_polled_at is not None:
        candidates.append(state.last_polled_at + timedelta(seconds=interval_seconds))
    return max(candidates) if candidates else None


def is_due(interval_seconds: int, state: FetchState | None, now: datetime) -> bool:
    """Due now, allowing a tenth of the interval (at most a minute) of slack for cron users."""
    due = next_due(interval_seconds, state)
    slack = timedelta(seconds=min(interval_seconds // 10, 60))
    return due is None or due - slack <= now


def source_is_due(settings: Settings, source: SourceRecord, state: FetchState | None,
                  now: datetime) -> bool:
    """Whether ``run --once`` polls ``source`` now: its interval has passed (a cron time has
    come since its last poll, for cron sources), it is not paused, and ``now`` lies in its
    window."""
    if source.cron is not None:
        return source_next_due(settings, source, state, now) <= now
    if source.window is not None and not TimeWindow.parse(
            source.window, source.timezone).contains(now):
        return False
    return is_due(crawl_interval(settings, source), state, now)


def source_next_due(settings: Settings, source: SourceRecord, state: FetchState | None,
                    now: datetime) -> datetime:
    """When ``source`` is next due (``now`` or earlier when it is overdue), by its schedule:
    an interval after its last poll, inside its window, or its next cron time; never before a
    backoff or Retry-After pause ends."""
    paused = state.next_poll_at if state is not None else None
    if source.cron is not None:
        polled = state.last_polled_at if state is not None else None
        due = next_cron_time(source.cron, source.timezone, polled or now - CRON_LOOKBACK)
    else:
        due = next_due(crawl_interval(settings, source), state) or now
    due = max(due, paused) if paused is not None else due
    if source.window is not None:
        due = TimeWindow.parse(source.window, source.timezone).next_opening(max(due, now))
    return due


def _crawl_job(
    settings: Settings, source: SourceRecord, state: FetchState | None, now: datetime, index: int
) -> JobSpec:
    daemon = daemon_settings(settings)
    interval = crawl_interval(settings, source)
    staggered = now + timedelta(seconds=index * daemon.crawl_stagger)
    first = max(staggered, source_next_due(settings, source, state, now))
    jitter = min(daemon.crawl_jitter, interval // 4) or None
    kind = "cron" if source.cron else "window" if source.window else "interval"
    return JobSpec(f"crawl:{source.name}", f"{JOBS_MODULE}:crawl_source", (source.name,),
                   kind, interval, jitter, first, daemon.misfire_grace_time, cron=source.cron,
                   window=source.window, timezone=source.timezone)


def _job(job_id: str, function: str, seconds: int, first: datetime, grace: int) -> JobSpec:
    return JobSpec(job_id, f"{JOBS_MODULE}:{function}", (), "interval", seconds, None, first,
                   grace)
