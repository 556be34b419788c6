"""The ``newsmon demo`` scenario: one simulated day of news through the real daemon, offline.

Part of the offline demo of the application shell (``newsmon/demo``); ``newsmon/cli_demo.py``
shows it live. What is real and what is simulated:

- Real: the sample news site, the SMTP sink and the webhook receiver (HTTP and SMTP on
  127.0.0.1), the SQLite database, and the daemon itself (:class:`newsmon.daemon.service.Daemon`
  with its APScheduler jobs on the reactor's loop: crawl per source, process, deliver, digests).
- Simulated: the time. One :class:`~newsmon.demo.clock.AcceleratedClock` is the clock of the app
  and of the site, so a day passes in about a minute; the scheduler is told the same speed
  (:class:`~newsmon.daemon.service.SchedulerPace`), so every interval in the settings below is in
  simulated time and simply passes faster.

The day (:class:`DemoPlan`): the site's older stories are out when the demo starts, the others are
published one by one during the day (:mod:`newsmon.demo.schedule`); subscribers get alerts as the
daemon finds them, and after midnight the daily subscription's digest is built and sent by the
daemon's first digest check after its digest time. The run ends once that digest has gone out
(or on a stop request).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alerts.digest_job import digest_of_day
from config import Settings, SourceSpec, load_settings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext
from newsmon.daemon.service import Daemon, DaemonStats, SchedulerPace
from newsmon.demo.schedule import DemoTimeline
from newsmon.demo.site import DemoSource
from pipeline.storage import SourceRecord
from pipeline.storage.subscriptions import NewSubscription, SubscriptionRecord

DEMO_CRAWLER_SETTINGS: dict[str, object] = {
    "download_delay_seconds": 0.0,
    "concurrent_requests_per_domain": 8,
    "request_timeout_seconds": 10.0,
    "retry_times": 1,
}
DIGEST_SUBSCRIPTION = "ai-daily"
DIGEST_QUERY = ("company:Meta OR company:Nvidia OR company:Anthropic OR company:OpenAI "
                "OR company:Alphabet OR company:Microsoft OR company:Alibaba")
AFTER_DIGEST = timedelta(minutes=10)
"""How long the day runs on after the digest time (simulated)."""
DIGEST_WAIT_SECONDS = 60.0
"""How long (wall seconds) the end of the day waits for a late digest before giving up."""


@dataclass(frozen=True)
class DemoSubscription:
    """A subscriber of the demo: query, where alerts go, immediate or daily."""

    name: str
    query: str
    channels: tuple[str, ...]
    """``email`` and/or ``webhook``."""
    frequency: str = "immediate"


DEMO_SUBSCRIPTIONS = (
    DemoSubscription("muse-spark", 'lead:(model:"Muse Spark")', ("email",)),
    DemoSubscription("nvidia-moves", "company:Nvidia", ("webhook",)),
    DemoSubscription("anthropic-models", "developer:Anthropic OR company:Anthropic", ("email",)),
    DemoSubscription(DIGEST_SUBSCRIPTION, DIGEST_QUERY, ("email", "webhook"), "daily"),
)


@dataclass(frozen=True)
class DemoPlan:
    """The simulated day: when it starts and ends, how fast it runs, how often the daemon acts
    (all intervals in simulated seconds)."""

    day: date
    start_hour: int
    speed: float
    timeline: DemoTimeline
    digest_time: str = "01:00"
    crawl_interval: int = 1800
    process_interval: int = 900
    deliver_interval: int = 300
    digest_check_interval: int = 900

    @property
    def start(self) -> datetime:
        """When the simulated day starts (UTC)."""
        return datetime.combine(self.day, datetime.min.time(), UTC) + timedelta(
            hours=self.start_hour)

    @property
    def digest_at(self) -> datetime:
        """When the day's digest is due: the digest time of the next day (UTC)."""
        hour, minute = (int(part) for part in self.digest_time.split(":"))
        return datetime.combine(self.day + timedelta(days=1), datetime.min.time(), UTC) + (
            timedelta(hours=hour, minutes=minute))

    @property
    def end(self) -> datetime:
        """When the simulated run stops (a little after the digest)."""
        return self.digest_at + AFTER_DIGEST

    @property
    def wall_seconds(self) -> float:
        """How long the day takes in wall seconds."""
        return (self.end - self.start).total_seconds() / self.speed


def demo_plan(today: date, *, fast: bool = False) -> DemoPlan:
    """Today from 09:00 UTC to the digest at 01:00 the next night: about a minute of wall time.
    ``fast`` (for tests) starts at 15:00, publishes until 19:00 and runs the daemon's steps less
    often: about ten seconds."""
    if fast:
        return DemoPlan(today, 15, 4000.0,
                        DemoTimeline(first=timedelta(minutes=30), last=timedelta(hours=4)),
                        crawl_interval=3600, process_interval=1800, deliver_interval=600,
                        digest_check_interval=1800)
    return DemoPlan(today, 9, 1000.0, DemoTimeline())


