"""Fault: the daemon killed with SIGKILL anywhere, again and again, loses and repeats nothing.

The real ``newsmon run`` runs in a subprocess over the bundled sample news site, with immediate
subscriptions whose webhooks go to a real local receiver that checks every signature. The site
releases its stories step by step; at each step the daemon is started and killed at a seeded
random moment inside one phase -- while it fetches article pages (crawl), after its process job
has started (tagging, clustering, matching) or while the receiver holds a delivery (between a
send and its record). After 20 kills it runs to the end and is stopped with SIGTERM. Then,
compared with an uninterrupted ``run --once`` over the same site: every article is stored once,
each subscription's alerts cover the same articles with one alert per (subscription, story),
every delivery was made, and the receiver saw a delivery id again only where a kill had landed
between that delivery's send and its record.

The daemon's intervals are shortened through its config file; the sources' own interval is set
to 5 s in the database (the source list refuses intervals under a minute).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from newsmon.demo.responses import HttpResponse
from pipeline.dates import utc_now
from pipeline.storage import Storage
from tests.reliability.daemon_support import (
    DaemonProcess,
    SteppedSite,
    add_site_sources,
    add_subscriptions,
    open_home_storage,
)
from tests.reliability.fault_support import SIGNING_KEY, Answer, SignedReceiver

pytestmark = pytest.mark.slow

KILLS = 20
SEED = 20261120
SUBSCRIPTIONS = {
    "nvidia": "company:Nvidia",
    "muse": 'company:Meta "Muse Spark"',
    "anthropic": "developer:Anthropic OR company:Anthropic",
    "rivals": "company:OpenAI OR company:Google",
    "broad": "model OR models OR chips OR shares",
}
CONFIG = """
[crawler]
download_delay_seconds = 0
request_timeout_seconds = 5
retry_times = 1
min_interval = "1s"
concurrent_requests_per_domain = 8
[nlp]
ner_model = ""
[network]
allow_hosts = ["127.0.0.1"]
[webhook]
timeout_seconds = 2
[delivery]
claim_lease = "4s"
backoff_base = "1s"
backoff_max = "5s"
[daemon]
process_interval = "10s"
deliver_interval = "5s"
crawl_jitter = "0s"
crawl_stagger = "0s"
"""
PHASE_DELAY = {"crawl": 0.5, "process": 2.0, "send": 0.25}
"""Longest random wait after a phase's signal before the kill."""
SITE_SPAN = timedelta(minutes=2420)
"""The sample site's stories are published from 40 hours before its start to 11 minutes after."""


def environment(home: Path) -> dict[str, str]:
    return {"NEWSMON_HOME": str(home), "NEWSMON_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
            "NEWSMON_LOGGING__LEVEL": "DEBUG", "NEWSMON_ALLOW_HOSTS": "127.0.0.1"}


def prepare_home(home: Path, site: SteppedSite, webhook_base: str | None) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text(CONFIG)
    storage = open_home_storage(home)
    try:
        add_site_sources(storage, site, utc_now())
        add_subscriptions(storage, SUBSCRIPTIONS, utc_now(), webhook_base)
        with storage.engine.begin() as connection:
            connection.execute(text("UPDATE sources SET interval_seconds = 5"))
    finally:
        storage.close()


