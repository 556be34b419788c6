"""Fault: a second daemon started against a database that a running daemon already serves.

Both are real ``newsmon run`` processes. The second one (a full daemon or ``run --once``) exits
with status 1 and says that another daemon runs, without touching the database, on SQLite (the
lock file in the data directory) and on PostgreSQL (an advisory lock per schema, so two data
directories naming one schema still collide). Once the first has stopped, a new one starts.
The in-process lock tests are ``tests/daemon/test_lock.py``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.daemon_support import NEWSMON, DaemonProcess
from tests.support.db import postgres_schema_url, sqlite_url

pytestmark = pytest.mark.slow
QUIET = {"NEWSMON_NLP__NER_MODEL": "", "NEWSMON_LOGGING__LEVEL": "INFO"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield {"NEWSMON_DATABASE_URL": sqlite_url(tmp_path / "shared")}
        return
    with postgres_schema_url() as url:
        yield {"NEWSMON_DATABASE_URL": url}


def run_once(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEWSMON, "--home", str(home), "run", "--once"],
                          env={**os.environ, **QUIET, **env}, capture_output=True,
                          text=True, check=False, timeout=120)


def test_the_second_daemon_refuses_while_the_first_runs(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    url = database_env["NEWSMON_DATABASE_URL"]
    first_home = tmp_path / "first"
    # on SQLite the lock lives in the data directory: the second daemon shares the home
    second_home = first_home if url.startswith("sqlite") else tmp_path / "second"
    env = {**QUIET, **database_env}
    first = DaemonProcess(first_home, env)
    try:
        assert first.marker("newsmon daemon running").wait(60), first.output()
        full = DaemonProcess(second_home, env)
        full_code = full.process.wait(60)
        once = run_once(second_home, env)
    finally:
        assert first.stop() == 0, first.output()
    assert full_code == 1, full.output()
    assert "another newsmon daemon" in full.output()
    assert once.returncode == 1 and "another newsmon daemon" in once.stderr
    assert "newsmon daemon running" not in full.output()
    after = run_once(second_home, env)  # the lock is free again once the first has stopped
    assert after.returncode == 0, after.stderr
