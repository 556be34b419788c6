"""Runs the ``newsmon demo`` scenario: local servers up, the daemon on the reactor, a watcher.

Part of the offline demo of the application shell (``newsmon/demo``), between the command
(``newsmon/cli_demo.py``, which shows it live) and :mod:`newsmon.demo.scenario` (the day and its
subscribers). :func:`run_demo` starts the sample site, the SMTP sink and the webhook receiver,
opens a fresh SQLite database, then runs the daemon on the process's reactor thread while the
calling thread hands a :class:`RunningDemo` to the watcher every tenth of a second. It returns a
:class:`DemoResult` with what was published, delivered and written.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.channels.webhook import SIGNING_KEY_ENV
from crawler.reactor import shared_reactor
from newsmon.app import App
from newsmon.daemon.service import DaemonStats
from newsmon.demo.catalog import load_catalog
from newsmon.demo.clock import AcceleratedClock
from newsmon.demo.scenario import (
    DaemonRun,
    DemoPlan,
    add_demo_sources,
    add_demo_subscriptions,
    demo_settings,
    digest_sent_at,
    write_digests,
)
from newsmon.demo.schedule import spread_over_day
from newsmon.demo.sinks import ReceivedMail, SmtpSink, WebhookSink
from newsmon.demo.site import SampleNewsSite
from newsmon.demo.timeline import PublishedStory
from pipeline.storage import SourceRecord
from pipeline.storage.alerts import AlertRecord
from pipeline.storage.subscriptions import SubscriptionRecord

MAX_ALERTS = 10_000
WATCH_SECONDS = 0.1
"""How often (wall seconds) the watcher is called while the daemon runs."""


@dataclass(frozen=True)
class RunningDemo:
    """What a watcher can look at while the demo runs (all of it live objects)."""

    plan: DemoPlan
    clock: AcceleratedClock
    site: SampleNewsSite
    smtp: SmtpSink
    webhook: WebhookSink
    application: App
    sources: tuple[SourceRecord, ...]
    subscriptions: tuple[SubscriptionRecord, ...]


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: stories out before and during the day, what the sinks received, the
    digest files, and the scheduler's counts."""

    home: Path
    plan: DemoPlan
    published_before: tuple[PublishedStory, ...]
    published_during: tuple[PublishedStory, ...]
    mails: tuple[ReceivedMail, ...]
    payloads: tuple[dict[str, Any], ...]
    alerts: tuple[AlertRecord, ...]
    """Every alert stored, for every subscriber."""
    digest_files: tuple[Path, ...]
    digest_sent: bool
    stopped_early: bool
    stats: DaemonStats
    digest_sent_at: datetime | None = None
    """When (simulated UTC) the day's digest went out: at the daemon's first digest check after
    the digest time, so a few minutes after it."""

    @property
    def digest_report(self) -> str:
        """What became of the day's digest, in one sentence that leads to the file list."""
        if not self.digest_sent or self.digest_sent_at is None:
            return "The day's digest was not sent; what was built is here:"
        return (f"The digest of {self.plan.day} was sent at "
                f"{self.digest_sent_at.astimezone(UTC):%a %H:%M} UTC (simulated), at the daemon's "
                f"first digest check after its digest time of {self.plan.digest_time} UTC, "
                "and is written here:")

    @property
    def alerted_during(self) -> tuple[PublishedStory, ...]:
        """The stories published during the day that some subscriber was alerted about."""
        titles = {alert.title for alert in self.alerts}
        return tuple(item for item in self.published_during if item.title in titles)


class DemoWatcher:
    """Called by :func:`run_demo`: once set up, every tick, and once the daemon has stopped."""

    def started(self, demo: RunningDemo) -> None:
        """Servers, database, sources and subscriptions are ready; the clock starts next."""

    def tick(self, demo: RunningDemo) -> None:
        """The daemon is running (called every :data:`WATCH_SECONDS` wall seconds)."""

    def finished(self, demo: RunningDemo) -> None:
        """The daemon has stopped; the sinks hold everything that was delivered."""


def run_demo(
    home: Path, plan: DemoPlan, *, ner: bool = True, watcher: DemoWatcher | None = None,
    on_setup: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the demo's day in ``home`` (a fresh database there) and report what happened."""
    watch = watcher or DemoWatcher()
    say = on_setup or (lambda _message: None)
    os.environ[SIGNING_KEY_ENV] = secrets.token_hex(24)  # a throwaway key: never the user's
    clock = AcceleratedClock(plan.start, plan.speed)
    catalog = spread_over_day(load_catalog(), plan.timeline)
    with ExitStack() as stack:
        site = stack.enter_context(SampleNewsSite(clock=clock, start=plan.start, catalog=catalog))
        smtp = SmtpSink(clock=clock).start()
        stack.callback(smtp.stop)
        webhook = WebhookSink(clock=clock).start()
        stack.callback(webhook.stop)
        application = stack.enter_context(
            App.from_settings(demo_settings(home, smtp.port, plan, ner=ner), upgrade=True))
        application.clock = clock
        say("warming up the crawler, the extractor and the NLP pipeline")
        warm_up(application, site, home / "warm-up")
        demo = RunningDemo(
            plan, clock, site, smtp, webhook, application,
            tuple(add_demo_sources(application, site.sources(), plan.crawl_interval)),
            tuple(add_demo_subscriptions(application, webhook.url, plan.digest_time)),
        )
        before = tuple(site.published_stories())
        watch.started(demo)
        daemon, stopped_early = _run_daemon(demo, watch)
        watch.finished(demo)
        out_before = {item.story.key for item in before}
        during = tuple(item for item in site.published_stories()
                       if item.story.key not in out_before)
        files = write_digests(application, plan.day, home / "digests")
        alerts = application.storage.alerts.alerts(limit=MAX_ALERTS)
        return DemoResult(
            home, plan, before, during, tuple(smtp.mails), tuple(webhook.payloads),
            tuple(alerts), tuple(files), daemon.digest_sent, stopped_early, daemon.stats,
            digest_sent_at(application, plan.day),
        )


def warm_up(application: App, site: SampleNewsSite, scratch: Path) -> None:
    """Load what a process loads on first use (Scrapy, the extractor, spaCy) before the clock
    starts, so the accelerated day does not begin with seconds of imports. The warm-up crawl
    stores into a scratch database, which is then deleted; the demo's database is untouched."""
    application.article_tagger.tag("Meta unveiled Muse Spark; Nvidia shares rose 2%.")
    settings = application.settings.model_copy(update={"home": scratch})
    try:
        with App.from_settings(settings, upgrade=True) as scratch_app:
            scratch_app.clock = application.clock
            sources = add_demo_sources(scratch_app, site.sources(), 3600)
            shared_reactor().run(lambda: scratch_app.crawl_runner().crawl(sources, force=True))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_daemon(demo: RunningDemo, watch: DemoWatcher) -> tuple[DaemonRun, bool]:
    """Run the daemon on the reactor thread until its day ends; watch it from this thread.
    Ctrl-C stops the day early (the daemon still stops cleanly)."""
    daemon = DaemonRun(demo.application, demo.plan)
    reactor = shared_reactor()
    stopped_early = False
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsmon-demo") as pool:
        demo.clock.begin()
        future: Future[DaemonStats] = pool.submit(reactor.run, daemon.run)
        future.add_done_callback(lambda _future: done.set())
        try:
            while not done.wait(WATCH_SECONDS):
                watch.tick(demo)
        except KeyboardInterrupt:
            stopped_early = True
            daemon.stop()
        future.result()
    return daemon, stopped_early
