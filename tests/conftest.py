"""Fixtures shared by every test package: where the shared test data lives, a fixed clock, the
bundled catalog and a rules-only tagger (built once per session for every package that tags)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.catalog import Catalog, load_catalog
from config.settings import NlpSettings
from pipeline.nlp.tagger import Tagger
from pipeline.storage import Storage
from tests.support.db import postgres_schema_url, sqlite_url

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The read-only ``shared/data`` beside the checkout (or ``$NEWSMON_SHARED_DATA``)."""
    configured = os.environ.get("NEWSMON_SHARED_DATA")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise RuntimeError(f"shared test data not found at {path}; set NEWSMON_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data`` (feeds, pages, the extraction benchmark)."""
    return shared_data_dir()


@pytest.fixture
def fixed_now() -> datetime:
    """A frozen 'now' for code that takes a clock value."""
    return datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, then a fresh schema on the real PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with postgres_schema_url() as url:
        yield url


@pytest.fixture
def storage(database_url: str) -> Iterator[Storage]:
    """A migrated :class:`Storage` on each backend of the contract suite."""
    opened = Storage.open(database_url)
    opened.upgrade()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The bundled entity catalog."""
    return load_catalog()


@pytest.fixture(scope="session")
def rules_tagger(catalog: Catalog) -> Tagger:
    """The real tagger without the statistical NER (fast, deterministic)."""
    return Tagger.build(catalog, NlpSettings(ner_model=""))
