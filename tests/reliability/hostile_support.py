"""Real local parts for the bad-input and security tests: a hostile local web server, real crawls
into real databases through the SSRF guard, and helpers that read back what was stored and why
something was refused.

Every crawl here runs Scrapy on the shared reactor against servers on 127.0.0.1, with the
network policy the application uses (``alerts.netguard.NetworkPolicy``); the test server's
address is allow-listed unless a test says otherwise.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alerts.netguard import AllowList, NetworkPolicy
from config import SourceSpec
from config.settings import CrawlerSettings
from crawler.reactor import ReactorThread, shared_reactor
from crawler.runner import CrawlReport, CrawlRunner
from crawler.types import PollOutcome, SourceCrawlResult
from pipeline.dates import utc_now
from pipeline.ingest import ArticleIngestor
from pipeline.storage import Storage
from tests.crawler.pages import article_html, rss_feed
from tests.support.db import sqlite_url
from tests.support.http import Reply, RouteServer
from tests.support.sockets import ConnectionServer

LOCAL_ONLY = NetworkPolicy(AllowList.parse(["127.0.0.1"]))
"""The policy of a daemon whose operator allow-listed 127.0.0.1 (the test servers)."""
NOTHING_ALLOWED = NetworkPolicy(AllowList())
"""The default policy: no private address at all."""
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
XML = {"Content-Type": "application/xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
FAST = {
    "download_delay_seconds": 0.0,
    "request_timeout_seconds": 5.0,
    "retry_times": 0,
    "concurrent_requests_per_domain": 8,
    "contact_url": "https://example.org/newsmon-tests",
}


class HostileCrawl:
    """Real crawls of stored sources against local servers, with the rejections they record."""

    def __init__(self, reactor: ReactorThread, storage: Storage) -> None:
        self.reactor = reactor
        self.storage = storage

    def add_source(self, name: str, url: str, kind: str = "feed", **extra: Any) -> None:
        spec = SourceSpec(name=name, url=url, kind=kind, **extra)  # type: ignore[arg-type]
        assert self.storage.sources.add(spec, utc_now()) is not None

    def __call__(
        self, *names: str, policy: NetworkPolicy = LOCAL_ONLY, **settings: Any
    ) -> CrawlReport:
        crawler_settings = CrawlerSettings(**{**FAST, **settings})
        runner = CrawlRunner(crawler_settings, self.storage, ArticleIngestor(self.storage),
                             policy=policy)
        chosen = [s for s in self.storage.sources.all() if not names or s.name in names]
        return self.reactor.run(lambda: runner.crawl(chosen, force=True), timeout=120)

    def reasons(self, source: str) -> list[str]:
        """Every rejection reason recorded for ``source``, oldest first."""
        recorded = self.storage.sources.rejections(source, limit=500)
        return [rejection.reason for rejection in reversed(recorded)]

    def titles(self) -> set[str]:
        """The titles of every stored article."""
        return {article.title or "" for article in self.storage.articles.latest(limit=10_000)}


def result_of(report: CrawlReport, source: str) -> SourceCrawlResult:
    """One source's result in a crawl report."""
    return next(result for result in report.results if result.source == source)


def serve_good_source(server: RouteServer, crawl: HostileCrawl, name: str = "good") -> str:
    """A well-formed feed with one article: the item a batch must still store after bad ones."""
    title = f"Good story from {name}"
    server.route(f"/{name}/feed.xml", Reply(200, rss_feed([(title, server.url(f"/{name}/a"))]),
                                            RSS))
    server.route(f"/{name}/a", Reply(200, article_html(title), HTML))
    crawl.add_source(name, server.url(f"/{name}/feed.xml"))
    return title


def assert_good_source_stored(report: CrawlReport, crawl: HostileCrawl, title: str,
                              name: str = "good") -> None:
    """The good source of the same crawl was fetched and its article stored from its page."""
    assert result_of(report, name).outcome is PollOutcome.FETCHED
    assert title in crawl.titles()


@dataclass(frozen=True)
class RawReply:
    """A response written byte by byte: no Content-Length unless the headers give one."""

    status_line: bytes
    headers: tuple[tuple[str, str], ...]
    body: bytes


class RawServer:
    """An HTTP/1.0-style server on 127.0.0.1 that closes after each response, so a body can end
    at the close instead of at a Content-Length; it also counts connections."""

    def __init__(self) -> None:
        self.routes: dict[str, RawReply] = {}
        self._server = ConnectionServer(self._answer)

    @property
    def connections(self) -> int:
        return self._server.connections

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.port}{path}"

    def start(self) -> RawServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _answer(self, client: socket.socket) -> None:
        with client:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode("latin-1")
            reply = self.routes.get(path, RawReply(b"HTTP/1.0 404 Not Found", (), b"not found"))
            head = reply.status_line + b"\r\n" + b"".join(
                f"{name}: {value}\r\n".encode("latin-1") for name, value in reply.headers
            ) + b"Connection: close\r\n\r\n"
            try:
                client.sendall(head + reply.body)
            except OSError:
                return


@pytest.fixture(scope="session")
def hostile_reactor() -> ReactorThread:
    """The process's one reactor (shared with every other crawl test)."""
    return shared_reactor()


@pytest.fixture
def hostile_server() -> Iterator[RouteServer]:
    """A programmable local HTTP server (GET routes, request log)."""
    running = RouteServer().start()
    yield running
    running.stop()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    """A local server that writes responses byte by byte and closes the connection."""
    running = RawServer().start()
    yield running
    running.stop()


@pytest.fixture
def sqlite_storage(tmp_path: Path) -> Iterator[Storage]:
    """A migrated SQLite database, for cases where the backend does not matter."""
    opened = Storage.open(sqlite_url(tmp_path))
    opened.upgrade()
    yield opened
    opened.close()


@pytest.fixture
def hostile_crawl(hostile_reactor: ReactorThread, sqlite_storage: Storage) -> HostileCrawl:
    """Crawls into SQLite."""
    return HostileCrawl(hostile_reactor, sqlite_storage)


@pytest.fixture
def hostile_crawl_both(hostile_reactor: ReactorThread, storage: Storage) -> HostileCrawl:
    """Crawls into SQLite, then PostgreSQL (the ``storage`` fixture's parameters)."""
    return HostileCrawl(hostile_reactor, storage)
