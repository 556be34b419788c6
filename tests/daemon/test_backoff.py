"""A failing source's crawl job waits for its backoff or Retry-After pause: the job's next run
(kept for ``newsmon status``) is the end of the pause, not the next tick of its interval, and no
skipped poll is logged each interval meanwhile. A real crawl on the shared asyncio reactor
against a local server, on SQLite."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from config import SourceSpec
from config.settings import CrawlerSettings, NetworkSettings, NlpSettings, Settings
from crawler.reactor import shared_reactor
from crawler.runner import CrawlReport
from crawler.types import PollOutcome, SourceCrawlResult
from newsmon.app import App
from newsmon.daemon.jobs import JobContext, log_crawl
from newsmon.daemon.service import Daemon
from pipeline.dates import utc_now
from pipeline.storage import FetchState
from tests.support.http import Reply, RouteServer


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model=""),
                        network=NetworkSettings(allow_hosts=("127.0.0.1",)),
                        crawler=CrawlerSettings(download_delay_seconds=0, retry_times=0))
    with App.from_settings(settings, upgrade=True) as opened:
        yield opened


def run_until_polled(app: App, source: str) -> datetime | None:
    """Start the daemon, wait for the source's first crawl to be recorded, stop; the crawl
    job's next run time then."""
    async def scenario() -> datetime | None:
        daemon = Daemon(JobContext(app), asyncio.get_running_loop())
        daemon.start()
        while not any(run.job_id == f"crawl:{source}" for run in app.storage.job_runs.all()):
            await asyncio.sleep(0.05)
        job = daemon.scheduler.get_job(f"crawl:{source}")
        next_run: datetime | None = job.next_run_time
        await daemon.stop()
        return next_run

    return shared_reactor().run(scenario, timeout=60)


def test_the_crawl_job_of_a_source_told_to_retry_later_waits_until_then(
    app: App, server: RouteServer, caplog: pytest.LogCaptureFixture,
) -> None:
    server.route("/feed.xml", Reply(503, b"busy", {"Retry-After": "3600"}))
    spec = SourceSpec(name="busy", url=server.url("/feed.xml"), interval="5m")  # type: ignore[arg-type]
    assert app.storage.sources.add(spec, utc_now()) is not None

    with caplog.at_level(logging.INFO):
        next_run = run_until_polled(app, "busy")

    paused_until = app.storage.sources.fetch_state("busy").next_poll_at
    assert paused_until is not None and paused_until > utc_now() + timedelta(minutes=55)
    assert next_run is not None and next_run >= paused_until  # not in 5 minutes
    [run] = [run for run in app.storage.job_runs.all() if run.job_id == "crawl:busy"]
    assert run.next_run_at is not None and run.next_run_at >= paused_until  # what status shows
    [failed] = [r for r in caplog.records if r.getMessage().startswith("crawl busy: failed")]
    assert failed.levelno == logging.WARNING
    assert "next poll at" in failed.getMessage() and "retry after 3600s" in failed.getMessage()


def test_a_failing_source_backs_off_in_the_schedule_too(app: App, server: RouteServer) -> None:
    server.route("/feed.xml", Reply(404, b"gone"))
    spec = SourceSpec(name="gone", url=server.url("/feed.xml"), interval="1m")  # type: ignore[arg-type]
    assert app.storage.sources.add(spec, utc_now()) is not None

    next_run = run_until_polled(app, "gone")

    state = app.storage.sources.fetch_state("gone")
    assert state.consecutive_failures == 1 and state.next_poll_at is not None
    assert next_run is not None and next_run >= state.next_poll_at  # backoff 5m, not 1m


def test_a_failure_line_names_only_a_pause_this_poll_set(caplog: pytest.LogCaptureFixture) -> None:
    """A poll that failed without recording its outcome (the database was locked) leaves an
    older, already ended pause in the source's state: it is not the next poll."""
    started = utc_now()
    report = CrawlReport((SourceCrawlResult("gone", PollOutcome.FAILED,
                                            errors=("the poll did not complete",)),),
                         started, started + timedelta(seconds=5))
    ended = FetchState(next_poll_at=started - timedelta(minutes=10), next_poll_reason="backoff")
    current = FetchState(next_poll_at=started + timedelta(minutes=5), next_poll_reason="backoff")

    with caplog.at_level(logging.INFO):
        log_crawl(report, {"gone": ended})
        log_crawl(report, {"gone": current})

    stale, fresh = (record.getMessage() for record in caplog.records)
    assert "next poll" not in stale
    assert f"next poll at {current.next_poll_at:%Y-%m-%d %H:%M} UTC (backoff)" in fresh
