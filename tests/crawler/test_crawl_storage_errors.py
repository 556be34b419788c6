"""A poll whose results cannot be stored (the SQLite file is locked by another writer for longer
than the busy timeout) is reported as failed with the database's reason, not as "the poll did
not complete" with the reason only in Scrapy's traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.reactor import ReactorThread
from crawler.types import PollOutcome
from pipeline.storage import Storage
from tests.crawler.conftest import Crawl
from tests.crawler.pages import rss_feed
from tests.support.db import sqlite_url
from tests.support.http import Reply, RouteServer

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def impatient_storage(tmp_path: Path) -> Iterator[Storage]:
    """SQLite that gives up waiting for another writer's lock after a tenth of a second."""
    opened = Storage.open(sqlite_url(tmp_path), busy_timeout_seconds=0.1)
    opened.upgrade()
    yield opened
    opened.close()


def test_a_poll_whose_results_cannot_be_stored_names_the_database_error(
    tmp_path: Path, server: RouteServer, reactor_thread: ReactorThread,
    impatient_storage: Storage,
) -> None:
    server.route("/feed.xml", Reply(200, rss_feed([("One", server.url("/a/1"))]), RSS))
    crawl = Crawl(reactor_thread, impatient_storage)
    crawl.add_source("wire", server.url("/feed.xml"))
    other_writer = sqlite3.connect(tmp_path / "newsmon.sqlite3", isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        report = crawl()
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()

    [result] = report.results
    assert result.outcome is PollOutcome.FAILED
    assert len(result.errors) == 1
    assert result.errors[0].startswith(f"cannot handle {server.url('/feed.xml')}: ")
    assert "database is locked" in result.errors[0]
