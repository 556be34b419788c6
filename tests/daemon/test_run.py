"""``newsmon run`` as a real process against a local feed server and SQLite: ``--once`` stores
and tags articles, a second daemon is refused, SIGTERM lets the running crawl finish and exits 0
with the lock released (SIGINT too)."""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

from config import SourceSpec
from config.settings import Settings
from newsmon.daemon.lock import FileLock, acquire_daemon_lock
from pipeline.dates import utc_now
from pipeline.storage import Storage
from tests.crawler.pages import article_html, rss_feed
from tests.support.db import sqlite_url
from tests.support.http import Reply, RouteServer, Seen
from tests.support.processes import kill_if_running

NEWSMON = str(Path(sys.executable).with_name("newsmon"))
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def environment() -> dict[str, str]:
    return {**os.environ, "NEWSMON_CRAWLER__DOWNLOAD_DELAY_SECONDS": "0",
            "NEWSMON_NLP__NER_MODEL": "", "NEWSMON_LOGGING__LEVEL": "INFO",
            "NEWSMON_ALLOW_HOSTS": "127.0.0.1"}  # the local test server (SSRF guard)


def add_feed(home: Path, server: RouteServer, titles: list[str]) -> None:
    """Serve a feed of ``titles`` and register it as source ``wire`` in ``home``'s database."""
    server.route("/feed.xml", Reply(200, rss_feed(
        [(title, server.url(f"/news/{index}")) for index, title in enumerate(titles)]), RSS))
    storage = open_storage(home)
    try:
        assert storage.sources.add(SourceSpec(name="wire", url=server.url("/feed.xml")),
                                   utc_now()) is not None
    finally:
        storage.close()


def open_storage(home: Path) -> Storage:
    home.mkdir(parents=True, exist_ok=True)
    storage = Storage.open(sqlite_url(home))
    storage.upgrade()
    return storage


def run_once(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEWSMON, "--home", str(home), "run", "--once"], env=environment(),
                          capture_output=True, text=True, check=False, timeout=120)


def test_run_once_crawls_due_sources_stores_and_tags(home: Path, server: RouteServer) -> None:
    titles = ["Nvidia ships new chips", "Nvidia guidance beats"]
    add_feed(home, server, titles)
    for index, title in enumerate(titles):
        server.route(f"/news/{index}", Reply(200, article_html(title), HTML))

    first = run_once(home)
    second = run_once(home)  # the source was just polled: not due again

    assert first.returncode == 0, first.stderr
    assert "crawl: 1 source due: 1 fetched, 0 unchanged, 0 failed; 2 new articles" in first.stdout
    assert "process: 2 tagged" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "crawl: no source due" in second.stdout
    assert len(server.hits("/feed.xml")) == 1
    storage = open_storage(home)
    try:
        articles = storage.articles.latest()
        assert sorted(a.title or "" for a in articles) == sorted(titles)
        assert storage.tags.count_pending() == 0
        names = {m.canonical for a in articles for m in storage.tags.of(a.id).entities}
        assert "Nvidia" in names
    finally:
        storage.close()


def test_a_second_daemon_on_the_same_home_is_refused(home: Path) -> None:
    held = acquire_daemon_lock(Settings(home=home))
    assert isinstance(held, FileLock)
    try:
        refused = run_once(home)
    finally:
        held.release()
    assert refused.returncode == 1
    assert "another newsmon daemon" in refused.stderr and f"pid {os.getpid()}" in refused.stderr
    assert not (home / "newsmon.sqlite3").exists()  # refused before touching the database


