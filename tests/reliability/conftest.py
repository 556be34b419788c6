"""Fixtures of the reliability suite (issue 6): the bad-input and security fixtures live beside
their helpers in ``hostile_support``; fault fixtures may be added here."""

from __future__ import annotations

from tests.reliability.hostile_support import (
    hostile_crawl,
    hostile_crawl_both,
    hostile_reactor,
    hostile_server,
    raw_server,
    sqlite_storage,
)

__all__ = ["hostile_crawl", "hostile_crawl_both", "hostile_reactor", "hostile_server",
           "raw_server", "sqlite_storage"]
