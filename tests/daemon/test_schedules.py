"""Source schedules: a daily window of local time or a cron expression, validated by the source
schema, stored with the source, and honoured by the plan, the triggers and ``run --once``."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from config import SourceSpec
from config.settings import Settings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext
from newsmon.daemon.plan import plan_jobs, source_is_due, source_next_due
from newsmon.daemon.service import DaemonStats, add_job, build_scheduler
from newsmon.daemon.triggers import EvenIntervalTrigger, TimeWindow, WindowTrigger, build_trigger
from pipeline.storage import FetchState, SourceRecord, Storage

# Friday 2026-11-20, 12:00 UTC = 13:00 in Paris
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def source(name: str, *, window: str | None = None, cron: str | None = None,
           timezone: str = "UTC", interval: int = 1800) -> SourceRecord:
    return SourceRecord(id=1, name=name, kind="feed", url=f"https://{name}.example/feed",
                        interval_seconds=interval, weight=1.0, link_selector=None, enabled=True,
                        description=None, window=window, cron=cron, timezone=timezone)


@pytest.mark.parametrize(("fields", "message"), [
    ({"window": "6:00-22:00", "cron": "0 * * * *"}, "either a window or a cron"),
    ({"window": "25:00-26:00"}, "not a time of day"),
    ({"window": "08:00-08:00"}, "is empty"),
    ({"window": "morning"}, "not a time window"),
    ({"cron": "*/20 6-21 * *"}, "five fields"),
    ({"cron": "61 * * * *"}, "not a crontab expression"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone"),
])
def test_the_source_schema_refuses_bad_schedules(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SourceSpec(name="wire", url="https://wire.example/feed", **fields)  # type: ignore[arg-type]


def test_the_source_schema_normalises_windows_and_crontabs() -> None:
    spec = SourceSpec(name="wire", url="https://wire.example/feed", window="6:00 - 22:00",
                      timezone="Europe/Paris")
    assert (spec.window, spec.cron, spec.timezone) == ("06:00-22:00", None, "Europe/Paris")
    spec = SourceSpec(name="wire", url="https://wire.example/feed", cron=" */20  6-21 * * mon-fri")
    assert spec.cron == "*/20 6-21 * * mon-fri"


def test_schedules_are_stored_with_the_source_and_updated_by_apply(storage: Storage) -> None:
    plain = SourceSpec(name="wire", url="https://wire.example/feed")
    assert storage.sources.apply(plain, NOW) == "added"
    assert storage.sources.apply(plain, NOW) == "unchanged"
    windowed = SourceSpec(name="wire", url="https://wire.example/feed", window="06:00-22:00",
                          timezone="Europe/Paris")
    assert storage.sources.apply(windowed, NOW) == "updated"
    stored = storage.sources.get("wire")
    assert stored is not None
    assert (stored.window, stored.cron, stored.timezone) == ("06:00-22:00", None, "Europe/Paris")
    cron = SourceSpec(name="wire", url="https://wire.example/feed", cron="0 7 * * *")
    assert storage.sources.apply(cron, NOW) == "updated"
    stored = storage.sources.get("wire")
    assert stored is not None
    assert (stored.window, stored.cron, stored.timezone) == (None, "0 7 * * *", "UTC")


def test_a_window_contains_its_local_times_and_spans_midnight() -> None:
    day = TimeWindow.parse("06:00-22:00", "Europe/Paris")
    night = TimeWindow.parse("22:00-06:00", "Europe/Paris")
    inside = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)    # 06:00 in Paris
    late = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)     # 22:00 in Paris
    assert day.contains(inside) and not day.contains(late)
    assert night.contains(late) and not night.contains(inside)
    assert not day.contains(inside - timedelta(seconds=1))


@pytest.mark.parametrize(("zone", "moment", "opening"), [
    ("Europe/Paris", "2026-11-20T21:30:00+00:00", "2026-11-21T05:00:00+00:00"),  # 22:30 CET
    ("Europe/Paris", "2026-11-20T04:00:00+00:00", "2026-11-20T05:00:00+00:00"),  # 05:00 CET
    ("Europe/Paris", "2026-03-28T22:00:00+00:00", "2026-03-29T04:00:00+00:00"),  # into CEST
    ("America/New_York", "2026-11-01T03:00:00+00:00", "2026-11-01T11:00:00+00:00"),  # into EST
])
def test_outside_the_window_the_next_opening_follows_local_time(zone: str, moment: str,
                                                                opening: str) -> None:
    window = TimeWindow.parse("06:00-22:00", zone)
    assert window.next_opening(datetime.fromisoformat(moment)) == datetime.fromisoformat(opening)


def test_the_window_trigger_polls_at_the_interval_inside_and_waits_outside() -> None:
    trigger = WindowTrigger(3600, TimeWindow.parse("06:00-22:00", "Europe/Paris"))
    fire = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 20:00 in Paris
    times = [fire]
    for _ in range(3):
        following = trigger.get_next_fire_time(fire, fire)
        assert following is not None
        fire = following
        times.append(fire)
    assert [t.astimezone(UTC).isoformat() for t in times] == [
        "2026-11-20T19:00:00+00:00", "2026-11-20T20:00:00+00:00",
        "2026-11-21T05:00:00+00:00",  # 22:00-06:00 local is outside: next morning at 06:00
        "2026-11-21T06:00:00+00:00",
    ]


def _gaps(trigger: EvenIntervalTrigger | WindowTrigger, runs: int) -> list[float]:
    """Seconds between the trigger's successive fire times, from a fixed start."""
    fire = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    gaps = []
    for _ in range(runs):
        following = trigger.get_next_fire_time(fire, fire)
        assert following is not None
        gaps.append((following - fire).total_seconds())
        fire = following
    return gaps


