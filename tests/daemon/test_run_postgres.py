"""``newsmon run`` end to end on PostgreSQL: a real daemon process on a fresh schema crawls the
bundled sample news site, a second daemon on the same database is refused (advisory lock, even
from another data directory), SIGTERM arrives while an article is being fetched, the daemon
finishes it and exits 0, and after a ``run --once`` nothing the site served is lost and every
matched story reached the webhook receiver exactly once."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pytest

from config import SourceSpec
from newsmon.demo import SampleNewsSite
from newsmon.demo.responses import HttpResponse
from pipeline.dates import utc_now
from pipeline.storage import Storage
from pipeline.storage.subscriptions import NewSubscription
from tests.alerts.delivery_support import Receiver
from tests.daemon.test_run import wait_for_line
from tests.support.db import postgres_schema_url
from tests.support.processes import kill_if_running

NEWSMON = str(Path(sys.executable).with_name("newsmon"))
KEY = "e" * 40


class HeldSite(SampleNewsSite):
    """The sample site, holding the first article page request until the test releases it."""

    def __init__(self) -> None:
        super().__init__(start=utc_now() - timedelta(days=2))  # every story is out
        self.held = threading.Event()
        self.release = threading.Event()
        self.held_path: str | None = None
        self._lock = threading.Lock()

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> HttpResponse:
        if target in story_paths(self):
            with self._lock:
                first = self.held_path is None
                if first:
                    self.held_path = target
            if first:
                self.held.set()
                self.release.wait(60)
        return super().respond(method, target, headers)


def story_paths(site: SampleNewsSite) -> set[str]:
    return {story.path for story in site.scheduled_stories()}


@pytest.fixture
def site() -> Iterator[HeldSite]:
    with HeldSite() as running:
        yield running
        running.release.set()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def prepare(url: str, site: SampleNewsSite, receiver: Receiver) -> None:
    storage = Storage.open(url)
    try:
        storage.upgrade()
        now = utc_now()
        for source in site.sources():
            storage.sources.add(SourceSpec(
                name=source.name, kind=source.kind, url=source.url,  # type: ignore[arg-type]
                interval=max(source.interval_seconds, 600), weight=source.weight,
                link_selector=source.link_selector), now)
        storage.subscriptions.add(NewSubscription(
            name="chips-and-meta", query="company:Meta OR company:Nvidia",
            channels=(("webhook", receiver.url()),)), now)
    finally:
        storage.close()


def environment(url: str) -> dict[str, str]:
    return {**os.environ, "NEWSMON_DATABASE_URL": url, "NEWSMON_ALLOW_HOSTS": "127.0.0.1",
            "NEWSMON_WEBHOOK_SIGNING_KEY": KEY, "NEWSMON_NLP__NER_MODEL": "",
            "NEWSMON_CRAWLER__DOWNLOAD_DELAY_SECONDS": "0", "NEWSMON_LOGGING__LEVEL": "INFO"}


def newsmon(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEWSMON, "--home", str(home), *args], env=environment(url),
                          capture_output=True, text=True, check=False, timeout=180)


def test_the_daemon_on_postgres_refuses_a_second_stops_mid_crawl_and_loses_nothing(
    tmp_path: Path, site: HeldSite, receiver: Receiver
) -> None:
    with postgres_schema_url() as url:
        prepare(url, site, receiver)
        daemon = subprocess.Popen([NEWSMON, "--home", str(tmp_path / "a"), "run"],
                                  env=environment(url), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            logs: queue.Queue[str] = queue.Queue()
            seen: list[str] = []
            threading.Thread(target=keep_lines, args=(daemon.stderr, logs, seen),
                             daemon=True).start()
            assert site.held.wait(90), "the daemon never fetched an article:\n" + "".join(seen)

            second = newsmon(tmp_path / "b", url, "run", "--once")
            assert second.returncode == 1
            assert "another newsmon daemon" in second.stderr
            assert "advisory lock" in second.stderr

            daemon.send_signal(signal.SIGTERM)  # an article fetch is in flight
            wait_for_line(logs, "stop requested")
            site.release.set()
            assert daemon.wait(90) == 0, "".join(seen)
        finally:
            site.release.set()
            kill_if_running(daemon)
        stdout = daemon.stdout.read() if daemon.stdout else ""
        assert "newsmon daemon stopped" in stdout and " 0 errors" in stdout, "".join(seen)

        storage = Storage.open(url)
        try:
            assert site.held_path is not None
            assert site.held_path in stored_or_refused(storage)  # the fetch in flight finished

            finish = newsmon(tmp_path / "a", url, "run", "--once")
            assert finish.returncode == 0, finish.stderr

            requested = {r.path for r in site.requests if r.path in story_paths(site)}
            assert requested <= stored_or_refused(storage)  # every page fetched was kept
            assert storage.tags.count_pending() == 0
            assert storage.articles.pending_matching(10) == []
            alerts = storage.alerts.alerts(limit=1000)
            deliveries = storage.alerts.deliveries(limit=1000)
            posts = [r for r in receiver.received if r.method == "POST"]
        finally:
            storage.close()
    assert alerts, "the sample site's Meta and Nvidia stories matched nothing"
    assert sorted(d.alert_id for d in deliveries) == sorted(a.id for a in alerts)
    assert {d.status for d in deliveries} == {"sent"}, [d.last_error for d in deliveries]
    assert len(posts) == len(alerts)  # one post per matched story, none repeated
    assert len({p.headers.get("x-newsmon-delivery") or p.body for p in posts}) == len(posts)


def keep_lines(stream: IO[str], lines: queue.Queue[str], seen: list[str]) -> None:
    """Pass the daemon's log lines on, and keep them for failure messages."""
    for line in stream:
        seen.append(line)
        lines.put(line)


def stored_or_refused(storage: Storage) -> set[str]:
    """Paths of the stored articles and of the refused URLs."""
    stored = {urlsplit(article.url).path for article in storage.articles.latest(limit=1000)}
    refused = {urlsplit(r.url).path for r in storage.sources.rejections(limit=1000) if r.url}
    return stored | refused
