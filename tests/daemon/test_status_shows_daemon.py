"""`newsmon status` tells whether a daemon holds the database's lock."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from config import load_settings
from newsmon.cli import app
from newsmon.daemon.lock import acquire_daemon_lock


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
