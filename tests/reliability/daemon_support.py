"""The real daemon as a subprocess, and the sample news site on a clock the test sets.

:class:`DaemonProcess` runs ``newsmon run`` with ``NEWSMON_HOME`` set, reads its log lines in a
thread (so a test can wait for one) and can be stopped with SIGTERM or killed with SIGKILL.
:class:`SteppedSite` is the bundled sample news site whose 'now' the test moves, and which
reports each request for an article page (a crawl in progress).
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from config import SourceSpec
from newsmon.demo.responses import HttpResponse
from newsmon.demo.site import SampleNewsSite
from pipeline.storage import Storage
from pipeline.storage.subscriptions import NewSubscription
from tests.support.db import sqlite_url

NEWSMON = str(Path(sys.executable).with_name("newsmon"))


class DaemonProcess:
    """``newsmon run`` in a subprocess; its standard error is read line by line."""

    def __init__(self, home: Path, env: Mapping[str, str], *args: str) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=400)
        self._markers: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [NEWSMON, "--home", str(home), "run", *args], env={**os.environ, **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line)
                for text, event in self._markers.items():
                    if text in line:
                        event.set()

    def marker(self, text: str) -> threading.Event:
        """An event set when a line containing ``text`` is read from now on."""
        with self._lock:
            return self._markers.setdefault(text, threading.Event())

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._reader.join(10)

    def stop(self, timeout: float = 120) -> int:
        """SIGTERM, then the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._reader.join(10)
        return code

    def output(self) -> str:
        with self._lock:
            return "".join(self.lines)


class SteppedSite(SampleNewsSite):
    """The sample news site at a moment the test sets; flags requests for article pages."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        super().__init__(clock=lambda: self.now, start=start)
        self.article_requested = threading.Event()
        self._poll_paths = {outlet.poll_path for outlet in self.catalog.outlets}

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> HttpResponse:
        path = target.split("?", maxsplit=1)[0]
        if path not in self._poll_paths and not path.endswith("robots.txt"):
            self.article_requested.set()
        return super().respond(method, target, headers)


def open_home_storage(home: Path) -> Storage:
    """The SQLite database of a data directory, migrated."""
    home.mkdir(parents=True, exist_ok=True)
    storage = Storage.open(sqlite_url(home))
    storage.upgrade()
    return storage


def add_site_sources(storage: Storage, site: SampleNewsSite, now: datetime) -> None:
    """The site's outlets as sources."""
    for source in site.sources():
        spec = SourceSpec(name=source.name, kind=source.kind,  # type: ignore[arg-type]
                          url=source.url, interval=max(source.interval_seconds, 60),
                          link_selector=source.link_selector)
        assert storage.sources.add(spec, now) is not None


def add_subscriptions(storage: Storage, queries: Mapping[str, str], now: datetime,
                      webhook_base: str | None) -> None:
    """One immediate subscription per query, with a webhook at ``webhook_base/<name>`` (none
    when ``webhook_base`` is ``None``)."""
    for name, query in queries.items():
        channels = (("webhook", f"{webhook_base}/{name}"),) if webhook_base else ()
        assert storage.subscriptions.add(
            NewSubscription(name=name, query=query, channels=channels), now) is not None
