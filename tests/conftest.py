"""Fixtures shared by every test package: where the shared test data lives, a fixed clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The read-only ``shared/data`` folder that lies beside the checkout (or $NEWSMON_SHARED_DATA)."""
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
