"""A programmable HTTP server on 127.0.0.1 for crawler tests.

Routes map a path to a handler that returns a :class:`Reply` (or a callable that writes the raw
response itself, for slow or broken servers). Every request is logged with its headers so tests
can assert on conditional GET, retries and robots.txt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A canned HTTP response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[Seen], Reply]


class RouteServer:
    """A threaded HTTP server with per-path handlers and a request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                seen = Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.requests.append(seen)
                handler = server.routes.get(self.path.split("#")[0]) or server.routes.get(
                    self.path.split("?")[0]
                )
                reply = handler(seen) if handler else Reply(404, b"not found")
                self.send_response(reply.status)
                headers = {"Content-Length": str(len(reply.body)), **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.body:
                    self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, reply: Reply | Handler) -> None:
        """Serve ``reply`` (or call the handler) for ``path``."""
        self.routes[path] = reply if callable(reply) else _constant(reply)

    def hits(self, path: str) -> list[Seen]:
        """The requests received for ``path`` (query string included in the match)."""
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def start(self) -> RouteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _constant(reply: Reply) -> Handler:
    """A handler that always answers ``reply``."""
    return lambda _seen: reply