def url_key(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def stored_articles(storage: Storage) -> list[str]:
    with storage.engine.connect() as connection:
        return [url_key(url) for (url,) in connection.execute(
            text("SELECT canonical_url FROM articles"))]


def alerted_articles(storage: Storage) -> dict[str, set[str]]:
    """Per subscription, the articles its alerts cover (first articles and folded ones)."""
    query = text("SELECT s.name, a.canonical_url FROM alert_articles aa "
                 "JOIN alerts al ON al.id = aa.alert_id JOIN subscriptions s "
                 "ON s.id = al.subscription_id JOIN articles a ON a.id = aa.article_id")
    covered: dict[str, set[str]] = {name: set() for name in SUBSCRIPTIONS}
    with storage.engine.connect() as connection:
        for name, url in connection.execute(query):
            covered[name].add(url_key(url))
    return covered


def sent_keys(storage: Storage) -> set[str]:
    return {job.key for job in storage.alerts.deliveries(status="sent", limit=10_000)}


def reference_run(tmp_path: Path, site: SteppedSite) -> tuple[list[str], dict[str, set[str]]]:
    """An uninterrupted ``run --once`` over the finished site: what the crashed one must match."""
    home = tmp_path / "reference"
    prepare_home(home, site, None)
    daemon = DaemonProcess(home, environment(home), "--once")
    assert daemon.process.wait(180) == 0, daemon.output()
    storage = open_home_storage(home)
    try:
        return stored_articles(storage), alerted_articles(storage)
    finally:
        storage.close()


def wait_until_settled(storage: Storage, expected_articles: int, receiver: SignedReceiver,
                       daemon: DaemonProcess, timeout: float = 120) -> None:
    """Until every expected article is stored and matched and every delivery is sent."""
    query = text("SELECT count(*), count(matched_at) FROM articles")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with storage.engine.connect() as connection:
            stored, matched = connection.execute(query).one()
        counts = storage.alerts.outbox_counts()
        if (stored >= expected_articles and matched == stored
                and set(counts) <= {"sent"} and counts.get("sent", 0) > 0):
            return
        time.sleep(0.5)
    raise AssertionError(f"the daemon did not settle: {stored} stored, {matched} matched, "
                         f"outbox {counts}\n{daemon.output()[-4000:]}")


def test_sigkill_at_20_random_moments_loses_and_repeats_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    start = utc_now().replace(microsecond=0)
    receiver = SignedReceiver().start()
    site = SteppedSite(start)
    site.start()
    try:
        for name in SUBSCRIPTIONS:
            receiver.script(f"/hook/{name}", Answer(204, delay=0.3))
        final = start + timedelta(minutes=12)
        site.now = final
        expected_articles, expected_alerted = reference_run(tmp_path, site)

        home = tmp_path / "home"
        prepare_home(home, site, receiver.url("/hook"))
        storage = open_home_storage(home)
        sending = receiver_signal(receiver)
        phases = ["crawl"] * 7 + ["process"] * 7 + ["send"] * 6
        rng.shuffle(phases)
        landed: Counter[str] = Counter()
        in_flight_at_kill: Counter[str] = Counter()
        for step, phase in enumerate(phases, start=1):
            site.now = final - SITE_SPAN + SITE_SPAN * step / (KILLS + 1)
            site.article_requested.clear()
            sending.clear()
            daemon = DaemonProcess(home, environment(home))
            signals = {"crawl": site.article_requested, "send": sending,
                       "process": daemon.marker("job process started")}
            if signals[phase].wait(30):
                landed[phase] += 1
            time.sleep(rng.uniform(0, PHASE_DELAY[phase]))
            daemon.kill()
            received = {hit.delivery_id for hit in receiver.hits_of()}
            in_flight_at_kill.update(received - sent_keys(storage))

        site.now = final
        daemon = DaemonProcess(home, environment(home))
        try:
            wait_until_settled(storage, len(expected_articles), receiver, daemon)
        finally:
            assert daemon.stop() == 0, daemon.output()[-4000:]

        # every phase was hit several times, and some kills fell between a send and its record
        assert min(landed[p] for p in ("crawl", "process", "send")) >= 4, landed
        assert sum(in_flight_at_kill.values()) >= 1
        # every article stored once, the same as without crashes
        articles = stored_articles(storage)
        assert sorted(articles) == sorted(expected_articles)
        # alerts: the same articles per subscription, one alert per (subscription, story)
        assert alerted_articles(storage) == expected_alerted
        with storage.engine.connect() as connection:
            doubled = connection.execute(text(
                "SELECT subscription_id, story_id FROM alerts GROUP BY subscription_id, "
                "story_id HAVING count(*) > 1")).all()
        assert doubled == []
        # every delivery made; repeats only where a kill fell between send and record
        deliveries = storage.alerts.deliveries(limit=10_000)
        assert deliveries and {job.status for job in deliveries} == {"sent"}
        hits = receiver.hits_of()
        seen = Counter(hit.delivery_id for hit in hits)
        assert set(seen) == {job.key for job in deliveries}
        for delivery_id, count in seen.items():
            assert count - 1 <= in_flight_at_kill[delivery_id], (delivery_id, count)
        assert [hit.signature_problem for hit in hits if hit.signature_problem] == []
        storage.close()
    finally:
        site.stop()
        receiver.stop()


def receiver_signal(receiver: SignedReceiver) -> threading.Event:
    """An event set whenever the receiver gets a delivery."""
    event = threading.Event()
    receiver.on_hit = lambda _hit: event.set()
    return event


class HeldSite(SteppedSite):
    """The site, except that article pages are held unanswered until :attr:`release` is set."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.release = threading.Event()
        self.held: list[str] = []

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> HttpResponse:
        answer = super().respond(method, target, headers)
        if self.article_requested.is_set() and not self.release.is_set():
            self.held.append(target)
            self.release.wait(30)
        return answer


def test_a_crawl_killed_after_its_poll_was_recorded_still_stores_every_entry(
    tmp_path: Path,
) -> None:
    """The feed answered and its poll was recorded, but the daemon died before the entries'
    pages arrived: the next poll must not be a 304 that forgets them."""
    start = utc_now().replace(microsecond=0)
    site = HeldSite(start)
    site.start()
    home = tmp_path / "home"
    try:
        site.now = start + timedelta(minutes=12)
        prepare_home(home, site, None)
        storage = open_home_storage(home)
        with storage.engine.begin() as connection:  # one source: the wire's RSS feed
            connection.execute(
                text("UPDATE sources SET enabled = false WHERE name != 'circuit-wire'"))
        daemon = DaemonProcess(home, environment(home))
        assert site.article_requested.wait(60), daemon.output()
        time.sleep(0.5)  # the other entries' requests arrive and are held too
        daemon.kill()
        held = {url_key(site.url(target)) for target in site.held}
        assert held and not held & set(stored_articles(storage))
        site.release.set()

        daemon = DaemonProcess(home, environment(home))
        try:
            deadline = time.monotonic() + 60
            while not held <= set(stored_articles(storage)) and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            daemon.stop()
        assert held <= set(stored_articles(storage)), daemon.output()[-3000:]
        storage.close()
    finally:
        site.release.set()
        site.stop()
