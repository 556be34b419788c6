"""The schedule as data: one crawl job per enabled source at its interval (floored, jittered,
first run after its last poll or pause), then process, deliver and SQLite-only maintenance."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.util import ref_to_obj
from pydantic import SecretStr

from config.settings import CrawlerSettings, Settings, StorageSettings
from newsmon.daemon.plan import is_due, plan_jobs
from pipeline.storage import FetchState, SourceRecord

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def source(name: str, interval: int = 1800, *, enabled: bool = True) -> SourceRecord:
    return SourceRecord(id=1, name=name, kind="feed", url=f"https://{name}.example/feed",
                        interval_seconds=interval, weight=1.0, link_selector=None,
                        enabled=enabled, description=None)


def test_jobs_have_explicit_ids_and_resolvable_coroutine_functions(tmp_path: Path) -> None:
    specs = plan_jobs(Settings(home=tmp_path), [source("wire"), source("labs"),
                                                source("off", enabled=False)], NOW)

    assert [spec.id for spec in specs] == [
        "crawl:labs", "crawl:wire", "process", "deliver", "digests", "maintenance"]
    assert all(inspect.iscoroutinefunction(ref_to_obj(spec.function)) for spec in specs)
    assert specs[1].args == ("wire",) and specs[2].args == ()
    assert {spec.trigger for spec in specs} == {"interval"}
    assert {spec.misfire_grace_time for spec in specs} == {3600}


def test_crawl_interval_is_floored_and_jitter_capped(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, crawler=CrawlerSettings(min_interval=600))
    fast, slow = plan_jobs(settings, [source("a", 60), source("b", 7200)], NOW)[:2]
    assert (fast.seconds, fast.jitter) == (600, 60)
    assert (slow.seconds, slow.jitter) == (7200, 60)
    tiny = plan_jobs(Settings(home=tmp_path, crawler=CrawlerSettings(min_interval=60)),
                     [source("c", 60)], NOW)[0]
    assert (tiny.seconds, tiny.jitter) == (60, 15)


def test_first_crawl_waits_for_the_interval_since_the_last_poll_and_for_any_pause(
    tmp_path: Path,
) -> None:
    states = {
        "recent": FetchState(last_polled_at=NOW - timedelta(minutes=10)),
        "paused": FetchState(last_polled_at=NOW - timedelta(hours=5),
                             next_poll_at=NOW + timedelta(hours=2), next_poll_reason="backoff"),
        "stale": FetchState(last_polled_at=NOW - timedelta(hours=5)),
    }
    sources = [source("new"), source("paused"), source("recent"), source("stale")]
    specs = {s.id: s for s in plan_jobs(Settings(home=tmp_path), sources, NOW, states)}

    assert specs["crawl:new"].first_run == NOW
    assert specs["crawl:paused"].first_run == NOW + timedelta(hours=2)
    assert specs["crawl:recent"].first_run == NOW + timedelta(minutes=20)
    assert specs["crawl:stale"].first_run == NOW + timedelta(seconds=3 * 2)  # staggered
    assert specs["process"].first_run == NOW
    assert specs["maintenance"].first_run == NOW  # never run yet: see below


def test_postgres_has_no_sqlite_maintenance(tmp_path: Path) -> None:
    url = SecretStr("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    settings = Settings(home=tmp_path, storage=StorageSettings(database_url=url))
    assert [spec.id for spec in plan_jobs(settings, [], NOW)] == [
        "process", "deliver", "digests"]


def test_is_due_allows_a_tenth_of_the_interval_of_slack() -> None:
    polled = FetchState(last_polled_at=NOW - timedelta(minutes=29))
    assert is_due(1800, None, NOW)
    assert is_due(1800, polled, NOW)  # 1 minute early: within the slack
    assert not is_due(1800, FetchState(last_polled_at=NOW - timedelta(minutes=20)), NOW)
    paused = FetchState(last_polled_at=NOW - timedelta(hours=2),
                        next_poll_at=NOW + timedelta(hours=1))
    assert not is_due(1800, paused, NOW)


def test_an_overdue_maintenance_catches_up_at_start_once(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    overdue = {"maintenance": NOW - timedelta(days=3)}
    recent = {"maintenance": NOW - timedelta(hours=6)}
    by_id = {s.id: s for s in plan_jobs(settings, [], NOW, last_runs=overdue)}
    assert by_id["maintenance"].first_run == NOW
    by_id = {s.id: s for s in plan_jobs(settings, [], NOW, last_runs=recent)}
    assert by_id["maintenance"].first_run == NOW + timedelta(hours=18)


def test_a_maintenance_that_never_ran_runs_at_start(tmp_path: Path) -> None:
    """Else a daemon restarted more often than the maintenance interval (a nightly restart, a
    deploy a day) would put it off at every start and never apply the retention age."""
    settings = Settings(home=tmp_path)
    for restart in range(3):
        now = NOW + timedelta(hours=20 * restart)
        by_id = {s.id: s for s in plan_jobs(settings, [], now, last_runs={})}
        assert by_id["maintenance"].first_run == now
