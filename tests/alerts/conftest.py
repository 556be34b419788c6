"""Fixtures of the alerts tests: one real webhook receiver per module, reset for each test; the
session's rules-only tagger as ``tagger``; a migrated SQLite storage for the tests that store
tagged articles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.nlp.tagger import Tagger
from pipeline.storage import Storage
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


@pytest.fixture(scope="session")
def tagger(rules_tagger: Tagger) -> Tagger:
    """The real tagger, rules-only (no statistical NER: fast, deterministic)."""
    return rules_tagger


@pytest.fixture
def sqlite_storage(tmp_path: Path) -> Iterator[Storage]:
    """A migrated SQLite storage in the test's directory, closed afterwards."""
    storage = Storage.open(f"sqlite:///{tmp_path / 'alerts.db'}")
    storage.upgrade()
    yield storage
    storage.close()
