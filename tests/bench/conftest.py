"""Fixtures of the benchmark tests: the benchmarks set process-wide environment variables when run
as scripts (a webhook signing key for their local receiver); under pytest that must not outlive
the test, or later tests would see a key they never configured."""

from __future__ import annotations

import pytest

from alerts.channels.webhook import SIGNING_KEY_ENV


@pytest.fixture(autouse=True)
def _own_signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the key through monkeypatch, so that whatever a benchmark writes over it is undone."""
    monkeypatch.setenv(SIGNING_KEY_ENV, "bench-test-signing-key-" + "k" * 24)
