"""Local receivers for the offline demo: an SMTP sink and a webhook receiver on 127.0.0.1.

They stand in for a subscriber's mailbox and endpoint so ``newsmon demo`` can show alerts being
delivered without any network. Both only collect what they receive, and when (by the clock
they are given: the demo's simulated one), so that the live view stamps a message with the time it
arrived rather than the time it was noticed.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    """One email the sink accepted."""

    recipients: tuple[str, ...]
    subject: str
    message_id: str
    received_at: datetime | None = None
    """By the sink's clock; ``None`` without one."""


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message (no TLS, no auth: demo only)."""

    clock: Callable[[], datetime] | None = None
    mails: list[ReceivedMail] = field(default_factory=list)
    port: int = 0
    _controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append(ReceivedMail(tuple(envelope.rcpt_tos), str(parsed["Subject"] or ""),
                                       str(parsed["Message-ID"] or ""),
                                       self.clock() if self.clock else None))
        return "250 OK"

    def start(self) -> SmtpSink:
        self.port = _free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()


class WebhookSink:
    """An HTTP server on 127.0.0.1 that answers 204 to every POST and keeps the JSON bodies."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.received_at: list[datetime | None] = []
        """When each payload arrived, by ``clock`` (``None`` without one)."""
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = clock() if clock else None
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unreadable": body[:200].decode("latin-1")}
                with sink.lock:  # a payload and its time, at the same index
                    sink.received_at.append(arrived)
                    sink.payloads.append(payload)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/newsmon"

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
