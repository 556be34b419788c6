"""A webhook receiver for the end-to-end benchmark: answers 204 and notes when each alert came.

Part of ``bench/pipeline.py``: the throughput run sends its outbox here, and the latency run
measures the time from an article's publication to the arrival of its alert. Every POST is kept
with its arrival time (seconds since the epoch, the clock the site publishes by), its path and
the article URL of the ``newsmon.alert/1`` payload.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Arrival:
    """One alert as the receiver got it."""

    at: float
    path: str
    article_url: str | None


class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 that records every POST's arrival."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._record(Arrival(at, self.path, _article_url(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this receiver."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def received(self, path: str | None = None) -> list[Arrival]:
        """The arrivals so far (at ``path`` only, if given), oldest first."""
        with self._lock:
            return [a for a in self.arrivals if path is None or a.path == path]

    def _record(self, arrival: Arrival) -> None:
        with self._lock:
            self.arrivals.append(arrival)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _article_url(body: bytes) -> str | None:
    try:
        article = json.loads(body).get("article")
    except (ValueError, AttributeError):
        return None
    url = article.get("url") if isinstance(article, dict) else None
    return url if isinstance(url, str) else None