def test_run_in_a_data_directory_it_cannot_write_says_so_without_a_traceback(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    refused = run_once(blocker / "home")

    assert refused.returncode == 2
    [line] = refused.stderr.splitlines()  # one line, though long and written to a pipe
    assert line.startswith("error: cannot create the daemon lock file ")
    assert line.endswith("must be writable by this user)")


def read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def wait_for_line(lines: queue.Queue[str], text: str, timeout: float = 60) -> None:
    while True:
        if text in lines.get(timeout=timeout):
            return


def stall_article(
    server: RouteServer, path: str, title: str
) -> tuple[threading.Event, threading.Event]:
    """Serve the article at ``path`` only once ``release`` is set; ``requested`` is set when
    the daemon asks for it (a crawl in flight that a test can hold)."""
    requested, release = threading.Event(), threading.Event()

    def stalled(_seen: Seen) -> Reply:
        requested.set()
        release.wait(120)
        return Reply(200, article_html(title), HTML)

    server.route(path, stalled)
    return requested, release


def start_daemon(
    home: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """``newsmon run`` in a subprocess, and a queue of its stderr lines."""
    daemon = subprocess.Popen([NEWSMON, "--home", str(home), "run"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(daemon.stderr, errors), daemon=True).start()
    return daemon, errors


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_lets_the_running_crawl_finish_then_exits_cleanly(
    home: Path, server: RouteServer, stop_signal: signal.Signals
) -> None:
    add_feed(home, server, ["Nvidia ships new chips"])
    requested, release = stall_article(server, "/news/0", "Nvidia ships new chips")
    daemon, errors = start_daemon(home, environment())
    try:
        assert requested.wait(60), "the daemon never crawled the source"
        daemon.send_signal(stop_signal)
        wait_for_line(errors, "stop requested")
        release.set()  # the crawl in flight may now finish
        assert daemon.wait(60) == 0
    finally:
        release.set()
        kill_if_running(daemon)
    stdout = daemon.stdout.read() if daemon.stdout else ""
    # the crawl, and process, deliver, digests and maintenance (never run), which run at start;
    # each line whole, though stdout is a pipe (journald would split a wrapped line in two)
    lines = stdout.splitlines()
    assert lines[0].startswith("newsmon daemon running (pid ") and lines[0].endswith("Ctrl-C")
    assert ("newsmon daemon stopped: 5 job runs, 0 errors, 0 missed, 0 skipped (previous run "
            "still going)") in lines
    storage = open_storage(home)
    try:
        assert [a.title for a in storage.articles.latest()] == ["Nvidia ships new chips"]
    finally:
        storage.close()
    lock = acquire_daemon_lock(Settings(home=home))
    assert isinstance(lock, FileLock)
    lock.release()


def test_a_database_locked_at_start_is_a_one_line_error(home: Path, server: RouteServer) -> None:
    """Another program holds the SQLite write lock past the busy timeout while the daemon
    starts (it writes the user's sources.toml into the database): a clear error, exit 2."""
    add_feed(home, server, ["Nvidia ships new chips"])
    (home / "sources.toml").write_text(
        f'[[source]]\nname = "wire"\nurl = "{server.url("/feed.xml")}"\ninterval = "2h"\n')
    other_writer = sqlite3.connect(home / "newsmon.sqlite3", isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")
    impatient = {**environment(), "NEWSMON_STORAGE__SQLITE_BUSY_TIMEOUT_SECONDS": "0.2"}
    try:
        started = subprocess.run([NEWSMON, "--home", str(home), "run"], capture_output=True,
                                 text=True, check=False, timeout=60, env=impatient)
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()

    assert started.returncode == 2
    assert "cannot use the database: database is locked" in started.stderr
    assert "Traceback" not in started.stderr


def test_a_second_stop_signal_stops_at_once_without_waiting_for_the_running_crawl(
    home: Path, server: RouteServer
) -> None:
    """An operator pressing Ctrl-C again does not wait out [daemon] stop_timeout (here an hour)
    for a crawl that hangs; the lock is released."""
    add_feed(home, server, ["Nvidia ships new chips"])
    requested, release = stall_article(server, "/news/0", "Nvidia ships new chips")
    patient = {**environment(), "NEWSMON_DAEMON__STOP_TIMEOUT": "1h"}
    daemon, errors = start_daemon(home, patient)
    try:
        assert requested.wait(60), "the daemon never crawled the source"
        daemon.send_signal(signal.SIGINT)
        wait_for_line(errors, "waiting for crawl:wire")
        daemon.send_signal(signal.SIGINT)
        wait_for_line(errors, "second stop signal: not waiting for crawl:wire")
        assert daemon.wait(60) == 0
    finally:
        release.set()
        kill_if_running(daemon)
    lock = acquire_daemon_lock(Settings(home=home))
    assert isinstance(lock, FileLock)
    lock.release()


def test_run_once_fails_when_every_source_it_polled_failed(home: Path, server: RouteServer) -> None:
    """Like ``newsmon crawl``: cron mails the operator when nothing could be polled (the network
    or the database is down), not for one broken feed among good ones."""
    server.route("/feed.xml", Reply(404, b"gone"))
    storage = open_storage(home)
    try:
        assert storage.sources.add(SourceSpec(name="gone", url=server.url("/feed.xml")),
                                   utc_now()) is not None
    finally:
        storage.close()

    failed = run_once(home)

    assert failed.returncode == 1
    assert "crawl: 1 source due: 0 fetched, 0 unchanged, 1 failed; 0 new articles" in failed.stdout
    assert "every source polled failed" in failed.stderr
    assert "process: " in failed.stdout  # the other steps still ran


def test_with_json_lines_every_line_the_daemon_writes_is_json(
    home: Path, server: RouteServer
) -> None:
    """journald gets stdout and stderr as one stream: its start and stop lines are log
    records too, so a JSON reader never meets a plain-text line."""
    add_feed(home, server, ["Nvidia ships new chips"])
    server.route("/news/0", Reply(200, article_html("Nvidia ships new chips"), HTML))
    env = {**environment(), "NEWSMON_LOGGING__JSON_LINES": "true"}
    daemon = subprocess.Popen([NEWSMON, "--home", str(home), "run"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert daemon.stdout is not None
    reader = threading.Thread(target=read_lines, args=(daemon.stdout, lines), daemon=True)
    reader.start()
    written: list[str] = []
    try:
        while "crawl wire: fetched" not in (written or [""])[-1]:
            written.append(lines.get(timeout=60))
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        kill_if_running(daemon)
    reader.join(10)
    while not lines.empty():
        written.append(lines.get())
    messages = [json.loads(line)["message"] for line in written]  # every line is JSON
    assert any(m.startswith("newsmon daemon running (pid ") for m in messages)
    assert any(m.startswith("newsmon daemon stopped: ") for m in messages)


def test_a_reload_signal_while_the_daemon_starts_does_not_kill_it(home: Path) -> None:
    """`systemctl reload` right after `start`: SIGHUP's default action ends a process, and
    systemd counts that as a clean exit, so the service would just be gone."""
    open_storage(home).close()
    daemon = subprocess.Popen([NEWSMON, "--home", str(home), "run"], env=environment(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lock_file = home / "daemon.lock"
        while not (lock_file.exists() and lock_file.read_text().strip() == str(daemon.pid)):
            assert daemon.poll() is None, daemon.communicate()[0]
            threading.Event().wait(0.01)
        daemon.send_signal(signal.SIGHUP)  # it holds the lock: it is starting
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=read_lines, args=(daemon.stdout, lines), daemon=True).start()
        wait_for_line(lines, "newsmon daemon running")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        kill_if_running(daemon)
