"""Fault: the database goes away, is locked by someone else, or is written by many at once.

- The real PostgreSQL server is restarted while articles and job runs are being written: the
  writes that failed during the outage fail as connection errors (no half-written row), are
  written once when retried, and the pool's stale connections are replaced without an error
  (``pool_pre_ping``). Marked ``pg_restart`` so it can be deselected; it leaves the server up.
- Another connection holds SQLite's write lock for a few seconds: ingest, matching, the outbox
  and the job-run record wait for it (busy timeout) instead of failing "database is locked".
- Ingest, delivery and scheduler threads write at once (SQLite and PostgreSQL): nothing raises,
  duplicates are values, every delivery is claimed by exactly one sender, every job run counts.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from pipeline.storage import Storage
from pipeline.types import ArticleOrigin, ExtractedArticle, IngestStatus
from tests.reliability.fault_support import (
    Clock,
    SignedReceiver,
    build_outbox,
    store_alert,
)
from tests.support.clock import START
from tests.support.db import POSTGRES_URL

PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect"]


def article(n: int) -> ExtractedArticle:
    words = " ".join(f"word{n}x{k}" for k in range(40))
    return ExtractedArticle(url=f"https://news.example/a/{n}", title=f"Story {n}",
                            text=f"Nvidia story number {n}. {words}")


def store(storage: Storage, n: int) -> IngestStatus:
    return storage.articles.store("wire", article(n), origin=ArticleOrigin.PAGE,
                                  fetched_at=START).status


def pg_version() -> str:
    return sorted(path.name for path in Path("/etc/postgresql").iterdir())[0]


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"],
                          check=False).returncode == 0


def ensure_pg_running() -> None:
    if not pg_ready():
        subprocess.run([*PG_CLUSTER, pg_version(), "main", "start"], check=False)
    for _ in range(60):
        if pg_ready():
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back")


@contextmanager
def restart_proof_schema() -> Iterator[str]:
    """A fresh schema's URL; created and dropped on connections of their own (the shared
    helper's pooled admin connection would not survive the restart)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"

    def execute(statement: str) -> None:
        engine = create_engine(POSTGRES_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        ensure_pg_running()
        execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class RetryingWriter(threading.Thread):
    """Stores articles 0, 1, 2... and records a job run after each, as the daemon's jobs do:
    a failed step is tried again (the daemon's next run would), counting the failures."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(daemon=True)
        self.storage = storage
        self.stored = 0
        self.failures: Counter[str] = Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                outcome = store(self.storage, self.stored)
                self.storage.job_runs.record("crawl:wire", "ok", at=START, next_run_at=None)
            except DBAPIError as error:
                self.failures[type(error.orig).__name__] += 1
                time.sleep(0.05)
                continue
            assert outcome in (IngestStatus.NEW, IngestStatus.DUPLICATE_URL)
            self.stored += 1

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.stored < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.stored >= count, (self.stored, self.failures)


@pytest.mark.pg_restart
@pytest.mark.postgres
def test_postgres_restarted_mid_run_loses_and_doubles_nothing() -> None:
    with restart_proof_schema() as url:
        storage = Storage.open(url)
        storage.upgrade()
        writer = RetryingWriter(storage)
        writer.start()
        try:
            writer.wait_for(20)
            restarted = subprocess.run([*PG_CLUSTER, pg_version(), "main", "restart"],
                                       capture_output=True, text=True, check=False, timeout=120)
            assert restarted.returncode == 0, restarted.stderr
            after_restart = writer.stored
            writer.wait_for(after_restart + 20)
        finally:
            writer.stop.set()
            writer.join(30)
            ensure_pg_running()
        # a fresh query on the pool's old connections works at once (pre-ping replaces them)
        assert storage.alerts.outbox_counts() == {}
        with storage.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT canonical_url, title, text FROM articles ORDER BY id")).all()
        urls = [row[0] for row in rows]
        assert len(urls) == len(set(urls)) == writer.stored  # each once, none lost
        assert all(title and body for _url, title, body in rows)  # none half-written
        [runs] = storage.job_runs.all()
        assert runs.runs >= writer.stored  # every recorded run counted (a retry may add one)
        storage.close()


def test_sqlite_locked_by_another_writer_for_seconds(tmp_path: Path) -> None:
    path = tmp_path / "newsmon.sqlite3"
    storage = Storage.open(f"sqlite:///{path}")
    storage.upgrade()
    receiver = SignedReceiver().start()
    store_alert(storage, "first", [("webhook", receiver.url("/hook"))])
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO newsmon_meta (key, value) VALUES ('held', 'by another writer')")
    clock = Clock()
    errors: list[BaseException] = []
    results: dict[str, object] = {}

    def attempt(name: str, work: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                results[name] = work()
            except BaseException as error:
                errors.append(error)
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    try:
        threads = [
            attempt("ingest", lambda: store(storage, 1)),
            attempt("match", lambda: store_alert(storage, "second", [])),
            attempt("job run", lambda: storage.job_runs.record(
                "process", "ok", at=START, next_run_at=None)),
            attempt("outbox", lambda: asyncio.run(build_outbox(storage, clock).send_due())),
        ]
        time.sleep(3)  # the other writer holds the lock meanwhile
        assert not results and all(thread.is_alive() for thread in threads)
        other.execute("COMMIT")
        for thread in threads:
            thread.join(60)
    finally:
        other.close()
        receiver.stop()
    assert errors == []
    assert results["ingest"] is IngestStatus.NEW
    assert [job.status for job in storage.alerts.deliveries()] == ["sent"]
    assert len(receiver.hits_of("/hook")) == 1
    assert [run.runs for run in storage.job_runs.all()] == [1]
    storage.close()


def test_many_concurrent_writers(storage: Storage) -> None:
    for n in range(30):
        store_alert(storage, f"sub{n}", [("webhook", f"http://127.0.0.1:9/{n}")])
    claimed: list[int] = []
    outcomes: list[IngestStatus] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def ingest(offset: int) -> None:
        for n in range(40):  # threads overlap on half their articles
            status = store(storage, offset + n)
            with lock:
                outcomes.append(status)

    def deliver() -> None:
        while True:
            jobs = storage.alerts.claim_due(START + timedelta(hours=1), 4)
            if not jobs:
                return
            for job in jobs:
                storage.alerts.mark_sent(job.id, START, 204)
            with lock:
                claimed.extend(job.id for job in jobs)

    def schedule() -> None:
        for _ in range(60):
            storage.job_runs.record("deliver", "ok", at=START, next_run_at=None)

    def guarded(work: Callable[..., None], *args: int) -> threading.Thread:
        def run() -> None:
            try:
                work(*args)
            except BaseException as error:
                errors.append(error)
        return threading.Thread(target=run)

    threads = [guarded(ingest, offset) for offset in (100, 120, 140, 160)]
    threads += [guarded(deliver) for _ in range(3)] + [guarded(schedule) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert Counter(outcomes)[IngestStatus.NEW] == len(range(100, 200))  # 100 distinct articles
    assert len(outcomes) == 160
    assert sorted(claimed) == sorted(job.id for job in storage.alerts.deliveries(limit=100))
    assert storage.alerts.outbox_counts() == {"sent": 30}
    [runs] = storage.job_runs.all()
    assert runs.runs == 120
