"""Fault 7, downtime: the real daemon, stopped for three hours across the daily digest time,
catches each job up once and sends the missed digest once.

The data directory is prepared as a daemon stopped three hours ago leaves it: every job's last
run three hours back (maintenance's a day back, so it is overdue), yesterday's digest already
sent, and alerts of the day whose digest time passed during the stop. Then ``newsmon run`` (a
subprocess) starts, runs until the digest reached a real webhook receiver, and is stopped; a
second start must send nothing again. Job-level variants (three days down, hourly digests, DST)
are in ``tests/daemon/test_digest_catchup.py``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.digest_job import due_digest_day, local_day_period
from newsmon.daemon.cli import LOCK_CHECK_SECONDS
from pipeline.storage.subscriptions import NewSubscription
from tests.alerts.delivery_support import Receiver
from tests.daemon.test_digest_catchup import matched, sent_day
from tests.reliability.daemon_support import DaemonProcess, open_home_storage
from tests.reliability.fault_support import SIGNING_KEY

ENVIRONMENT = {"NEWSMON_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "NEWSMON_ALLOW_HOSTS": "127.0.0.1",
               "NEWSMON_NLP__NER_MODEL": "", "NEWSMON_LOGGING__LEVEL": "INFO"}
JOBS = ("process", "deliver", "digests", "maintenance")
"""The daemon's jobs on SQLite without sources (crawl catch-up: tests/daemon/test_plan.py)."""
STOPPED_LINE = re.compile(r"newsmon daemon stopped: (\d+) job runs, (\d+) errors, (\d+) missed")


def prepare_stopped_home(home: Path, receiver: Receiver, now: datetime) -> tuple[str, datetime]:
    """A data directory as a daemon stopped three hours ago left it; returns the key of the
    digest that fell due during the stop and where its period starts."""
    storage = open_home_storage(home)
    try:
        digest_time = (now - timedelta(minutes=90)).strftime("%H:%M")  # passed while stopped
        day = due_digest_day(now, "UTC", digest_time)
        start, end = local_day_period(day, "UTC")
        subscription = storage.subscriptions.add(NewSubscription(
            name="meta-daily", query="company:Meta", frequency="daily", digest_time=digest_time,
            timezone="UTC", channels=(("webhook", receiver.url("/digest")),)),
            start - timedelta(days=3))
        assert subscription is not None
        sent_day(storage, subscription, (day - timedelta(days=1)).isoformat(),
                 start - timedelta(days=1), start)
        matched(storage, subscription, "Meta ships a model", start + timedelta(hours=2))
        matched(storage, subscription, "Meta shares rise", end - timedelta(hours=1))
        stopped = now - timedelta(hours=3)
        for job in JOBS:
            last = stopped - (timedelta(days=1) if job == "maintenance" else timedelta(0))
            storage.job_runs.record(job, "ok", at=last, next_run_at=stopped)
        return day.isoformat(), start
    finally:
        storage.close()


def run_daemon_until(
    home: Path, done: Callable[[], object], seconds: float = 90
) -> tuple[int, str]:
    """Start ``newsmon run``, wait until ``done()`` holds (or ``seconds``), let it settle, stop
    it with SIGTERM; its exit code and output."""
    daemon = DaemonProcess(home, ENVIRONMENT)
    try:
        assert daemon.marker("newsmon daemon running").wait(60), daemon.output()
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # anything more it would do now (a second digest, a second run) shows
    finally:
        code = daemon.stop()
    return code, daemon.output()


def job_counts(output: str) -> tuple[int, int, int]:
    found = STOPPED_LINE.search(output)
    assert found is not None, output
    runs, errors, missed = (int(value) for value in found.groups())
    return runs, errors, missed


def test_three_hours_down_across_the_digest_time_one_catch_up_per_job_and_one_digest(
    tmp_path: Path,
) -> None:
    assert LOCK_CHECK_SECONDS >= 30  # the lock watchdog is no job; it must not show up here
    receiver = Receiver().start()
    try:
        home = tmp_path / "home"
        key, period_start = prepare_stopped_home(home, receiver, datetime.now(UTC))

        code, output = run_daemon_until(home, lambda: receiver.requests("/digest"))

        assert code == 0, output
        [digest] = [json.loads(request.body) for request in receiver.requests("/digest")]
        assert sorted(story["headline"] for story in digest["stories"]) == [
            "Meta shares rise", "Meta ships a model"]
        assert datetime.fromisoformat(digest["period"]["start"]) == period_start
        assert job_counts(output) == (len(JOBS), 0, 0)  # each job caught up once, none missed

        storage = open_home_storage(home)
        try:
            runs = {run.job_id: run for run in storage.job_runs.all()}
            assert {job: runs[job].runs for job in JOBS} == dict.fromkeys(JOBS, 2)  # before + 1
            subscription = storage.subscriptions.get("meta-daily")
            assert subscription is not None
            stored = storage.digests.get(subscription.id, key)
            assert stored is not None and stored.sent_at is not None
        finally:
            storage.close()

        code, output = run_daemon_until(home, lambda: False, seconds=2)  # restarted at once

        assert code == 0, output
        assert len(receiver.requests("/digest")) == 1  # the digest is never sent twice
    finally:
        receiver.stop()
