"""Digests on a frozen clock, on SQLite and PostgreSQL, sent to a real webhook receiver: hourly
digests keyed by the local hour (DST nights in two zones), daily ones once per local day, and
after downtime ONE digest per subscription that starts where the last sent digest ended. The
scheduler runs each missed job once (coalesce)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from alerts.digest_job import hour_before
from config.settings import NetworkSettings, NlpSettings, Settings, StorageSettings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext, send_digests
from newsmon.daemon.plan import JobSpec
from newsmon.daemon.service import DaemonStats, add_job, build_scheduler
from pipeline.storage import Storage
from pipeline.storage.alerts import SubscriptionMatch
from pipeline.storage.digests import StoredDigest
from pipeline.storage.subscriptions import NewSubscription, SubscriptionRecord
from pipeline.types import ArticleOrigin, ExtractedArticle
from tests.alerts.delivery_support import Receiver
from tests.support.clock import ManualClock

KEY = "k" * 40


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.reset()
    return receiver_server


@pytest.fixture
def app(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("NEWSMON_WEBHOOK_SIGNING_KEY", KEY)
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model=""),
                        storage=StorageSettings(database_url=SecretStr(database_url)),
                        network=NetworkSettings(allow_hosts=("127.0.0.1",)))
    with App.from_settings(settings, upgrade=True) as opened:
        yield opened


def subscribe(app: App, receiver: Receiver, frequency: str, timezone: str,
              created: datetime) -> SubscriptionRecord:
    record = app.storage.subscriptions.add(NewSubscription(
        name=f"{frequency}-watch", query="company:Meta", frequency=frequency,
        digest_time="08:00", timezone=timezone, channels=(("webhook", receiver.url()),)),
        created)
    assert record is not None
    return record


def matched(storage: Storage, subscription: SubscriptionRecord, title: str,
            at: datetime) -> None:
    text = f"{title}. " + " ".join(f"Meta detail {n} of {title}." for n in range(30))
    outcome = storage.articles.store("wire", ExtractedArticle(
        url=f"https://wire.example/{title.replace(' ', '-')}", title=title, text=text),
        origin=ArticleOrigin.PAGE, fetched_at=at)
    assert outcome.article_id is not None
    storage.alerts.record_matches(outcome.article_id, outcome.article_id,
                                  [SubscriptionMatch(subscription.id, ())], at)


def sent_day(storage: Storage, subscription: SubscriptionRecord, key: str, start: datetime,
             end: datetime) -> None:
    stored = storage.digests.keep(StoredDigest(0, subscription.id, key, start, end, end, None,
                                               "", "", "", "{}"))
    storage.digests.mark_sent(stored.id, end)


def digests_received(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.received if r.method == "POST"]


def headlines(document: dict[str, Any]) -> list[str]:
    return sorted(story["headline"] for story in document["stories"])


def run_job(app: App, at: datetime) -> int:
    app.clock = ManualClock(at)
    return asyncio.run(send_digests(JobContext(app)))


PARIS_DAY_20 = (datetime(2026, 11, 19, 23, tzinfo=UTC), datetime(2026, 11, 20, 23, tzinfo=UTC))


def test_stopped_three_hours_across_the_digest_time_one_digest_is_sent_once(
    app: App, receiver: Receiver
) -> None:
    daily = subscribe(app, receiver, "daily", "Europe/Paris", datetime(2026, 11, 1, tzinfo=UTC))
    sent_day(app.storage, daily, "2026-11-19", PARIS_DAY_20[0] - timedelta(days=1),
             PARIS_DAY_20[0])
    matched(app.storage, daily, "Meta ships a model", datetime(2026, 11, 20, 9, tzinfo=UTC))
    matched(app.storage, daily, "Meta shares rise", datetime(2026, 11, 20, 22, tzinfo=UTC))
    matched(app.storage, daily, "Meta news of the next day", datetime(2026, 11, 21, 6,
                                                                       tzinfo=UTC))

    # down from 06:00 to 09:00 UTC (07:00-10:00 in Paris), across the 08:00 digest time
    restarted = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert run_job(app, restarted) == 1
    assert run_job(app, restarted + timedelta(minutes=5)) == 0  # the next check
    assert run_job(app, restarted + timedelta(hours=12)) == 0

    [document] = digests_received(receiver)
    assert headlines(document) == ["Meta shares rise", "Meta ships a model"]
    assert datetime.fromisoformat(document["period"]["start"]) == PARIS_DAY_20[0]
    assert datetime.fromisoformat(document["period"]["end"]) == PARIS_DAY_20[1]
    stored = app.storage.digests.get(daily.id, "2026-11-20")
    assert stored is not None and stored.sent_at == restarted


def test_stopped_three_days_one_digest_covers_everything_since_the_last_sent(
    app: App, receiver: Receiver
) -> None:
    daily = subscribe(app, receiver, "daily", "Europe/Paris", datetime(2026, 11, 1, tzinfo=UTC))
    sent_day(app.storage, daily, "2026-11-19", PARIS_DAY_20[0] - timedelta(days=1),
             PARIS_DAY_20[0])
    for day, title in ((20, "Meta on Friday"), (21, "Meta on Saturday"), (22, "Meta on Sunday")):
        matched(app.storage, daily, title, datetime(2026, 11, day, 12, tzinfo=UTC))

    # stopped on Friday 06:00 UTC, started again on Monday 09:00 UTC (10:00 in Paris)
    restarted = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert run_job(app, restarted) == 1
    assert run_job(app, restarted + timedelta(minutes=5)) == 0

    [document] = digests_received(receiver)
    assert headlines(document) == ["Meta on Friday", "Meta on Saturday", "Meta on Sunday"]
    assert datetime.fromisoformat(document["period"]["start"]) == PARIS_DAY_20[0]
    assert datetime.fromisoformat(document["period"]["end"]) == datetime(2026, 11, 22, 23,
                                                                         tzinfo=UTC)
    assert app.storage.digests.get(daily.id, "2026-11-22") is not None
    for skipped in ("2026-11-20", "2026-11-21"):  # keyed by the latest due day only
        assert app.storage.digests.get(daily.id, skipped) is None


def test_hourly_digests_one_per_hour_quiet_hours_roll_over_and_downtime_sends_one(
    app: App, receiver: Receiver
) -> None:
    hourly = subscribe(app, receiver, "hourly", "Europe/Paris",
                       datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    matched(app.storage, hourly, "Meta at ten fifteen", at + timedelta(minutes=15))
    matched(app.storage, hourly, "Meta at ten forty", at + timedelta(minutes=40))

    assert run_job(app, at + timedelta(minutes=62)) == 1          # the 11:00 (Paris) hour
    assert run_job(app, at + timedelta(minutes=67)) == 0
    assert run_job(app, at + timedelta(minutes=123)) == 0         # a quiet hour: nothing sent
    matched(app.storage, hourly, "Meta at half past noon", at + timedelta(minutes=150))
    assert run_job(app, at + timedelta(minutes=182)) == 1         # covers the quiet hour too
    for minutes in (200, 260, 320):                                # while the daemon is down
        matched(app.storage, hourly, f"Meta at minute {minutes}", at + timedelta(minutes=minutes))
    assert run_job(app, at + timedelta(minutes=365)) == 1         # three hours later: one

    first, second, third = digests_received(receiver)
    assert headlines(first) == ["Meta at ten fifteen", "Meta at ten forty"]
    assert headlines(second) == ["Meta at half past noon"]
    assert datetime.fromisoformat(second["period"]["start"]) == at + timedelta(hours=1)
    assert headlines(third) == ["Meta at minute 200", "Meta at minute 260",
                                "Meta at minute 320"]
    assert datetime.fromisoformat(third["period"]["start"]) == at + timedelta(hours=3)
    keys = [app.storage.digests.get(hourly.id, key) is not None for key in (
        "2026-11-20T11:00+01:00", "2026-11-20T12:00+01:00", "2026-11-20T13:00+01:00",
        "2026-11-20T16:00+01:00")]
    assert keys == [True, False, True, True]


@pytest.mark.parametrize(("zone", "day", "hours"), [
    ("America/New_York", "2026-11-01", 25),   # fall back: 01:00 twice
    ("America/New_York", "2026-03-08", 23),   # spring forward: no 02:00
    ("Europe/Paris", "2026-10-25", 25),
    ("Europe/Paris", "2026-03-29", 23),
])
def test_hourly_keys_name_each_local_hour_once_on_dst_days(zone: str, day: str,
                                                           hours: int) -> None:
    start = datetime.fromisoformat(f"{day}T00:00:00+00:00") - timedelta(hours=12)
    periods = [hour_before(start + timedelta(hours=n), zone) for n in range(48)]
    of_day = [p for p in periods if p.key.startswith(day)]
    assert len(of_day) == hours
    assert len({p.key for p in of_day}) == hours  # never two digests under one key
    assert all(p.end - p.start == timedelta(hours=1) for p in of_day)
    assert all(a.end == b.start for a, b in pairwise(of_day))


async def count(context: JobContext) -> None:
    return None


def test_a_job_that_missed_three_runs_runs_once_then_keeps_its_interval(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, float]:
        stats = DaemonStats()
        scheduler = build_scheduler(asyncio.get_running_loop(), stats)
        ran = asyncio.Event()
        scheduler.add_listener(lambda _event: ran.set())
        now = datetime.now(UTC)
        with App.from_settings(Settings(home=tmp_path)) as application:
            spec = JobSpec("process", "tests.daemon.test_digest_catchup:count", (), "interval",
                           3600, None, now - timedelta(hours=3), 4 * 3600)
            add_job(scheduler, spec, JobContext(application))
            scheduler.start()
            await asyncio.wait_for(ran.wait(), 10)
            job: Any = scheduler.get_job("process")
            ahead = (job.next_run_time - datetime.now(UTC)).total_seconds()
            scheduler.shutdown(wait=False)
        return stats.executed["process"] + stats.missed["process"], ahead

    runs, ahead = asyncio.run(scenario())
    assert runs == 1  # three missed hourly runs, coalesced into one
    assert ahead > 50 * 60  # and the next one is an interval away, not another catch-up
