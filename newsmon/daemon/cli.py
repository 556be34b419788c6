"""``newsmon run [--once]``: the daemon's command, with the reactor on the main thread.

Where it sits: the shell. It takes the one-daemon-per-database lock, opens the app, installs
Twisted's asyncio reactor and runs it on the main thread; on the reactor's loop it either starts
the scheduler (until SIGTERM or SIGINT; SIGHUP reloads sources and subscriptions) or, with
``--once``, runs every due job once and stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Protocol

import typer
from rich.markup import escape
from twisted.internet.error import CannotListenError

from alerts.outbox import OutboxReport
from config import load_settings
from crawler.reactor import install_asyncio_reactor
from crawler.runner import CrawlReport
from crawler.types import PollOutcome
from newsmon.app import App, AppOptions, ProcessReport
from newsmon.daemon.jobs import (
    JobContext,
    crawl_due,
    deliver_alerts,
    process_pending,
    run_maintenance,
    send_digests,
)
from newsmon.daemon.lock import DaemonLock, DatabaseFile, acquire_daemon_lock
from newsmon.daemon.service import Daemon
from newsmon.output import console, counted, errors
from newsmon.web import WebServer, start_web_server
from pipeline.storage.engine import database_problem

logger = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
LOCK_CHECK_SECONDS = 30.0
"""How often the running daemon verifies it still holds its lock (PostgreSQL restarts free it)
and that its SQLite file is still the one it opened."""


def run_command(
    context: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run every due job once, then exit (for cron).")
    ] = False,
) -> None:
    """Run the daemon: crawl each source on its interval, process, deliver, until stopped."""
    # A reload before the daemon's handler is in must not end the process (SIGHUP's default
    # action), which systemd would count as a clean stop.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    options: AppOptions = context.obj
    settings = load_settings(home=options.home, config_file=options.config_file)
    lock = acquire_daemon_lock(settings)
    if isinstance(lock, str):
        errors.print(f"[red]error:[/red] {escape(lock)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    try:
        with App.from_settings(settings, upgrade=True) as application:
            code = run_on_reactor(application, once=once, lock=lock)
    finally:
        lock.release()
    if code:
        raise typer.Exit(code)


def run_on_reactor(application: App, *, once: bool, lock: DaemonLock | None = None) -> int:
    """Run the reactor on this (the main) thread until the daemon or the one pass ends."""
    loop = install_asyncio_reactor()
    from twisted.internet import reactor as installed

    reactor: Any = installed
    job_context = JobContext(application)
    exit_code: list[int] = []

    async def main() -> None:
        try:
            if once:
                exit_code.append(await run_once(job_context))
            else:
                exit_code.append(await run_daemon(job_context, loop, lock))
        except Exception as error:
            problem = database_problem(error)
            if problem is None:
                logger.exception("the daemon failed")
            else:  # locked, down or unreachable: the operator's to fix, not a bug
                logger.error("the daemon stopped: cannot use the database: %s", problem)
            exit_code.append(1 if problem is None else 2)
        finally:
            reactor.stop()

    tasks: set[asyncio.Task[None]] = set()
    reactor.callWhenRunning(lambda: tasks.add(loop.create_task(main())))
    reactor.run(installSignalHandlers=False)
    return exit_code[0] if exit_code else 0


async def run_daemon(
    job_context: JobContext, loop: asyncio.AbstractEventLoop, lock: DaemonLock | None = None,
) -> int:
    """Start the scheduler; after SIGTERM or SIGINT (0), or once the daemon lock was lost to
    another daemon or the SQLite database file was deleted or replaced (1), stop it cleanly
    and return the exit code."""
    daemon = Daemon(job_context, loop)
    stop_requested, hurry = asyncio.Event(), asyncio.Event()
    lost: list[str] = []
    database = DatabaseFile.of(job_context.app.settings)
    checks = [check for check in (lock, database) if check is not None]
    watchdog = loop.create_task(watch_lock(checks, stop_requested, lost)) if checks else None
    reloads: set[asyncio.Task[None]] = set()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, request_stop, daemon, stop_requested, hurry)
    loop.add_signal_handler(signal.SIGHUP, request_reload, daemon, reloads)
    web: WebServer | None = None
    try:
        specs = daemon.start()
        web = start_web(job_context.app)
        announce(job_context.app, f"newsmon daemon running (pid {os.getpid()}): {len(specs)} "
                 "jobs; reload sources with SIGHUP; stop with SIGTERM or Ctrl-C")
        await stop_requested.wait()
        logger.info("stop requested" if not lost else "stopping: %s", *lost)
        if reloads:
            await asyncio.gather(*reloads)
        await daemon.stop(hurry)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        for signum in (*STOP_SIGNALS, signal.SIGHUP):
            loop.remove_signal_handler(signum)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nor one while it stops
        if web is not None:
            await web.stop()
    announce(job_context.app,
             f"newsmon daemon stopped: {sum(daemon.stats.executed.values())} job runs, "
             f"{sum(daemon.stats.errors.values())} errors, "
             f"{sum(daemon.stats.missed.values())} missed, "
             f"{sum(daemon.stats.skipped.values())} skipped (previous run still going)")
    if lost:
        errors.print(f"error: {lost[0]}", markup=False, highlight=False, soft_wrap=True)
        return 1
    return 0


class Verifiable(Protocol):
    """Something the running daemon must keep: its lock, its database file."""

    def verify(self) -> str | None: ...


async def watch_lock(
    checks: Sequence[Verifiable], stop_requested: asyncio.Event, lost: list[str]
) -> None:
    """Verify the daemon lock (and the SQLite database file) every ``LOCK_CHECK_SECONDS``;
    once the lock is lost to another daemon (two daemons must never run on one database) or
    the database file was deleted or replaced (what the daemon writes would be lost), note why
    and request the stop."""
    while not stop_requested.is_set():
        await asyncio.sleep(LOCK_CHECK_SECONDS)
        for check in checks:
            reason = await asyncio.to_thread(check.verify)
            if reason is not None:
                logger.error("%s", reason)
                lost.append(reason)
                stop_requested.set()
                return


def start_web(application: App) -> WebServer | None:
    """The unsubscribe endpoint on ``[web] listen`` (on the running reactor), or ``None`` when
    it is off. A port that cannot be bound is logged and the daemon runs on without it."""
    settings = application.settings
    address = settings.web.address
    if address is None:
        logger.info("[web] listen is off: the unsubscribe links (%s/unsubscribe/...) are not "
                    "served by this daemon", settings.delivery.public_url.rstrip("/"))
        return None
    try:
        web = start_web_server(application.storage, application.clock, *address,
                               public_url=settings.delivery.public_url)
    except CannotListenError as error:
        logger.error("cannot serve the unsubscribe links on %s: %s", settings.web.listen, error)
        return None
    host, port = web.address
    announce(application, f"unsubscribe links served on {host}:{port} "
                          f"(public address {settings.delivery.public_url})")
    if not settings.delivery.public_url.startswith("https://"):
        logger.warning("delivery.public_url is not https: emails carry no one-click "
                       "unsubscribe (RFC 8058 needs https; see docs/deploy.md)")
    return web


def request_stop(daemon: Daemon, stop_requested: asyncio.Event, hurry: asyncio.Event) -> None:
    """The SIGTERM / SIGINT handler: the first asks for a clean stop (the running jobs finish);
    a second one stops without waiting for the running crawls."""
    if stop_requested.is_set() and not hurry.is_set():
        crawls = sorted(job for job in daemon.context.active if job.startswith("crawl"))
        logger.warning("second stop signal: not waiting for %s",
                       ", ".join(crawls) if crawls else "any crawl")
        hurry.set()
    stop_requested.set()


def request_reload(daemon: Daemon, reloads: set[asyncio.Task[None]]) -> None:
    """The SIGHUP handler: reload sources and subscriptions on the loop; a failed reload is
    logged and the daemon keeps its current schedule."""
    logger.info("reload requested (SIGHUP)")

    async def reload() -> None:
        try:
            await daemon.reload()
        except Exception:
            logger.exception("reload failed; the current schedule stays")

    task = asyncio.get_running_loop().create_task(reload())
    reloads.add(task)
    task.add_done_callback(reloads.discard)


async def run_once(job_context: JobContext) -> int:
    """Crawl the due sources, process, deliver, send due digests, maintain; 1 if any step
    failed (the crawl fails when every source it polled failed, as ``newsmon crawl`` does),
    else 0."""
    steps: list[tuple[str, Callable[[JobContext], Awaitable[object]]]] = [
        ("crawl", crawl_due), ("process", process_pending),
        ("deliver", deliver_alerts), ("digests", send_digests),
        ("maintenance", run_maintenance),
    ]
    failed = []
    for name, step in steps:
        try:
            report = await step(job_context)
            say(f"{name}: {summarise(report)}")
            if isinstance(report, CrawlReport) and every_poll_failed(report):
                errors.print("crawl failed: every source polled failed (the log says why)",
                             soft_wrap=True)
                failed.append(name)
        except Exception as error:
            problem = database_problem(error)
            if problem is None:
                logger.exception("%s failed", name)
            reason = repr(error) if problem is None else f"cannot use the database: {problem}"
            errors.print(f"{name} failed: {reason}", markup=False, soft_wrap=True)
            failed.append(name)
    return 1 if failed else 0


def announce(application: App, text: str) -> None:
    """A line of the daemon's own (started, stopped): on standard output, or with ``[logging]
    json_lines`` as a log record, so a JSON reader of the service's output meets no plain
    text."""
    if application.settings.logging.json_lines:
        logger.info("%s", text)
    else:
        say(text)


def say(text: str) -> None:
    """One line on standard output, never wrapped (a pipe to journald or cron would cut it in
    two at 80 columns)."""
    console.print(text, markup=False, soft_wrap=True)


def every_poll_failed(report: CrawlReport) -> bool:
    """Sources were polled and not one poll succeeded (the network or the database is down)."""
    polled = [r for r in report.results if r.outcome is not PollOutcome.SKIPPED]
    return bool(polled) and all(r.outcome is PollOutcome.FAILED for r in polled)


def summarise(report: object) -> str:
    """A short line about a step's report."""
    if isinstance(report, CrawlReport):
        if not report.results:
            return "no source due"
        return (f"{counted(len(report.results), 'source')} due: "
                f"{report.count(PollOutcome.FETCHED)} fetched, "
                f"{report.count(PollOutcome.UNCHANGED)} unchanged, "
                f"{report.count(PollOutcome.FAILED)} failed; "
                f"{counted(report.new_articles, 'new article')}")
    if isinstance(report, ProcessReport):
        return (f"{report.tagging.tagged} tagged, {report.clustering.clustered} clustered, "
                f"{report.matching.new_alerts} new alerts")
    if isinstance(report, OutboxReport):
        return f"{report.sent} sent, {report.retrying} retrying, {report.dead} dead"
    if isinstance(report, int):
        return f"{report} sent"
    return "done" if report is None else str(report)
