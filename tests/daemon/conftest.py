"""Fixtures of the daemon tests: a real local HTTP server whose routes each test sets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http import RouteServer


@pytest.fixture
def server() -> Iterator[RouteServer]:
    """A route server on 127.0.0.1, stopped after the test."""
    running = RouteServer().start()
    yield running
    running.stop()
