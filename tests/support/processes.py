"""Helpers for tests that run newsmon in a subprocess."""

from __future__ import annotations

import subprocess
from typing import Any


def kill_if_running(process: subprocess.Popen[Any]) -> None:
    """Kill ``process`` and reap it if it is still running (a test's clean-up after a failure)."""
    if process.poll() is None:
        process.kill()
        process.wait()
