"""Fixtures of the alerts tests: one real webhook receiver per module, reset for each test; the
bundled catalog and a rules-only tagger, built once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.catalog import Catalog, load_catalog
from config.settings import NlpSettings
from pipeline.nlp.tagger import Tagger
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
def catalog() -> Catalog:
    """The bundled entity catalog."""
    return load_catalog()


@pytest.fixture(scope="session")
def tagger(catalog: Catalog) -> Tagger:
    """The real tagger, rules-only (no statistical NER: fast, deterministic)."""
    return Tagger.build(catalog, NlpSettings(ner_model=""))
