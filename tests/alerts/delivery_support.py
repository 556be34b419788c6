"""Real local servers and sample data for the delivery-channel tests.

:class:`Receiver` is a threaded HTTP server on 127.0.0.1 (or ::1) that records every POST with
its exact body bytes and answers from per-path canned replies; a reply can also hang until the
test ends, for deadline tests. :func:`sample_message` builds an :class:`AlertMessage` from the
seed article's story.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from alerts.messages import AlertMessage, build_alert_message
from alerts.types import ArticleView, EntityRef, MatchReason, ReactionRef

SEED_TEXT = (
    "Meta has officially unveiled Muse Spark, a next-generation large language model that "
    "signals a major shift in the company's AI strategy. It was developed by Meta "
    "Superintelligence Labs to compete with OpenAI, Google and Anthropic. Investors responded "
    "positively, with Meta's stock rising following the announcement. Muse Spark reaches "
    "Meta AI users first."
)
SEED_TITLE = "Meta unveils Muse Spark, its first model from Meta Superintelligence Labs"


@dataclass(frozen=True)
class Reply:
    """A canned answer; ``hang`` makes the handler wait until the receiver stops."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class Receiver:
    """A webhook receiver on a loopback address with canned replies and a request log."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.replies: dict[str, Reply] = {}
        self.received: list[Received] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host, 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver._record(Received("POST", self.path,
                                          {k.lower(): v for k, v in self.headers.items()}, body))
                self._answer(receiver.replies.get(self.path, Reply()))

            def do_GET(self) -> None:
                receiver._record(Received("GET", self.path, dict(self.headers.items()), b""))
                self._answer(receiver.replies.get(self.path, Reply(404)))

            def _answer(self, reply: Reply) -> None:
                if reply.hang:
                    receiver.release.wait(10)
                try:
                    self.send_response(reply.status)
                    for name, value in {"Content-Length": str(len(reply.body)),
                                        **reply.headers}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook", host: str | None = None) -> str:
        address = host or str(self._server.server_address[0])
        shown = f"[{address}]" if ":" in address else address
        return f"http://{shown}:{self.port}{path}"

    def reply(self, path: str, reply: Reply) -> None:
        self.replies[path] = reply

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
        self.replies.clear()

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (for 'server down' tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed_article(title: str = SEED_TITLE, url: str = "https://news.example.com/meta-muse-spark",
                 text: str = SEED_TEXT) -> ArticleView:
    """The seed story as matching sees it, tagged."""
    spark = text.find("Muse Spark")
    rising = text.find("stock rising")
    return ArticleView(
        article_id=7, title=title, text=text, source="example-news", site="news.example.com",
        url=url, published=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        entities=(
            EntityRef("COMPANY", "Meta", "meta", "text", 0, 4, ticker="META"),
            EntityRef("MODEL", "Muse Spark", "meta/muse-spark", "text", spark, spark + 10),
            EntityRef("COMPANY", "OpenAI", "openai", "text", text.find("OpenAI"),
                      text.find("OpenAI") + 6),
        ),
        reactions=(ReactionRef("Meta", "meta", "META", "up", 3.2, "text", rising, rising + 12),),
    )


def seed_reasons(article: ArticleView) -> Sequence[MatchReason]:
    text_spans = tuple(("text", found.start(), found.end())
                       for found in re.finditer("Muse Spark", article.text))
    spark_title = article.title.find("Muse Spark")
    title_spans = (("title", spark_title, spark_title + 10),) if spark_title >= 0 else ()
    return (
        MatchReason("phrase", '"muse spark"', (*title_spans, *text_spans)),
        MatchReason("entity", "company:Meta", (("text", 0, 4),)),
    )


def sample_message(
    *,
    delivery_id: str = "dlv-0001",
    title: str = SEED_TITLE,
    url: str = "https://news.example.com/meta-muse-spark",
    text: str = SEED_TEXT,
    unsubscribe_url: str | None = "https://newsmon.example.org/unsubscribe/tok-abc",
    unsubscribe_token: str | None = "tok-abc",
    subscription: str = "meta-models",
    timezone: str = "UTC",
) -> AlertMessage:
    """An alert for the seed story, as the outbox would hand it to a channel."""
    article = seed_article(title, url, text)
    return build_alert_message(
        delivery_id=delivery_id, subscription=subscription,
        query='company:Meta AND "muse spark"', article=article, reasons=seed_reasons(article),
        created=datetime(2026, 11, 20, 12, 0, tzinfo=UTC), other_outlets=4,
        unsubscribe_url=unsubscribe_url, unsubscribe_token=unsubscribe_token, timezone=timezone,
    )
