"""The scheduler side on a plain asyncio loop: APScheduler's rules on every job, errors and
missed runs counted by the listener, and a stop that waits for the running job."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import OperationalError

from config.settings import LoggingSettings, NlpSettings, Settings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext, deliver_alerts, process_pending
from newsmon.daemon.plan import JobSpec
from newsmon.daemon.service import Daemon, DaemonStats, add_job, build_scheduler
from newsmon.logs import HANDLER_NAME, configure_logging


async def succeed(context: JobContext) -> None:
    return None


async def fail(context: JobContext) -> None:
    raise RuntimeError("feed exploded")


async def hang(context: JobContext) -> None:
    async with context.job("crawl:hanging"):
        await asyncio.Event().wait()


async def find_the_database_locked(context: JobContext) -> None:
    raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def spec(job_id: str, function: str, first_run: datetime, grace: int = 60) -> JobSpec:
    return JobSpec(job_id, f"tests.daemon.test_service:{function}", (), "interval", 3600, None,
                   first_run, grace)


def open_app(tmp_path: Path) -> App:
    return App.from_settings(Settings(home=tmp_path, nlp=NlpSettings(ner_model="")),
                             upgrade=True)


def test_listener_counts_runs_errors_and_missed_runs(tmp_path: Path) -> None:
    stats = DaemonStats()

    async def scenario() -> None:
        scheduler = build_scheduler(asyncio.get_running_loop(), stats)
        done = asyncio.Event()
        scheduler.add_listener(lambda _event: done.set() if sum(
            (stats.executed + stats.errors + stats.missed).values()) == 3 else None)
        now = datetime.now(UTC)
        with open_app(tmp_path) as app:
            context = JobContext(app)
            add_job(scheduler, spec("ok", "succeed", now), context)
            add_job(scheduler, spec("bad", "fail", now), context)
            add_job(scheduler, spec("late", "succeed", now - timedelta(seconds=30), grace=1),
                    context)
            job = scheduler.get_job("ok")
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 60)
            scheduler.start()
            await asyncio.wait_for(done.wait(), 10)
            scheduler.shutdown(wait=True)

    asyncio.run(scenario())

    assert stats.executed == {"ok": 1}
    assert stats.errors == {"bad": 1}
    assert stats.missed == {"late": 1}
    assert "feed exploded" in stats.last_error["bad"]


def test_stop_waits_for_the_running_job_then_shuts_the_scheduler_down(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        events: list[str] = []
        with open_app(tmp_path) as app:
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            assert [s.id for s in daemon.start()] == [
                "process", "deliver", "digests", "maintenance"]
            release = asyncio.Event()

            async def slow_job() -> None:
                async with daemon.context.job("slow"):
                    await release.wait()
                    events.append("job finished")

            job = asyncio.create_task(slow_job())
            await asyncio.sleep(0)
            stop = asyncio.create_task(daemon.stop())
            await asyncio.sleep(0.05)
            events.append(f"stop done before release: {stop.done()}")
            release.set()
            await asyncio.wait_for(stop, 10)
            events.append(f"scheduler running: {daemon.scheduler.running}")
            await job
        return events

    assert asyncio.run(scenario()) == [
        "stop done before release: False", "job finished", "scheduler running: False"]


def test_each_jobs_last_run_outcome_and_next_run_are_kept_for_status(tmp_path: Path) -> None:
    async def scenario() -> None:
        with open_app(tmp_path) as app:
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            finished = asyncio.Event()
            daemon.scheduler.add_listener(lambda _event: finished.set() if sum(
                (daemon.stats.executed + daemon.stats.errors).values()) == 2 else None)
            now = datetime.now(UTC)
            add_job(daemon.scheduler, spec("good", "succeed", now), daemon.context)
            add_job(daemon.scheduler, spec("broken", "fail", now), daemon.context)
            daemon.scheduler.start()
            await asyncio.wait_for(finished.wait(), 10)
            await daemon.stop()
            runs = {run.job_id: run for run in app.storage.job_runs.all()}
            assert runs["good"].last_outcome == "ok" and runs["good"].runs == 1
            assert runs["broken"].last_outcome == "error" and runs["broken"].errors == 1
            assert "feed exploded" in (runs["broken"].last_error or "")
            assert runs["good"].next_run_at is not None and runs["good"].next_run_at > now

    asyncio.run(scenario())


def test_a_run_due_while_the_previous_one_is_still_going_is_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A job slower than its interval: APScheduler does not start a second instance; the
    listener counts each skipped run and says so at INFO (APScheduler's own warning is dropped
    by newsmon's log handler)."""
    stats = DaemonStats()
    runs: list[datetime] = []

    async def slow() -> None:
        runs.append(datetime.now(UTC))
        await asyncio.sleep(2.6)

    async def scenario() -> None:
        scheduler = build_scheduler(asyncio.get_running_loop(), stats)
        scheduler.add_job(slow, IntervalTrigger(seconds=1), id="slow", max_instances=1,
                          coalesce=True, misfire_grace_time=60,
                          next_run_time=datetime.now(UTC))
        scheduler.start()
        await asyncio.sleep(2.4)
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0.4)

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())

    assert len(runs) == 1
    assert stats.skipped["slow"] >= 2  # due at +1 s and +2 s while the first run went on
    assert stats.executed == {}
    ours = [r for r in caplog.records if "still running at its next run time" in r.getMessage()]
    assert len(ours) == stats.skipped["slow"] and ours[0].levelno == logging.INFO
    theirs = [r for r in caplog.records if r.name == "apscheduler.scheduler"
              and "maximum number of running instances" in r.getMessage()]
    assert theirs  # APScheduler still emits it ...
    configure_logging(LoggingSettings())
    [installed] = [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]
    assert not installed.filter(theirs[0]) and installed.filter(ours[0])  # ... newsmon drops it
    logging.getLogger().removeHandler(installed)