def test_interval_jitter_spreads_runs_without_lengthening_the_mean_interval() -> None:
    random.seed(11)
    gaps = _gaps(EvenIntervalTrigger(seconds=60, jitter=15, timezone="UTC"), 2000)
    assert min(gaps) >= 52.5 and max(gaps) <= 67.5  # 60 s, jitter spread on both sides
    assert abs(sum(gaps) / len(gaps) - 60) < 0.5  # APScheduler's own jitter: 67.5 on average
    assert len({round(gap) for gap in gaps}) > 10  # and it does spread them


def test_window_jitter_is_spread_on_both_sides_too() -> None:
    random.seed(3)
    gaps = _gaps(WindowTrigger(600, TimeWindow.parse("00:00-24:00"), jitter=120), 500)
    assert min(gaps) >= 540 and max(gaps) <= 660
    assert abs(sum(gaps) / len(gaps) - 600) < 6


def test_the_plan_gives_windowed_and_cron_sources_their_triggers(tmp_path: Path) -> None:
    sources = [source("night-owl", window="06:00-22:00", timezone="Europe/Paris"),
               source("opening-bell", cron="30 14 * * mon-fri", timezone="UTC"),
               source("wire")]
    late = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # 23:00 in Paris, Friday
    specs = {s.id: s for s in plan_jobs(Settings(home=tmp_path), sources, late)}

    owl = specs["crawl:night-owl"]
    assert (owl.trigger, owl.window, owl.timezone) == ("window", "06:00-22:00", "Europe/Paris")
    assert owl.first_run == datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 06:00 Paris, Saturday
    bell = specs["crawl:opening-bell"]
    assert (bell.trigger, bell.cron) == ("cron", "30 14 * * mon-fri")
    # never polled: the cron time of the last day (Friday 14:30) is caught up at once
    assert bell.first_run == late + timedelta(seconds=2)  # staggered after night-owl
    assert specs["crawl:wire"].trigger == "interval"

    polled = {"opening-bell": FetchState(last_polled_at=datetime(2026, 11, 20, 14, 30,
                                                                 tzinfo=UTC))}
    again = {s.id: s for s in plan_jobs(Settings(home=tmp_path), sources, late, polled)}
    assert again["crawl:opening-bell"].first_run == datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


def test_run_once_polls_a_source_only_inside_its_window_or_at_its_cron_time(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    owl = source("night-owl", window="06:00-22:00", timezone="Europe/Paris")
    assert source_is_due(settings, owl, None, NOW)                                 # 13:00
    assert not source_is_due(settings, owl, None, datetime(2026, 11, 20, 22, 0, tzinfo=UTC))
    bell = source("opening-bell", cron="30 14 * * mon-fri")
    polled = FetchState(last_polled_at=datetime(2026, 11, 19, 14, 30, tzinfo=UTC))
    assert not source_is_due(settings, bell, polled, NOW)                          # 12:00
    assert source_is_due(settings, bell, polled, datetime(2026, 11, 20, 14, 31, tzinfo=UTC))
    paused = FetchState(last_polled_at=polled.last_polled_at,
                        next_poll_at=datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
    assert source_next_due(settings, bell, paused, NOW) == paused.next_poll_at


def test_the_scheduler_gets_a_cron_or_window_trigger_with_the_jobs_rules(tmp_path: Path) -> None:
    sources = [source("night-owl", window="06:00-22:00", timezone="Europe/Paris"),
               source("opening-bell", cron="30 14 * * mon-fri", timezone="America/New_York")]

    async def scenario() -> dict[str, str]:
        scheduler = build_scheduler(asyncio.get_running_loop(), DaemonStats())
        with App.from_settings(Settings(home=tmp_path)) as app:
            for spec in plan_jobs(app.settings, sources, app.clock())[:2]:
                add_job(scheduler, spec, JobContext(app))
            jobs = {job.id: job for job in scheduler.get_jobs()}
            assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
            return {job_id: type(job.trigger).__name__ for job_id, job in jobs.items()}

    assert asyncio.run(scenario()) == {"crawl:night-owl": "WindowTrigger",
                                       "crawl:opening-bell": "CronTrigger"}
    cron = build_trigger("cron", seconds=60, jitter=None, cron="30 14 * * mon-fri",
                         window=None, timezone="America/New_York")
    fire = cron.get_next_fire_time(None, NOW)
    assert fire.astimezone(UTC) == datetime(2026, 11, 20, 19, 30, tzinfo=UTC)  # 14:30 EST