def demo_settings(home: Path, smtp_port: int, plan: DemoPlan, *, ner: bool = True) -> Settings:
    """Settings of the demo's app: loopback allowed, the SMTP sink, the plan's daemon intervals,
    only errors logged (the live view shows the rest)."""
    overrides: dict[str, dict[str, object]] = {
        "crawler": DEMO_CRAWLER_SETTINGS,
        "network": {"allow_hosts": ["127.0.0.1"]},
        "email": {"host": "127.0.0.1", "port": smtp_port, "security": "none",
                  "from_address": "alerts@newsmon.demo", "helo_name": "newsmon.demo"},
        "daemon": {"process_interval": plan.process_interval,
                   "deliver_interval": plan.deliver_interval,
                   "digest_check_interval": plan.digest_check_interval},
        "logging": {"level": "ERROR"},
    }
    if not ner:
        overrides["nlp"] = {"ner_model": ""}
    return load_settings(home=home, env={}, overrides=overrides)


def add_demo_sources(
    application: App, sources: Sequence[DemoSource], interval: int
) -> list[SourceRecord]:
    """The sample site's outlets as sources, each polled every ``interval`` simulated seconds."""
    now = application.clock()
    added = []
    for source in sources:
        spec = SourceSpec(
            name=source.name, kind=source.kind, url=source.url,  # type: ignore[arg-type]
            interval=interval, weight=source.weight, link_selector=source.link_selector,
        )
        record = application.storage.sources.add(spec, now) or application.storage.sources.get(
            spec.name)
        if record is not None:
            added.append(record)
    return added


def add_demo_subscriptions(
    application: App, webhook_url: str, digest_time: str
) -> list[SubscriptionRecord]:
    """The demo's subscribers; emails go to ``reader@newsmon.demo`` (the SMTP sink); the daily
    one's digest is due at ``digest_time`` (UTC)."""
    targets = {"email": "reader@newsmon.demo", "webhook": webhook_url}
    added = []
    for wanted in DEMO_SUBSCRIPTIONS:
        record = application.storage.subscriptions.add(NewSubscription(
            name=wanted.name, query=wanted.query, frequency=wanted.frequency,
            digest_time=digest_time, timezone="UTC",
            channels=tuple((kind, targets[kind]) for kind in wanted.channels),
        ), application.clock()) or application.storage.subscriptions.get(wanted.name)
        if record is not None:
            added.append(record)
    return added


@dataclass
class DaemonRun:
    """The daemon of one demo, driven from another thread: ``stop`` ends it early."""

    application: App
    plan: DemoPlan
    stats: DaemonStats = field(default_factory=DaemonStats)
    digest_sent: bool = False
    _stop: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> DaemonStats:
        """Start the daemon on the running loop; stop it once the day's digest has gone out
        after the plan's end, when asked to stop, or when the digest is hopelessly late."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        daemon = Daemon(JobContext(self.application), self._loop, SchedulerPace(self.plan.speed))
        self.stats = daemon.stats
        daemon.start()
        try:
            await self._wait_for_end()
        finally:
            await daemon.stop()
        return daemon.stats

    def stop(self) -> None:
        """Ask the run to end now (thread-safe)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def _wait_for_end(self) -> None:
        clock, stop = self.application.clock, self._stop
        assert stop is not None
        late_since: float | None = None
        while not stop.is_set():
            if clock() >= self.plan.end:
                self.digest_sent = await asyncio.to_thread(
                    digests_sent, self.application, self.plan.day)
                late_since = late_since or time.monotonic()
                if self.digest_sent or time.monotonic() - late_since > DIGEST_WAIT_SECONDS:
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)


def digests_sent(application: App, day: date) -> bool:
    """Whether every daily subscription's digest of ``day`` has been sent."""
    storage = application.storage
    for subscription in storage.subscriptions.all(active_only=True):
        if subscription.frequency != "daily":
            continue
        stored = storage.digests.get(subscription.id, day.isoformat())
        if stored is None or stored.sent_at is None:
            return False
    return True


def digest_sent_at(application: App, day: date) -> datetime | None:
    """When the last of the daily subscriptions' digests of ``day`` was sent (``None`` while
    one is unsent, or when there is none)."""
    times = []
    for subscription in application.storage.subscriptions.all(active_only=True):
        if subscription.frequency != "daily":
            continue
        stored = application.storage.digests.get(subscription.id, day.isoformat())
        if stored is None or stored.sent_at is None:
            return None
        times.append(stored.sent_at)
    return max(times, default=None)


def write_digests(application: App, day: date, folder: Path) -> list[Path]:
    """Each daily subscription's digest of ``day`` (as stored, so as sent) as HTML and text."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for subscription in application.storage.subscriptions.all(active_only=True):
        if subscription.frequency != "daily":
            continue
        stored = digest_of_day(application.storage, subscription, day, clock=application.clock)
        for suffix, body in (("html", stored.html), ("txt", stored.text)):
            path = folder / f"digest-{subscription.name}-{day.isoformat()}.{suffix}"
            path.write_text(body, encoding="utf-8")
            written.append(path)
    return written


def wall_clock_today() -> date:
    """Today's date (UTC) by the wall clock: the demo's simulated day."""
    return datetime.now(UTC).date()