def test_the_log_has_one_line_per_job_event_and_none_per_routine_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """APScheduler's own lines (each job added, each run started and ended, and its copies of
    errors and missed runs) are not in newsmon's log: the daemon's listener says each once."""
    configure_logging(LoggingSettings())
    [installed] = [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]
    try:
        test_listener_counts_runs_errors_and_missed_runs(tmp_path)
    finally:
        logging.getLogger().removeHandler(installed)
    lines = [line for line in capsys.readouterr().err.splitlines()
             if line[:4].isdigit()]  # log lines, not the lines of a traceback

    assert not [line for line in lines if "apscheduler" in line]
    assert [line for line in lines if "feed exploded" in line and " ERROR " in line] == [
        next(line for line in lines if "job bad failed" in line)]
    [missed] = [line for line in lines if "missed" in line]
    assert "job late missed its run due at" in missed and " WARNING " in missed


def test_a_request_that_failed_after_its_retries_is_told_once_by_the_crawl_line() -> None:
    configure_logging(LoggingSettings())
    [installed] = [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]
    logging.getLogger().removeHandler(installed)
    gave_up = logging.LogRecord("scrapy.downloadermiddlewares.retry", logging.ERROR, __file__, 1,
                                "Gave up retrying %(request)s (failed %(retry_times)d times)",
                                None, None)
    other = logging.LogRecord("scrapy.core.scraper", logging.ERROR, __file__, 1,
                              "Spider error processing %s", None, None)
    assert not installed.filter(gave_up) and installed.filter(other)


def test_processing_and_delivery_runs_with_nothing_to_do_are_not_logged_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """They run every few minutes: an idle daemon would log hundreds of '0 sent' lines a day."""
    with open_app(tmp_path) as app, caplog.at_level(logging.DEBUG, "newsmon.daemon.jobs"):
        context = JobContext(app)
        asyncio.run(process_pending(context))
        asyncio.run(deliver_alerts(context))

    levels = {r.getMessage().partition(":")[0]: r.levelno for r in caplog.records
              if r.getMessage().startswith(("processed:", "delivery:"))}
    assert levels == {"processed": logging.DEBUG, "delivery": logging.DEBUG}


