"""The daemon's small web endpoint: the unsubscribe links of alerts, served by ``twisted.web``.

Where it sits: the shell. ``newsmon run`` starts it when ``[web] listen`` is set, on the Twisted
reactor that already runs the crawls and the scheduler (one event loop, no extra thread to
supervise; the database work of each request runs in the reactor's thread pool so the loop never
waits on it). The decisions live in :mod:`alerts.unsubscribe`; this module only maps HTTP to them:

- ``GET {path}/unsubscribe/<token>`` never changes anything: it shows what the link would do and,
  for a usable link, a form that POSTs ``List-Unsubscribe=One-Click`` to the same address;
- ``POST`` with that body (RFC 8058 one-click, sent by mail clients or by the form) unsubscribes;
  a POST without it changes nothing (400);
- malformed links answer 400, forged or unknown ones 404, used ones 410; any other path 404.

``{path}`` is the path of ``delivery.public_url`` (links also work when a reverse proxy strips
it). Pages are autoescaped templates with no script, served with a strict Content-Security-Policy,
``Referrer-Policy: no-referrer`` (the token is in the address) and ``Cache-Control: no-store``.
Requests are not access-logged (their paths hold tokens); each outcome is logged without it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from twisted.internet.threads import deferToThread
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

from alerts.unsubscribe import LinkCheck, LinkState, check_link, render_page, use_link
from pipeline.storage import Storage

logger = logging.getLogger(__name__)
ONE_CLICK = (b"List-Unsubscribe", b"One-Click")
SECURITY_HEADERS = {
    b"Content-Security-Policy": b"default-src 'none'; style-src 'unsafe-inline'; "
                                b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    b"Referrer-Policy": b"no-referrer",
    b"X-Content-Type-Options": b"nosniff",
    b"X-Frame-Options": b"DENY",
    b"Cache-Control": b"no-store",
    b"X-Robots-Tag": b"noindex",
}


class UnsubscribeResource(Resource):
    """Every path of the site: ``.../unsubscribe/<token>`` or 404."""

    isLeaf = True  # noqa: N815 (Twisted's name)
    allowedMethods = (b"GET", b"POST")  # noqa: N815

    def __init__(self, storage: Storage, clock: Callable[[], datetime], base_path: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._storage = storage
        self._clock = clock
        self._prefixes = tuple(dict.fromkeys((f"{base_path.rstrip('/')}/unsubscribe/",
                                              "/unsubscribe/")))

    def render_GET(self, request: Any) -> Any:  # noqa: N802 (Twisted's name)
        """Show what the link would do; never change anything."""
        token = self._token(request)
        if token is None:
            return self._write(request, 404, LinkCheck(LinkState.MALFORMED))
        self._answer(request, lambda: check_link(self._storage, token))
        return NOT_DONE_YET

    def render_POST(self, request: Any) -> Any:  # noqa: N802
        """RFC 8058 one-click: unsubscribe when the body says ``List-Unsubscribe=One-Click``."""
        token = self._token(request)
        if token is None:
            return self._write(request, 404, LinkCheck(LinkState.MALFORMED))
        if request.args.get(ONE_CLICK[0]) != [ONE_CLICK[1]]:
            problem = "An unsubscribe request must carry List-Unsubscribe=One-Click."
            self._answer(request, lambda: check_link(self._storage, token), 400, problem)
        else:
            self._answer(request, lambda: use_link(self._storage, token, self._clock()))
        return NOT_DONE_YET

    def _token(self, request: Any) -> str | None:
        path = str(request.path.decode("latin-1"))
        for prefix in self._prefixes:
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                return path[len(prefix):]
        return None

    def _answer(self, request: Any, work: Callable[[], LinkCheck], status: int | None = None,
                problem: str | None = None) -> None:
        """Run ``work`` in the thread pool, then write its page (unless the client left)."""
        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _failure: gone.append(True))

        def written(check: LinkCheck) -> None:
            logger.info("unsubscribe %s: %s (channel %s)", request.method.decode(),
                        check.state.value, check.channel.id if check.channel else "-")
            if not gone:
                request.write(self._write(request, status or check.state.http_status, check,
                                          problem))
                request.finish()

        def failed(failure: Any) -> None:
            logger.error("unsubscribe request failed: %s", failure.getErrorMessage())
            if not gone:
                request.setResponseCode(503)
                request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
                request.write(b"The service is unavailable for a moment; please try again.\n")
                request.finish()

        deferToThread(work).addCallbacks(written, failed)

    def _write(self, request: Any, status: int, check: LinkCheck,
               problem: str | None = None) -> bytes:
        """Set the status and headers; the page to write."""
        body = render_page(check, problem=problem).encode("utf-8")
        request.setResponseCode(status)
        request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
        for name, value in SECURITY_HEADERS.items():
            request.setHeader(name, value)
        return body


class QuietSite(Site):
    """A ``Site`` that keeps no access log: request paths carry unsubscribe tokens."""

    def log(self, request: Any) -> None:
        return None


@dataclass
class WebServer:
    """The listening endpoint; ``stop`` closes it."""

    port: Any

    @property
    def address(self) -> tuple[str, int]:
        """The host and port actually bound (a port of 0 in the settings picks a free one)."""
        host = self.port.getHost()
        return str(host.host), int(host.port)

    async def stop(self) -> None:
        """Stop listening (requests in progress finish)."""
        await self.port.stopListening().asFuture(asyncio.get_running_loop())


def start_web_server(storage: Storage, clock: Callable[[], datetime], host: str, port: int,
                     public_url: str) -> WebServer:
    """Listen on ``host:port`` on the running reactor (call from the reactor's thread)."""
    from twisted.internet import reactor as installed

    reactor: Any = installed
    resource = UnsubscribeResource(storage, clock, urlsplit(public_url).path)
    site = QuietSite(resource)  # type: ignore[no-untyped-call]
    site.displayTracebacks = False
    site.noisy = False
    listening = reactor.listenTCP(port, site, interface=host)
    return WebServer(listening)
