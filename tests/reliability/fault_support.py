"""Real local parts for the fault tests: a signature-checking webhook receiver with scripted
answers, a controllable clock, stored alerts ready for the outbox, and an outbox built the way
the application builds it.

The receiver verifies every request's HMAC signature with the documented procedure and records
the delivery id, so a test can assert that each attempt was authentic and that a repeat carried
the same id.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from alerts.channels import ChannelDeps, build_channels
from alerts.channels.webhook import verify_signature
from alerts.compose import compose_message
from alerts.netguard import AllowList, guarded_client
from alerts.outbox import Outbox, RetryPolicy
from config.settings import DeliverySettings, EmailSettings
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.subscriptions import NewSubscription
from pipeline.types import ArticleOrigin, ExtractedArticle
from tests.support.clock import START, ManualClock
from tests.support.sockets import ConnectionServer

SIGNING_KEY = "reliability-signing-key-0123456789abcdef"
LOCAL = AllowList.parse(["127.0.0.1"])


Clock = ManualClock
"""The tests' hand-moved clock (``tests.support.clock``)."""


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status after ``delay`` seconds, with optional headers."""

    status: int = 204
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One POST as the receiver saw it."""

    path: str
    delivery_id: str
    signature_problem: str | None
    """``None`` when the signature verified."""
    body: bytes


class SignedReceiver:
    """A webhook receiver on 127.0.0.1: verifies signatures, records delivery ids, and answers
    each path from a script (the last answer of a script repeats)."""

    def __init__(self, key: str = SIGNING_KEY) -> None:
        self.key = key.encode()
        self.hits: list[Hit] = []
        self.truncated = 0
        """Requests whose body ended before its Content-Length (the sender was killed)."""
        self.scripts: dict[str, list[Answer]] = {}
        self.on_hit: Any = None
        """Called with each :class:`Hit` before it is answered (crash tests kill from here)."""
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    receiver.truncated += 1
                    return
                hit = Hit(self.path, self.headers.get("Newsmon-Delivery", ""),
                          verify_signature(receiver.key, body,
                                           self.headers.get("Newsmon-Timestamp", ""),
                                           self.headers.get("Newsmon-Signature", ""),
                                           now=time.time()), body)
                answer = receiver._record(hit)
                if receiver.on_hit is not None:
                    receiver.on_hit(hit)
                if answer.delay and receiver._stopping.wait(answer.delay):
                    return
                try:
                    self.send_response(answer.status)
                    for name, value in {"Content-Length": "0", **answer.headers}.items():
                        self.send_header(name, value)
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def _record(self, hit: Hit) -> Answer:
        with self._lock:
            attempt = sum(1 for seen in self.hits if seen.path == hit.path)
            self.hits.append(hit)
            script = self.scripts.get(hit.path) or [Answer()]
            return script[min(attempt, len(script) - 1)]

    def script(self, path: str, *answers: Answer) -> str:
        """Answer POSTs to ``path`` with ``answers`` in turn; returns the path's URL."""
        self.scripts[path] = list(answers)
        return self.url(path)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def hits_of(self, path: str | None = None) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if path is None or hit.path == path]

    def start(self) -> SignedReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


def store_alert(storage: Storage, name: str, channels: Iterable[tuple[str, str]],
                at: datetime = START) -> int:
    """One article, one immediate subscription ``name`` with ``channels``, and its alert with
    one delivery per channel, as matching would record them; returns the alert's article id."""
    words = " ".join(f"{name}{n}" for n in range(40))
    outcome = storage.articles.store("wire", ExtractedArticle(
        url=f"https://news.example/{name}", title=f"Meta unveils Muse Spark ({name})",
        text=f"Meta unveiled Muse Spark on Tuesday. {words}"),
        origin=ArticleOrigin.PAGE, fetched_at=at)
    assert outcome.article_id is not None
    subscription = storage.subscriptions.add(
        NewSubscription(name=name, query="company:Meta", channels=tuple(channels)), at)
    assert subscription is not None
    match = SubscriptionMatch(subscription.id, ({"kind": "term", "label": "meta", "spans": []},),
                              tuple(channel.id for channel in subscription.channels))
    storage.alerts.record_matches(outcome.article_id, outcome.article_id, [match], at)
    return outcome.article_id


def build_outbox(storage: Storage, clock: Clock, *, email: EmailSettings | None = None,
                 deadline: float = 2.0, policy: RetryPolicy | None = None,
                 seed: int = 7) -> Outbox:
    """An outbox with every channel that can be built, as :meth:`newsmon.app.App.send_alerts`
    builds it (default delivery settings unless ``policy`` is given)."""
    deps = ChannelDeps(http_client=guarded_client(LOCAL, timeout=deadline), allow=LOCAL,
                       email=email, env={"NEWSMON_WEBHOOK_SIGNING_KEY": SIGNING_KEY},
                       http_deadline_seconds=deadline)
    channels, _missing = build_channels(deps)
    return Outbox(storage, channels,
                  lambda job: compose_message(storage, "https://newsmon.example", job), clock,
                  policy or RetryPolicy.from_settings(DeliverySettings()),
                  rng=random.Random(seed))


class FaultySmtpServer:
    """A broken SMTP server on 127.0.0.1 that counts connections. Modes:

    ``silent`` accepts and never greets; ``greet-421`` answers the connection with 421;
    ``mail-451`` greets, then answers MAIL FROM with 451; ``starttls-broken`` advertises
    STARTTLS, agrees to it, then sends bytes that are not a TLS handshake.
    """

    def __init__(self, mode: str, port: int = 0) -> None:
        self.mode = mode
        self._server = ConnectionServer(self._serve, port)
        self.port = self._server.port

    @property
    def connections(self) -> int:
        return self._server.connections

    def start(self) -> FaultySmtpServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                if self.mode == "silent":
                    self._server.stopping.wait(10)
                elif self.mode == "greet-421":
                    connection.sendall(b"421 4.3.2 try again later\r\n")
                else:
                    self._converse(connection)
            except OSError:
                return

    def _converse(self, connection: socket.socket) -> None:
        connection.sendall(b"220 faulty.example ESMTP\r\n")
        reader = connection.makefile("rb")
        for line in reader:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                extra = b"250-STARTTLS\r\n" if self.mode == "starttls-broken" else b""
                connection.sendall(b"250-faulty.example\r\n" + extra + b"250 8BITMIME\r\n")
            elif verb == b"STAR":
                connection.sendall(b"220 2.0.0 go ahead\r\n")
                connection.recv(4096)  # the client's hello
                connection.sendall(b"this is not TLS\r\n" * 4)
                while connection.recv(4096):  # until the client gives up on the handshake
                    pass
                return
            elif verb == b"MAIL":
                connection.sendall(b"451 4.3.0 mailbox busy, try later\r\n")
            elif verb == b"QUIT":
                connection.sendall(b"221 bye\r\n")
                return
            else:
                connection.sendall(b"503 5.5.1 bad sequence\r\n")
