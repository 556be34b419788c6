"""Local receivers for the offline demo: an SMTP sink and a webhook receiver on 127.0.0.1.

They stand in for a subscriber's mailbox and endpoint so ``newsmon demo`` can show alerts being
delivered without any network. Both only collect what they receive.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
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


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message (no TLS, no auth: demo only)."""

    mails: list[ReceivedMail] = field(default_factory=list)
    port: int = 0
    _controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append(ReceivedMail(tuple(envelope.rcpt_tos), str(parsed["Subject"] or ""),
                                       str(parsed["Message-ID"] or "")))
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

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    sink.payloads.append(json.loads(body))
                except ValueError:
                    sink.payloads.append({"unreadable": body[:200].decode("latin-1")})
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
