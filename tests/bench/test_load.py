"""Smoke test of ``bench/load.py``: a small load run (a few sources and subscriptions, half a
minute) against the real daemon drops and doubles nothing, and the report prints its figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import main

pytestmark = pytest.mark.slow


def test_a_small_load_run_drops_nothing(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    code = main(["--sources", "6", "--subscriptions", "60", "--topics", "12", "--period", "8",
                 "--interval", "4", "--minutes", "0.25", "--drain", "180",
                 "--home", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "checks: nothing dropped, nothing doubled" in printed, printed
    assert code == 0, printed
    for figure in ("stored/min", "outbox lag", "errors: rejections 0", "daemon RSS"):
        assert figure in printed, printed
