"""Waking jobs: queued deliveries wake the delivery job, and a wake that comes while the job is
running is not lost -- the job runs once more when it ends (no waiting for its next tick)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from config.settings import NlpSettings, Settings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext
from newsmon.daemon.plan import JobSpec
from newsmon.daemon.service import Daemon, add_job

RUNS: list[str] = []
GATES: dict[str, asyncio.Event] = {}


async def deliver_slowly(context: JobContext) -> None:
    """A stand-in delivery job: the first run waits until the test lets it end."""
    async with context.job("deliver"):
        RUNS.append("deliver")
        if len(RUNS) == 1:
            await GATES["first run may end"].wait()


def hourly(job_id: str, function: str, first_run: datetime) -> JobSpec:
    return JobSpec(job_id, f"tests.daemon.test_wake:{function}", (), "interval", 3600, None,
                   first_run, 60)


def test_deliveries_wake_the_delivery_job_even_while_it_runs(tmp_path: Path) -> None:
    async def scenario() -> None:
        RUNS.clear()
        GATES["first run may end"] = asyncio.Event()
        settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model=""))
        with App.from_settings(settings, upgrade=True) as app:
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            add_job(daemon.scheduler, hourly("deliver", "deliver_slowly", datetime.now(UTC)),
                    daemon.context)
            daemon.scheduler.start()
            while RUNS != ["deliver"]:
                await asyncio.sleep(0.01)
            assert daemon.context.on_new_deliveries is not None
            daemon.context.on_new_deliveries(3)  # processing queued 3 deliveries meanwhile
            GATES["first run may end"].set()
            await asyncio.wait_for(_until(lambda: len(RUNS) == 2), 10)
            next_run = daemon.scheduler.get_job("deliver").next_run_time
            assert (next_run - datetime.now(UTC)).total_seconds() > 3000  # back on its tick
            daemon.context.on_new_deliveries(1)  # an idle job is brought forward at once
            await asyncio.wait_for(_until(lambda: len(RUNS) == 3), 10)
            await daemon.stop()

    asyncio.run(scenario())
    assert RUNS == ["deliver", "deliver", "deliver"]


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)
