"""`newsmon status` tells whether a daemon holds the database's lock (and its pid), when a failing
source is polled again, and no next run of a daemon that is not running."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from config import SourceSpec, load_settings
from newsmon.cli import app
from newsmon.daemon.lock import acquire_daemon_lock
from pipeline.dates import utc_now
from pipeline.storage import Storage
from pipeline.storage.records import PollRecord
from tests.support.db import sqlite_url


def test_status_reports_a_running_daemon(tmp_path: Path) -> None:
    env = {"NEWSMON_HOME": str(tmp_path)}
    runner = CliRunner()
    idle = runner.invoke(app, ["status", "--json"], env=env)
    assert json.loads(idle.stdout)["daemon"] == "not running"
    lock = acquire_daemon_lock(load_settings(home=tmp_path, env={}))
    assert not isinstance(lock, str)
    try:
        busy = runner.invoke(app, ["status", "--json"], env=env)
        assert json.loads(busy.stdout)["daemon"].startswith("running")
    finally:
        lock.release()


def _home_with_a_paused_source_and_past_runs(home: Path) -> None:
    """A source that failed once and was told to retry in 2.5 hours; a crawl job whose next run,
    as recorded by the daemon that stopped, is long past."""
    storage = Storage.open(sqlite_url(home))
    try:
        storage.upgrade()
        now = utc_now()
        storage.sources.add(SourceSpec(name="busy", url="https://busy.example/feed.xml"), now)
        storage.sources.record_poll("busy", PollRecord(
            at=now, succeeded=False, status_code=503, error="HTTP 503 from the feed",
            next_poll_at=now + timedelta(hours=2, minutes=30),
            next_poll_reason="server asked to retry after 9000s"))
        storage.job_runs.record("crawl:busy", "ok", at=now - timedelta(hours=3),
                                next_run_at=now - timedelta(hours=2, minutes=59))
    finally:
        storage.close()


def test_status_says_when_a_failing_source_is_polled_again(tmp_path: Path) -> None:
    _home_with_a_paused_source_and_past_runs(tmp_path)

    shown = CliRunner().invoke(app, ["status"], env={"NEWSMON_HOME": str(tmp_path)})

    assert shown.exit_code == 0, shown.output
    [line] = [line for line in shown.stdout.splitlines() if line.strip().startswith("busy:")]
    assert "1 failure," in line and "1 failures" not in line
    assert "next poll in 2h (server asked to retry after 9000s)" in line


def test_status_of_a_stopped_daemon_shows_no_stale_next_runs(tmp_path: Path) -> None:
    _home_with_a_paused_source_and_past_runs(tmp_path)
    env = {"NEWSMON_HOME": str(tmp_path)}

    stopped = CliRunner().invoke(app, ["status"], env=env)
    lock = acquire_daemon_lock(load_settings(home=tmp_path, env={}))
    assert not isinstance(lock, str)
    try:
        running = CliRunner().invoke(app, ["status"], env=env)
    finally:
        lock.release()

    [job] = [line for line in stopped.stdout.splitlines() if "job crawl:busy" in line]
    assert "next" not in job and "ago" in job  # the last run is history; a next run is not
    assert stopped.stdout.startswith("daemon:    not running\n")
    [job] = [line for line in running.stdout.splitlines() if "job crawl:busy" in line]
    assert "next 2h ago" in job  # a running daemon that is late: shown as it is
    assert running.stdout.startswith(f"daemon:    running (pid {os.getpid()})\n")


def test_status_lines_are_not_broken_in_a_pipe(tmp_path: Path) -> None:
    """A narrow or absent terminal must not cut lines in two (scripts grep them)."""
    _home_with_a_paused_source_and_past_runs(tmp_path)

    shown = CliRunner().invoke(app, ["status"], env={"NEWSMON_HOME": str(tmp_path),
                                                     "COLUMNS": "40"})

    assert all(line.startswith((" ", "daemon:", "home:", "database:", "schema:", "sources:",
                                "articles:", "tagging:", "alerts:"))
               for line in shown.stdout.splitlines())


def test_status_lists_no_crawl_job_of_a_removed_or_disabled_source(tmp_path: Path) -> None:
    _home_with_a_paused_source_and_past_runs(tmp_path)
    storage = Storage.open(sqlite_url(tmp_path))
    try:
        now = utc_now()
        storage.sources.add(SourceSpec(name="off", url="https://off.example/feed.xml"), now)
        storage.sources.set_enabled("off", False)
        for job_id in ("crawl:off", "crawl:removed", "process"):
            storage.job_runs.record(job_id, "ok", at=now, next_run_at=now + timedelta(hours=1))
    finally:
        storage.close()

    shown = CliRunner().invoke(app, ["status", "--json"], env={"NEWSMON_HOME": str(tmp_path)})

    listed = [job["job_id"] for job in json.loads(shown.stdout)["jobs"]]
    assert listed == ["crawl:busy", "process"]


def test_status_leaves_the_lock_file_of_a_stopped_daemon_alone(tmp_path: Path) -> None:
    """Looking must not write: status once put its own pid in daemon.lock (and made the file)."""
    (tmp_path / "daemon.lock").write_text("4242\n")

    shown = CliRunner().invoke(app, ["status", "--json"], env={"NEWSMON_HOME": str(tmp_path)})

    assert json.loads(shown.stdout)["daemon"] == "not running"
    assert (tmp_path / "daemon.lock").read_text() == "4242\n"
    (tmp_path / "daemon.lock").unlink()
    CliRunner().invoke(app, ["status"], env={"NEWSMON_HOME": str(tmp_path)})
    assert not (tmp_path / "daemon.lock").exists()
