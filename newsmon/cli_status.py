"""``newsmon status``: what an operator checks first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from newsmon.app import App
from newsmon.daemon.lock import daemon_lock_owner
from newsmon.output import ago, console, counted, print_json, to_jsonable
from pipeline.storage import SourceHealth
from pipeline.storage.job_runs import JobRun

OUTBOX_STATES = ("pending", "retrying", "sent", "dead")


def outbox_hint(outbox: dict[str, int]) -> str:
    """Where to read why deliveries failed, when some did."""
    commands = [f"`newsmon alerts {state}`" for state in ("retrying", "dead")
                if outbox.get(state)]
    return f" (see {' and '.join(commands)})" if commands else ""


def daemon_state(application: App) -> str:
    """``running (pid 4242)`` when a daemon holds this database's lock, else ``not running``."""
    owner = daemon_lock_owner(application.settings)
    return "not running" if owner is None else f"running ({owner})"


def scheduled_jobs(jobs: list[JobRun], health: list[SourceHealth]) -> list[JobRun]:
    """The daemon's records of the jobs it schedules: not the crawl jobs of sources removed or
    disabled since (their records stay, with a next run that will not come)."""
    polled = {f"crawl:{item.source.name}" for item in health if item.source.enabled}
    return [job for job in jobs if not job.job_id.startswith("crawl:") or job.job_id in polled]


def print_line(text: str) -> None:
    """One status line, never cut in two (a pipe or a narrow terminal; scripts grep them)."""
    console.print(text, markup=False, soft_wrap=True)


def failing_source_line(item: SourceHealth, now: datetime) -> str:
    """``  name: 2 failures, last: <error>; next poll in 9m (<reason>)``."""
    state = item.state
    line = (f"  {item.source.name}: {counted(state.consecutive_failures, 'failure')}, "
            f"last: {item.last_error or '-'}")
    if state.next_poll_at is not None and state.next_poll_at > now:
        line += f"; next poll {ago(state.next_poll_at, now)} ({state.next_poll_reason or 'paused'})"
    return line


def job_line(job: JobRun, now: datetime, *, running: bool) -> str:
    """A job's last run and outcome, and its next run while a daemon runs (else it is stale)."""
    failed = job.last_outcome == "error" and job.last_error
    error = f" ({(job.last_error or '')[:80]})" if failed else ""
    upcoming = f", next {ago(job.next_run_at, now)}" if running else ""
    return (f"  job {job.job_id}: last {job.last_outcome or '-'} {ago(job.last_run_at, now)}"
            f"{error}{upcoming}; {counted(job.runs, 'run')}, {counted(job.errors, 'error')}, "
            f"{job.missed} missed")


def status_command(
    context: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Data directory, database, schema, sources' health and recent articles."""
    with App.open(context.obj) as application:
        storage = application.storage
        now = application.clock()
        revision, head = storage.current_revision(), storage.head_revision()
        health = storage.sources.health(now) if revision else []
        recent = storage.articles.count(since=now - timedelta(days=1)) if revision else 0
        total = storage.articles.count() if revision else 0
        current = revision == head
        untagged = storage.tags.count_pending() if current else 0
        outbox = storage.alerts.outbox_counts() if current else {}
        subscriptions = storage.subscriptions.all() if current else []
        jobs = scheduled_jobs(storage.job_runs.all(), health) if current else []
    failing = [h for h in health if h.state.consecutive_failures]
    daemon = daemon_state(application)
    running = daemon != "not running"
    status = {
        "daemon": daemon,
        "home": str(application.settings.home),
        "database": make_url(application.settings.database_url).render_as_string(
            hide_password=True),
        "schema_revision": revision,
        "schema_head": head,
        "sources": len(health),
        "sources_enabled": sum(1 for h in health if h.source.enabled),
        "sources_failing": [h.source.name for h in failing],
        "articles_total": total,
        "articles_last_24h": recent,
        "articles_waiting_to_be_tagged": untagged,
        "subscriptions": len(subscriptions),
        "subscriptions_paused": sum(1 for s in subscriptions if s.paused),
        "outbox": {state: outbox.get(state, 0) for state in OUTBOX_STATES},
        "jobs": [to_jsonable(job) for job in jobs],
        "last_success_at": max((h.last_success_at for h in health if h.last_success_at),
                               default=None),
    }
    if json_output:
        print_json(status)
        return
    print_line(f"daemon:    {daemon}")
    print_line(f"home:      {status['home']}")
    print_line(f"database:  {status['database']}")
    schema_note = "" if revision == head else "  (run `newsmon db upgrade`)"
    print_line(f"schema:    {revision or 'empty'} (newest {head}){schema_note}")
    print_line(f"sources:   {status['sources_enabled']} enabled of {status['sources']}, "
               f"{len(failing)} failing")
    for item in failing:
        print_line(failing_source_line(item, now))
    print_line(f"articles:  {total} stored, {recent} in the last 24 h; last successful poll "
               f"{ago(status['last_success_at'], now)}")  # type: ignore[arg-type]
    print_line(f"tagging:   {counted(untagged, 'article')} waiting to be tagged")
    for job in jobs:
        print_line(job_line(job, now, running=running))
    counts = ", ".join(f"{outbox.get(state, 0)} {state}" for state in OUTBOX_STATES)
    print_line(f"alerts:    {counted(len(subscriptions), 'subscription')} "
               f"({status['subscriptions_paused']} paused); outbox: {counts}"
               f"{outbox_hint(outbox)}")
