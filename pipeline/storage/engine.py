"""Database engines: SQLite in WAL mode with a busy timeout, or PostgreSQL by URL.

On SQLite, Python's driver is told not to manage transactions; newsmon emits ``BEGIN`` itself, and
``BEGIN IMMEDIATE`` for write transactions, so a writer takes the write lock up front (waiting up to
the busy timeout) instead of failing with "database is locked" when it upgrades a read lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError

WRITE_OPTION = "newsmon_write"
"""Execution option that marks a session's connection as a writer (SQLite: BEGIN IMMEDIATE)."""


def create_database_engine(
    url: str, *, busy_timeout_seconds: float = 30.0, echo: bool = False
) -> Engine:
    """Build the engine for ``url``; SQLite files get their directory, WAL and pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True, future=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, echo=echo, connect_args={"timeout": busy_timeout_seconds, "check_same_thread": False}
    )
    _configure_sqlite(engine, busy_timeout_seconds)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_seconds: float) -> None:
    busy_ms = int(busy_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writer = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite backend."""
    return engine.dialect.name == "sqlite"


def database_problem(error: BaseException) -> str | None:
    """The reason of a database error that is not a bug (locked past the busy timeout, the
    server down or unreachable: SQLAlchemy's ``OperationalError``), in one line; else ``None``."""
    if not isinstance(error, OperationalError):
        return None
    lines = str(error.orig or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
