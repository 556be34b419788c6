"""Crawler fixtures: one reactor thread for the whole session, a programmable local server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alerts.netguard import AllowList, NetworkPolicy
from config import SourceSpec
from config.settings import CrawlerSettings
from crawler.reactor import ReactorThread, shared_reactor
from crawler.runner import CrawlReport, CrawlRunner
from pipeline.dates import utc_now
from pipeline.ingest import ArticleIngestor
from pipeline.storage import Storage
from tests.support.http import RouteServer

TEST_CRAWLER = {
    "download_delay_seconds": 0.0,
    "request_timeout_seconds": 3.0,
    "retry_times": 2,
    "concurrent_requests_per_domain": 8,
    "contact_url": "https://example.org/newsmon-tests",
}


LOCAL_SERVER_ONLY = NetworkPolicy(AllowList.parse(["127.0.0.1"]))
"""The SSRF guard with the test server's address allow-listed (everything else private refused)."""


@pytest.fixture(scope="session")
def reactor_thread() -> ReactorThread:
    """The asyncio reactor, started once; every crawl of the session runs on it."""
    return shared_reactor()


@pytest.fixture
def server() -> Iterator[RouteServer]:
    """A fresh local HTTP server on 127.0.0.1 with an empty robots.txt."""
    running = RouteServer().start()
    yield running
    running.stop()


class Crawl:
    """Runs real crawls against the test server and database."""

    def __init__(self, reactor: ReactorThread, storage: Storage) -> None:
        self.reactor = reactor
        self.storage = storage

    def add_source(self, name: str, url: str, kind: str = "feed", **extra: Any) -> None:
        spec = SourceSpec(name=name, url=url, kind=kind, **extra)  # type: ignore[arg-type]
        assert self.storage.sources.add(spec, utc_now()) is not None

    def __call__(self, *names: str, force: bool = False, **settings: Any) -> CrawlReport:
        crawler_settings = CrawlerSettings(**{**TEST_CRAWLER, **settings})
        runner = CrawlRunner(crawler_settings, self.storage, ArticleIngestor(self.storage),
                             policy=LOCAL_SERVER_ONLY)
        chosen = [s for s in self.storage.sources.all() if not names or s.name in names]
        return self.reactor.run(lambda: runner.crawl(chosen, force=force), timeout=120)


@pytest.fixture
def crawl(reactor_thread: ReactorThread, storage: Storage) -> Crawl:
    """``crawl(...)`` polls the stored sources once and returns the report."""
    return Crawl(reactor_thread, storage)
