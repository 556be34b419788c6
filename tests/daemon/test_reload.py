"""SIGHUP: the daemon reads its sources again (the user's sources.toml applied to the database,
as at start), adds, removes and reschedules crawl jobs, and the next processing run matches the
current subscriptions. In process on SQLite and PostgreSQL, then once through a real signal."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from config import SourceSpec
from config.settings import NlpSettings, Settings, StorageSettings
from newsmon.app import App
from newsmon.daemon.jobs import JobContext, process_pending
from newsmon.daemon.service import Daemon
from newsmon.daemon.triggers import WindowTrigger
from pipeline.dates import utc_now
from pipeline.storage import Storage
from pipeline.storage.subscriptions import NewSubscription
from pipeline.types import ArticleOrigin, ExtractedArticle
from tests.crawler.pages import article_html, rss_feed
from tests.daemon.test_run import read_lines, wait_for_line
from tests.support.db import sqlite_url
from tests.support.http import Reply, RouteServer, Seen
from tests.support.processes import kill_if_running

NEWSMON = str(Path(sys.executable).with_name("newsmon"))
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def write_sources(home: Path, *tables: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "sources.toml").write_text("\n".join(tables), encoding="utf-8")


def source_table(name: str, url: str, extra: str = "") -> str:
    return f'[[source]]\nname = "{name}"\nurl = "{url}"\n{extra}\n'


def open_app(home: Path, database_url: str) -> App:
    settings = Settings(home=home, nlp=NlpSettings(ner_model=""),
                        storage=StorageSettings(database_url=SecretStr(database_url)))
    return App.from_settings(settings, upgrade=True)


def job_ids(daemon: Daemon) -> set[str]:
    return {job.id for job in daemon.scheduler.get_jobs()}


def test_reload_adds_removes_and_reschedules_crawl_jobs(tmp_path: Path, database_url: str) -> None:
    home = tmp_path / "home"
    write_sources(home, source_table("alpha", "https://alpha.example/feed"),
                  source_table("beta", "https://beta.example/feed", 'interval = "1h"'))

    async def scenario() -> None:
        with open_app(home, database_url) as app:
            app.storage.sources.add(SourceSpec(name="delta", url="https://d.example/feed"),
                                    app.clock())
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            daemon.start()
            daemon.scheduler.pause()  # the schedule is under test here, not the jobs
            assert {"crawl:alpha", "crawl:beta", "crawl:delta"} <= job_ids(daemon)
            alpha_next = daemon.scheduler.get_job("crawl:alpha").next_run_time

            write_sources(home, source_table("alpha", "https://alpha.example/feed"),
                          source_table("beta", "https://beta.example/feed",
                                       'interval = "2h"\nwindow = "06:00-22:00"\n'
                                       'timezone = "Europe/Paris"'),
                          source_table("gamma", "https://gamma.example/feed"))
            app.storage.sources.remove("delta")  # as `newsmon sources remove delta` does
            report = await daemon.reload()

            assert (report.added, report.removed, report.changed) == (
                ("crawl:gamma",), ("crawl:delta",), ("crawl:beta",))
            assert {"crawl:alpha", "crawl:beta", "crawl:gamma"} <= job_ids(daemon)
            assert "crawl:delta" not in job_ids(daemon)
            assert daemon.scheduler.get_job("crawl:alpha").next_run_time == alpha_next
            beta: Any = daemon.scheduler.get_job("crawl:beta")
            assert isinstance(beta.trigger, WindowTrigger)
            assert beta.trigger.interval.total_seconds() == 7200
            assert (beta.coalesce, beta.max_instances) == (True, 1)

            write_sources(home, source_table("alpha", "https://alpha.example/feed"),
                          source_table("beta", "https://beta.example/feed", "enabled = false"),
                          source_table("gamma", "https://gamma.example/feed"))
            disabled = await daemon.reload()
            assert disabled.removed == ("crawl:beta",) and "crawl:beta" not in job_ids(daemon)

            (home / "sources.toml").write_text('[[source]]\nname = "Bad Name"\n')
            broken = await daemon.reload()  # an invalid file is logged; the schedule stays
            assert (broken.added, broken.removed, broken.changed) == ((), (), ())
            assert broken.summary().startswith(  # not a plain "reloaded" after the error
                f"{home / 'sources.toml'} is invalid, the sources in force are kept; ")
            assert {"crawl:alpha", "crawl:gamma"} <= job_ids(daemon)
            await daemon.stop()

    asyncio.run(scenario())


def test_after_a_reload_processing_matches_the_current_subscriptions(
    tmp_path: Path, database_url: str
) -> None:
    async def scenario() -> list[str]:
        with open_app(tmp_path / "home", database_url) as app:
            daemon = Daemon(JobContext(app), asyncio.get_running_loop())
            daemon.start()
            daemon.scheduler.pause()
            app.storage.subscriptions.add(NewSubscription(name="old", query="Nvidia"),
                                          app.clock())
            store_article(app.storage, "Nvidia ships new chips")
            await process_pending(daemon.context)

            app.storage.subscriptions.set_paused("old", True)
            app.storage.subscriptions.add(NewSubscription(name="new", query="Nvidia"),
                                          app.clock())
            report = await daemon.reload()
            assert report.subscriptions == 1
            store_article(app.storage, "Nvidia guidance beats estimates")
            await process_pending(daemon.context)
            await daemon.stop()
            return sorted(f"{a.subscription}: {a.title}" for a in app.storage.alerts.alerts())

    assert asyncio.run(scenario()) == ["new: Nvidia guidance beats estimates",
                                       "old: Nvidia ships new chips"]


def store_article(storage: Storage, title: str) -> None:
    text = f"{title}. " + " ".join(f"Filler sentence number {n} about the industry." for n in
                                   range(12))
    outcome = storage.articles.store("wire", ExtractedArticle(
        url=f"https://wire.example/{abs(hash(title))}", title=title, text=text),
        origin=ArticleOrigin.PAGE, fetched_at=utc_now())
    assert outcome.article_id is not None


def test_a_real_sighup_makes_the_running_daemon_crawl_a_source_added_to_sources_toml(
    tmp_path: Path, server: RouteServer
) -> None:
    home = tmp_path / "home"
    server.route("/wire.xml", Reply(200, rss_feed([]), RSS))
    late_polled = threading.Event()

    def late_feed(_seen: Seen) -> Reply:
        late_polled.set()
        return Reply(200, rss_feed([("Nvidia ships new chips", server.url("/news/1"))]), RSS)

    server.route("/late.xml", late_feed)
    server.route("/news/1", Reply(200, article_html("Nvidia ships new chips"), HTML))
    write_sources(home, source_table("wire", server.url("/wire.xml")))
    env = {**os.environ, "NEWSMON_CRAWLER__DOWNLOAD_DELAY_SECONDS": "0",
           "NEWSMON_NLP__NER_MODEL": "", "NEWSMON_LOGGING__LEVEL": "INFO",
           "NEWSMON_ALLOW_HOSTS": "127.0.0.1", "NEWSMON_CRAWLER__OBEY_ROBOTS_TXT": "false"}
    daemon = subprocess.Popen([NEWSMON, "--home", str(home), "run"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out: queue.Queue[str] = queue.Queue()
        logs: queue.Queue[str] = queue.Queue()
        threading.Thread(target=read_lines, args=(daemon.stdout, out), daemon=True).start()
        threading.Thread(target=read_lines, args=(daemon.stderr, logs), daemon=True).start()
        wait_for_line(out, "newsmon daemon running")  # the signal handlers are installed
        write_sources(home, source_table("wire", server.url("/wire.xml")),
                      source_table("late", server.url("/late.xml")))
        daemon.send_signal(signal.SIGHUP)
        wait_for_line(logs, "reloaded: jobs added: crawl:late")
        assert late_polled.wait(60), "the reloaded daemon never polled the new source"
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        kill_if_running(daemon)
    storage = Storage.open(sqlite_url(home))
    try:
        assert {s.name for s in storage.sources.all()} == {"wire", "late"}
    finally:
        storage.close()


def test_a_source_disabled_at_the_command_line_stays_disabled_unless_the_file_says_enabled(
    tmp_path: Path, database_url: str
) -> None:
    """``newsmon sources disable`` is not undone by the next start or SIGHUP when the user's
    sources.toml names the source without an ``enabled`` line; an explicit line wins, and the
    CLI warns about it when disabling."""
    from typer.testing import CliRunner

    from newsmon.cli import app as cli
    from newsmon.daemon.reload import apply_user_sources

    home = tmp_path / "home"
    write_sources(home, source_table("alpha", "https://alpha.example/feed"),
                  source_table("beta", "https://beta.example/feed", "enabled = true"))
    env = {"NEWSMON_HOME": str(home), "NEWSMON_DATABASE_URL": database_url}

    def enabled() -> dict[str, bool]:
        with open_app(home, database_url) as app:
            apply_user_sources(app)  # what the daemon does at start and on SIGHUP
            return {source.name: source.enabled for source in app.storage.sources.all()}

    assert enabled() == {"alpha": True, "beta": True}
    runner = CliRunner()
    quiet = runner.invoke(cli, ["sources", "disable", "alpha"], env=env, catch_exceptions=False)
    warned = runner.invoke(cli, ["sources", "disable", "beta"], env=env, catch_exceptions=False)
    assert quiet.exit_code == warned.exit_code == 0
    assert "warning" not in quiet.output
    assert "sets enabled = true for 'beta'" in warned.output

    assert enabled() == {"alpha": False, "beta": True}  # beta's file line re-enabled it

    write_sources(home, source_table("alpha", "https://alpha.example/feed", 'interval = "2h"'),
                  source_table("beta", "https://beta.example/feed", "enabled = false"))
    assert enabled() == {"alpha": False, "beta": False}  # other fields still applied
    with open_app(home, database_url) as app:
        alpha = app.storage.sources.get("alpha")
        assert alpha is not None and alpha.interval_seconds == 7200
