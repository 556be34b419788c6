"""Fault: servers that never answer, trickle a byte every 10 s, or say 429 with Retry-After.

The real daemon crawls four sources with a 1 s request timeout: one server accepts and never
answers, one sends a byte every ten seconds, one answers 429 with ``Retry-After: 3600``, and a
healthy feed. The stalled ones time out (recorded as such), the 429 one is asked once and then
left alone for the hour it asked for, the healthy feed's articles are stored, and the scheduler
keeps running every job on time meanwhile; a SIGTERM then stops the daemon cleanly.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from config import SourceSpec
from pipeline.dates import utc_now
from pipeline.storage import Storage
from tests.crawler.pages import article_html, rss_feed
from tests.reliability.daemon_support import DaemonProcess, open_home_storage
from tests.support.http import Reply, RouteServer
from tests.support.sockets import ConnectionServer

pytestmark = pytest.mark.slow

CONFIG = """
[crawler]
download_delay_seconds = 0
request_timeout_seconds = 1
retry_times = 1
min_interval = "1s"
backoff_base = "1s"
backoff_max = "60s"
[nlp]
ner_model = ""
[network]
allow_hosts = ["127.0.0.1"]
[daemon]
process_interval = "10s"
deliver_interval = "5s"
crawl_jitter = "0s"
crawl_stagger = "0s"
"""


class StalledServer:
    """Accepts connections; ``drip`` sends one byte of a response every 10 s, else silence."""

    def __init__(self, drip: bool) -> None:
        self.drip = drip
        self._server = ConnectionServer(self._hold).start()
        self.url = f"http://127.0.0.1:{self._server.port}/feed.xml"

    @property
    def connections(self) -> int:
        return self._server.connections

    def _hold(self, connection: socket.socket) -> None:
        response = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n<rss>"
        with connection:
            for byte in response:
                if self.drip:
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        return
                if self._server.stopping.wait(10):
                    return

    def stop(self) -> None:
        self._server.stop()


@pytest.fixture
def servers() -> Iterator[tuple[RouteServer, StalledServer, StalledServer]]:
    routes = RouteServer().start()
    silent, drip = StalledServer(drip=False), StalledServer(drip=True)
    yield routes, silent, drip
    routes.stop()
    silent.stop()
    drip.stop()


def test_stalled_and_rate_limited_servers_do_not_hold_up_the_daemon(
    tmp_path: Path, servers: tuple[RouteServer, StalledServer, StalledServer]
) -> None:
    routes, silent, drip = servers
    titles = ["Nvidia ships new chips", "Nvidia guidance beats"]
    routes.route("/feed.xml", Reply(200, rss_feed(
        [(title, routes.url(f"/news/{n}")) for n, title in enumerate(titles)]),
        {"Content-Type": "application/rss+xml"}))
    for n, title in enumerate(titles):
        routes.route(f"/news/{n}", Reply(200, article_html(title), {"Content-Type": "text/html"}))
    routes.route("/limited.xml", Reply(429, b"slow down", {"Retry-After": "3600"}))
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(CONFIG)
    storage = open_home_storage(home)
    now = utc_now()
    for name, url in (("healthy", routes.url("/feed.xml")), ("silent", silent.url),
                      ("drip", drip.url), ("limited", routes.url("/limited.xml"))):
        assert storage.sources.add(SourceSpec(name=name, url=url), now) is not None
    with storage.engine.begin() as connection:
        connection.execute(text("UPDATE sources SET interval_seconds = 5"))

    daemon = DaemonProcess(home, {"NEWSMON_LOGGING__LEVEL": "INFO"})
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
                runs(storage, "crawl:healthy") >= 3 and runs(storage, "crawl:silent") >= 2
                and runs(storage, "crawl:drip") >= 2):
            time.sleep(0.5)
    finally:
        code = daemon.stop()
    assert code == 0, daemon.output()[-3000:]

    # the scheduler kept every job going: the healthy feed was crawled again and again
    assert runs(storage, "crawl:healthy") >= 3, daemon.output()[-3000:]
    assert runs(storage, "process") >= 1
    assert sorted(a.title or "" for a in storage.articles.latest()) == sorted(titles)
    # the stalled servers timed out, each time, and said so
    for name in ("silent", "drip"):
        assert runs(storage, f"crawl:{name}") >= 2
        reasons = [r.reason for r in storage.sources.rejections(name)]
        assert reasons and all("timed out" in reason for reason in reasons), reasons
    assert silent.connections >= 2 and drip.connections >= 2
    # 429: asked once, then left alone for the hour it asked for
    assert len(routes.hits("/limited.xml")) == 1
    state = storage.sources.fetch_state("limited")
    assert state.next_poll_at is not None and state.last_polled_at is not None
    assert state.next_poll_at - state.last_polled_at >= timedelta(seconds=3600)
    assert "3600" in (state.next_poll_reason or "")
    storage.close()


def runs(storage: Storage, job_id: str) -> int:
    return next((run.runs for run in storage.job_runs.all() if run.job_id == job_id), 0)
