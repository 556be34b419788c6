"""SQLite maintenance (WAL checkpoint, PRAGMA optimize) while other connections write.

Real parts: an App on a SQLite file, a second sqlite3 connection writing to it at the same time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings
from config.settings import NlpSettings, StorageSettings
from newsmon.app import App
from newsmon.daemon.jobs import sqlite_maintenance
from pipeline.types import ArticleOrigin, ExtractedArticle


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model="", processes=0))
    with App.from_settings(settings, upgrade=True) as application:
        yield application


def fill(app: App, count: int) -> None:
    for number in range(count):
        app.storage.articles.store(
            "wire", ExtractedArticle(url=f"https://news.example.com/{number}",
                                     title=f"Story {number}", text=f"Body {number} " * 60),
            origin=ArticleOrigin.PAGE, fetched_at=app.clock())
        app.storage.articles.latest()  # reads that the planner's statistics would serve


def test_maintenance_runs_in_no_transaction_of_its_own(app: App) -> None:
    """The pragmas must not run inside a BEGIN: there the checkpoint waits on the transaction's
    own snapshot and optimize's ANALYZE fails at once ("database is locked") when another
    writer committed after that snapshot, instead of waiting the busy timeout."""
    fill(app, 20)
    statements: list[str] = []
    with app.storage.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.set_trace_callback(statements.append)
    try:
        sqlite_maintenance(app)
    finally:
        raw.set_trace_callback(None)
    assert any("wal_checkpoint" in s for s in statements)
    assert not [s for s in statements if s.strip().upper().startswith("BEGIN")]


def test_maintenance_waits_for_another_writer_instead_of_failing(
    app: App, tmp_path: Path
) -> None:
    fill(app, 200)
    other = sqlite3.connect(tmp_path / "newsmon.sqlite3", isolation_level=None,
                            check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE articles SET title = title || '.' WHERE id % 2 = 0")
    committing = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    committing.start()
    try:
        busy, log_pages, moved = sqlite_maintenance(app) or (1, 0, 0)
    finally:
        committing.join()
        other.close()
    assert log_pages >= moved >= 0 and busy in (0, 1)


def test_a_database_kept_busy_past_the_timeout_postpones_maintenance_without_failing(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path, nlp=NlpSettings(ner_model="", processes=0),
                        storage=StorageSettings(sqlite_busy_timeout_seconds=0.2))
    with App.from_settings(settings, upgrade=True) as application:
        fill(application, 50)
        other = sqlite3.connect(tmp_path / "newsmon.sqlite3", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        other.execute("UPDATE articles SET title = title || '.'")
        try:
            outcome = sqlite_maintenance(application)
        finally:
            other.execute("ROLLBACK")
            other.close()
    assert outcome is not None and outcome[0] == 1  # busy: tried again at the next maintenance
