"""Fixtures of the alerts tests: one real webhook receiver per module, reset for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.delivery_support import Receiver


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, started once per test module."""
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    """The module's receiver with no canned replies and an empty request log."""
    receiver_server.reset()
    return receiver_server