def test_a_job_that_finds_the_database_locked_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a bug but the operator's to fix: the reason, and no traceback."""
    stats = DaemonStats()
    configure_logging(LoggingSettings())
    [installed] = [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]

    async def scenario() -> None:
        scheduler = build_scheduler(asyncio.get_running_loop(), stats)
        done = asyncio.Event()
        scheduler.add_listener(lambda _event: done.set())
        with open_app(tmp_path) as app:
            add_job(scheduler, spec("locked", "find_the_database_locked", datetime.now(UTC)),
                    JobContext(app))
            scheduler.start()
            await asyncio.wait_for(done.wait(), 10)
            scheduler.shutdown(wait=True)

    try:
        asyncio.run(scenario())
    finally:
        logging.getLogger().removeHandler(installed)

    logged = capsys.readouterr().err
    assert stats.errors == {"locked": 1}
    assert "ERROR newsmon.daemon.service: job locked failed: cannot use the database: database " \
           "is locked\n" in logged
    assert "Traceback" not in logged


def test_a_daemon_with_no_source_to_poll_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A fresh data directory without `newsmon init`, or every source disabled: the daemon runs
    but will never fetch anything, and the log says how to change that."""
    async def scenario() -> None:
        with open_app(tmp_path) as app:
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            daemon.start()
            await daemon.stop()

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())

    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage().startswith("no enabled source: nothing will be crawled")
    assert "newsmon sources add" in warning.getMessage()


def test_a_hurried_stop_leaves_a_hanging_crawl_but_waits_for_a_job_in_a_worker_thread(
    tmp_path: Path,
) -> None:
    """A crawl lives on the event loop and ends with it. A job in a worker thread (process,
    digests, maintenance) cannot be interrupted mid-batch, and the interpreter waits for it at exit
    anyway: left running while the app closed under it, it hung the exit (tagging workers
    started into a closing interpreter). So the stop waits for it, and says so."""
    gate = threading.Event()

    async def scenario() -> list[str]:
        events: list[str] = []
        with open_app(tmp_path) as app:
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            daemon.start()

            async def hanging_crawl() -> None:
                async with daemon.context.job("crawl:slow"):
                    await asyncio.Event().wait()

            async def threaded_job() -> None:
                async with daemon.context.job("process"):
                    await asyncio.to_thread(gate.wait, 30)
                    events.append("process finished")

            crawl = asyncio.create_task(hanging_crawl())
            process = asyncio.create_task(threaded_job())
            await asyncio.sleep(0)
            hurry = asyncio.Event()
            hurry.set()  # a second stop signal
            stop = asyncio.create_task(daemon.stop(hurry))
            await asyncio.sleep(0.2)
            events.append(f"stopped before the thread ended: {stop.done()}")
            gate.set()
            await asyncio.wait_for(stop, 10)
            await process
            events.append(f"crawl still hanging: {not crawl.done()}")
            crawl.cancel()
        return events

    try:
        assert asyncio.run(scenario()) == [
            "stopped before the thread ended: False", "process finished",
            "crawl still hanging: True"]
    finally:
        gate.set()


def test_a_crawl_left_unfinished_by_a_hurried_stop_is_a_warning_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        with open_app(tmp_path) as app:
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            add_job(daemon.scheduler, spec("crawl:hanging", "hang", datetime.now(UTC)),
                    daemon.context)
            daemon.scheduler.start()
            while "crawl:hanging" not in daemon.context.active:
                await asyncio.sleep(0.01)
            hurry = asyncio.Event()
            hurry.set()
            await daemon.stop(hurry)
            await asyncio.sleep(0.1)  # the cancelled run reaches the listener

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())

    [line] = [r for r in caplog.records if "crawl:hanging" in r.getMessage()
              and r.name == "newsmon.daemon.service" and r.levelno >= logging.WARNING]
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert line.getMessage() == "job crawl:hanging did not finish: the daemon stopped while it ran"
