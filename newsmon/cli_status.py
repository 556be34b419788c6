"""``newsmon status``: what an operator checks first."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from newsmon.app import App
from newsmon.daemon.lock import acquire_daemon_lock
from newsmon.output import ago, console, literal, print_json, to_jsonable

OUTBOX_STATES = ("pending", "retrying", "sent", "dead")


def daemon_state(application: App) -> str:
    """``running (...)`` when a daemon holds this database's lock, else ``not running``."""
    lock = acquire_daemon_lock(application.settings)
    if isinstance(lock, str):
        return f"running ({lock})"
    lock.release()
    return "not running"


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
        jobs = storage.job_runs.all() if current else []
    failing = [h for h in health if h.state.consecutive_failures]
    daemon = daemon_state(application)
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
    console.print(f"daemon:    {daemon}")
    console.print(f"home:      {status['home']}")
    console.print(f"database:  {status['database']}")
    schema_note = "" if revision == head else "  [yellow](run `newsmon db upgrade`)[/yellow]"
    console.print(f"schema:    {revision or 'empty'} (newest {head}){schema_note}")
    console.print(f"sources:   {status['sources_enabled']} enabled of {status['sources']}, "
                  f"{len(failing)} failing")
    for item in failing:
        console.print(f"  [red]{item.source.name}[/red]: {item.state.consecutive_failures} "
                      f"failures, last: {literal(item.last_error)}", markup=True)
    console.print(f"articles:  {total} stored, {recent} in the last 24 h; last successful poll "
                  f"{ago(status['last_success_at'], now)}")  # type: ignore[arg-type]
    console.print(f"tagging:   {untagged} articles waiting to be tagged")
    for job in jobs:
        failed = job.last_outcome == "error" and job.last_error
        error = f" ({(job.last_error or '')[:80]})" if failed else ""
        console.print(f"  job {job.job_id}: last {job.last_outcome or '-'} "
                      f"{ago(job.last_run_at, now)}{error}, next {ago(job.next_run_at, now)}; "
                      f"{job.runs} runs, {job.errors} errors, {job.missed} missed", markup=False)
    counts = ", ".join(f"{outbox.get(state, 0)} {state}" for state in OUTBOX_STATES)
    console.print(f"alerts:    {status['subscriptions']} subscriptions "
                  f"({status['subscriptions_paused']} paused); outbox: {counts}", markup=False)
