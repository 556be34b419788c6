"""The sample news site behind ``newsmon demo`` and the crawler tests: a local HTTP server.

Part of the offline demo of the application shell (``newsmon/demo``). :class:`SampleNewsSite`
serves four fictional outlets (sample data: fictional stories for the newsmon demo) from a
standard-library ``ThreadingHTTPServer`` bound to 127.0.0.1 on a free port, in a daemon thread.
It exposes the outlets as :class:`DemoSource` values the crawler can poll (RSS, Atom, a Google
News sitemap, a section page) and releases stories as its clock advances, so a daemon demo sees
news arrive and a test with a fake clock controls exactly what is published. Every request is
recorded in :attr:`SampleNewsSite.requests` for tests to inspect.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import Any, NamedTuple, Self

from newsmon.demo.catalog import Catalog, load_catalog
from newsmon.demo.render import SiteRenderer
from newsmon.demo.responses import HttpResponse, build_response
from newsmon.demo.routes import SiteRouter
from newsmon.demo.timeline import PublishedStory
from pipeline.dates import to_utc, utc_now

HOST = "127.0.0.1"
"""The site listens on loopback only."""

SHUTDOWN_POLL_SECONDS = 0.05

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoSource:
    """One outlet of the sample site as a crawl source: what to poll, how, and how often."""

    name: str
    kind: str
    """``feed``, ``sitemap`` or ``page``."""
    url: str
    link_selector: str | None
    """For ``page`` sources: the CSS selector of the article links on the page."""
    weight: float
    interval_seconds: int


class RecordedRequest(NamedTuple):
    """A request the site received: method, target (path and query), headers (lower-case names)."""

    method: str
    path: str
    headers: Mapping[str, str]


class RequestLog:
    """A thread-safe, append-only record of the requests the site received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def record(self, request: RecordedRequest) -> None:
        """Append one request."""
        with self._lock:
            self._entries.append(request)

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._entries)

    def paths(self) -> list[str]:
        """The request targets received so far, oldest first."""
        return [entry.path for entry in self.snapshot()]

    def clear(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())


class SampleNewsSite:
    """Four fictional news outlets on one local HTTP server, publishing on a clock.

    ``start`` is the site's start clock (default: ``clock()`` at construction); each story is
    published at ``start`` plus its offset and is visible once ``clock()`` reaches that time.
    ``listing_size`` caps each feed, sitemap and section page to its newest stories (for soak
    runs over thousands of stories; default: no cap).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = utc_now,
        start: datetime | None = None,
        catalog: Catalog | None = None,
        listing_size: int | None = None,
    ) -> None:
        self._clock = clock
        self._listing_size = listing_size
        self.start_time = to_utc(start if start is not None else clock()).replace(microsecond=0)
        self.catalog = catalog if catalog is not None else load_catalog()
        self.requests = RequestLog()
        self._renderer = SiteRenderer()
        self._router: SiteRouter | None = None
        self._base_url: str | None = None
        self._server: DemoHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Start serving on 127.0.0.1 on a free port, in a daemon thread; return the base URL."""
        if self._server is not None:
            raise RuntimeError(f"the sample news site is already running at {self.base_url}")
        server = DemoHTTPServer((HOST, 0), partial(DemoRequestHandler, self))
        base_url = f"http://{HOST}:{server.server_address[1]}"
        self._router = SiteRouter(
            self.catalog, self._renderer, base_url=base_url, start=self.start_time,
            listing_size=self._listing_size,
        )
        serve = partial(server.serve_forever, poll_interval=SHUTDOWN_POLL_SECONDS)
        self._thread = threading.Thread(target=serve, name=f"demo-site {base_url}", daemon=True)
        self._server, self._base_url = server, base_url
        self._thread.start()
        _LOG.info("sample news site serving at %s", base_url)
        return base_url

    def stop(self) -> None:
        """Stop serving, close open connections, release the port (a no-op when not running)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join()
        self._server = self._thread = None
        self._router = self._base_url = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        if self._base_url is None:
            raise RuntimeError("the sample news site is not running; call start() first")
        return self._base_url

    def url(self, path: str) -> str:
        """The absolute URL of a path on the site."""
        return self.base_url + path

    def sources(self) -> list[DemoSource]:
        """The outlets as crawl sources, in the network's order."""
        return [
            DemoSource(
                name=outlet.source_name,
                kind=outlet.source_kind,
                url=self.url(outlet.poll_path),
                link_selector=outlet.link_selector,
                weight=outlet.weight,
                interval_seconds=outlet.interval_seconds,
            )
            for outlet in self.catalog.outlets
        ]

    def published_stories(self) -> list[PublishedStory]:
        """The stories published at ``clock()``, newest first (feed-only ones included)."""
        return list(self._require_router().edition(self._now()).stories)

    def scheduled_stories(self) -> list[PublishedStory]:
        """Every story with its URL and publication time, newest first, released or not."""
        return list(self._require_router().scheduled)

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> HttpResponse:
        """Record and answer one GET or HEAD request (header names in lower case)."""
        self.requests.record(RecordedRequest(method, target, MappingProxyType(dict(headers))))
        document = self._require_router().resolve(target, self._now())
        return build_response(document, headers, head=method == "HEAD")

    def _now(self) -> datetime:
        return to_utc(self._clock())

    def _require_router(self) -> SiteRouter:
        if self._router is None:
            raise RuntimeError("the sample news site is not running; call start() first")
        return self._router


class DemoHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can close the keep-alive connections it still holds.

    ``shutdown()`` only stops accepting; without this, a client's pooled connection would keep
    being answered by its handler thread after the site has stopped.
    """

    def __init__(self, address: tuple[str, int], handler: Callable[..., Any]) -> None:
        super().__init__(address, handler)
        self._connections_lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Remember the connection, then serve it in its own thread."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection once its handler is done with it, then close it."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every connection still open, which ends its handler thread."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class DemoRequestHandler(BaseHTTPRequestHandler):
    """Hands each request to a :class:`SampleNewsSite` and writes its answer (HTTP/1.1)."""

    server_version = "newsmon-demo-site/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30

    def __init__(self, site: SampleNewsSite, *args: Any) -> None:
        self._site = site
        super().__init__(*args)

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer("GET")

    def do_HEAD(self) -> None:
        """Answer a HEAD: a GET's headers, no body."""
        self._answer("HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        """Send the access log to :mod:`logging` (debug level) instead of stderr."""
        _LOG.debug("%s %s", self.address_string(), format % args)

    def _answer(self, method: str) -> None:
        try:
            response = self._site.respond(method, self.path, header_map(self.headers))
        except Exception:
            _LOG.exception("sample news site failed to answer %s %s", method, self.path)
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR)
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if response.body:
            self.wfile.write(response.body)


def header_map(message: Message) -> dict[str, str]:
    """Request headers as a dict with lower-case names; repeated headers are comma-joined."""
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers
