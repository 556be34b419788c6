"""One daemon per database: the second lock on the same SQLite home or PostgreSQL schema is
refused with a reason, and the lock is free again once released."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from config.settings import Settings, StorageSettings
from newsmon.daemon import cli as daemon_cli
from newsmon.daemon.lock import (
    AdvisoryLock,
    DatabaseFile,
    FileLock,
    LockFileError,
    acquire_daemon_lock,
    daemon_lock_owner,
)
from tests.support.db import postgres_schema_url


def test_second_file_lock_on_the_same_home_is_refused_naming_the_owner(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = acquire_daemon_lock(settings)
    assert isinstance(first, FileLock)
    assert (tmp_path / "daemon.lock").read_text().strip() == str(os.getpid())

    second = acquire_daemon_lock(settings)

    assert isinstance(second, str)
    assert f"pid {os.getpid()}" in second and str(tmp_path) in second
    first.release()
    third = acquire_daemon_lock(settings)
    assert isinstance(third, FileLock)
    third.release()


def test_locks_on_different_homes_do_not_conflict(tmp_path: Path) -> None:
    one = acquire_daemon_lock(Settings(home=tmp_path / "a"))
    two = acquire_daemon_lock(Settings(home=tmp_path / "b"))
    assert isinstance(one, FileLock) and isinstance(two, FileLock)
    one.release()
    two.release()
    one.release()  # idempotent


def test_second_advisory_lock_on_the_same_postgres_schema_is_refused(tmp_path: Path) -> None:
    with postgres_schema_url() as url, postgres_schema_url() as other_url:
        settings, first = _advisory_lock(tmp_path, url)

        second = acquire_daemon_lock(settings)
        other = acquire_daemon_lock(
            Settings(home=tmp_path, storage=StorageSettings(database_url=SecretStr(other_url))))

        assert isinstance(second, str)
        assert "another newsmon daemon" in second and "backend pid" in second
        assert "unknown" not in second
        assert isinstance(other, AdvisoryLock)  # another schema is another newsmon database
        assert not (tmp_path / "daemon.lock").exists()
        first.release()
        other.release()
        again = acquire_daemon_lock(settings)
        assert isinstance(again, AdvisoryLock)
        again.release()


def _advisory_lock(home: Path, url: str) -> tuple[Settings, AdvisoryLock]:
    """Settings for the database at ``url`` and the daemon lock taken on it."""
    settings = Settings(home=home, storage=StorageSettings(database_url=SecretStr(url)))
    lock = acquire_daemon_lock(settings)
    assert isinstance(lock, AdvisoryLock)
    return settings, lock


def _end_session_of(lock: AdvisoryLock, url: str) -> None:
    """What a PostgreSQL restart does to the lock: its session ends (from another connection)."""
    assert lock.connection is not None
    backend = lock.connection.execute(text("SELECT pg_backend_pid()")).scalar()
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar()
    engine.dispose()


def test_an_advisory_lock_whose_session_ended_is_taken_again(tmp_path: Path) -> None:
    with postgres_schema_url() as url:
        settings, lock = _advisory_lock(tmp_path, url)
        assert lock.verify() is None  # healthy: nothing to do
        _end_session_of(lock, url)

        assert lock.verify() is None  # the lost session is replaced and the lock taken again
        second = acquire_daemon_lock(settings)
        assert isinstance(second, str)  # so a second daemon is still refused
        lock.release()


def test_while_the_server_stays_away_the_lock_is_retaken_once_it_is_back(tmp_path: Path) -> None:
    with postgres_schema_url() as url:
        settings, lock = _advisory_lock(tmp_path, url)
        _end_session_of(lock, url)
        lock.url = "postgresql+psycopg://postgres@127.0.0.1:1/test"  # the server is away

        assert lock.verify() is None  # cannot tell yet: keep running, try again later
        assert lock.verify() is None  # still away: not mistaken for a released lock
        lock.url = url  # the server is back
        assert lock.verify() is None
        assert isinstance(acquire_daemon_lock(settings), str)  # the lock is ours again
        lock.release()
        assert lock.verify() == "the daemon lock was released"


def test_an_advisory_lock_taken_by_another_daemon_meanwhile_is_reported_lost(
    tmp_path: Path,
) -> None:
    with postgres_schema_url() as url:
        settings, lock = _advisory_lock(tmp_path, url)
        _end_session_of(lock, url)
        usurper = acquire_daemon_lock(settings)  # started while the first one's lock was free
        assert isinstance(usurper, AdvisoryLock)

        reason = lock.verify()

        assert reason is not None and reason.startswith("lost the daemon lock")
        assert "another newsmon daemon" in reason
        usurper.release()
        lock.release()


def test_a_file_lock_stays_verified(tmp_path: Path) -> None:
    lock = acquire_daemon_lock(Settings(home=tmp_path))
    assert isinstance(lock, FileLock)
    assert lock.verify() is None
    lock.release()


def test_the_running_daemon_stops_once_another_daemon_took_its_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(daemon_cli, "LOCK_CHECK_SECONDS", 0.05)
    with postgres_schema_url() as url:
        settings, lock = _advisory_lock(tmp_path, url)

        async def scenario() -> tuple[list[str], bool]:
            stop_requested, lost = asyncio.Event(), list[str]()
            watching = asyncio.create_task(daemon_cli.watch_lock([lock], stop_requested, lost))
            await asyncio.sleep(0.2)
            assert not stop_requested.is_set()  # verified a few times: still ours
            _end_session_of(lock, url)
            usurper = acquire_daemon_lock(settings)
            assert isinstance(usurper, AdvisoryLock)
            await asyncio.wait_for(stop_requested.wait(), 5)
            await watching
            usurper.release()
            return lost, stop_requested.is_set()

        lost, stopped = asyncio.run(scenario())

        assert stopped and len(lost) == 1 and "lost the daemon lock" in lost[0]
        lock.release()


def test_a_deleted_lock_file_is_taken_again_so_a_second_daemon_is_still_refused(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    lock = acquire_daemon_lock(settings)
    assert isinstance(lock, FileLock)
    (tmp_path / "daemon.lock").unlink()  # a clean-up script, or an operator, removed it

    assert lock.verify() is None  # the file is made again and locked by this daemon

    assert (tmp_path / "daemon.lock").read_text().strip() == str(os.getpid())
    assert isinstance(acquire_daemon_lock(settings), str)
    lock.release()
    again = acquire_daemon_lock(settings)
    assert isinstance(again, FileLock)
    again.release()


def test_a_lock_file_taken_by_another_daemon_meanwhile_is_reported_lost(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    lock = acquire_daemon_lock(settings)
    assert isinstance(lock, FileLock)
    (tmp_path / "daemon.lock").unlink()
    usurper = acquire_daemon_lock(settings)  # started while the file was missing
    assert isinstance(usurper, FileLock)

    reason = lock.verify()

    assert reason is not None and reason.startswith("lost the daemon lock")
    assert "another newsmon daemon" in reason
    usurper.release()
    lock.release()


def test_a_data_directory_that_cannot_hold_the_lock_file_is_an_error_not_a_traceback(
    tmp_path: Path,
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")

    with pytest.raises(LockFileError) as refused:
        acquire_daemon_lock(Settings(home=not_a_directory / "home"))

    assert "cannot create the daemon lock file" in str(refused.value)
    assert str(not_a_directory / "home") in str(refused.value)


def test_the_database_file_is_watched_for_deletion_and_replacement(tmp_path: Path) -> None:
    database = tmp_path / "newsmon.sqlite3"
    database.write_bytes(b"")
    watched = DatabaseFile.of(Settings(home=tmp_path))
    assert watched is not None and watched.verify() is None

    with database.open("rb"):  # the daemon's connections keep the file (and its inode) open
        database.unlink()
        gone = watched.verify()
        database.write_bytes(b"")  # a restored backup: another file at the same path
        replaced = watched.verify()

    assert gone is not None and "was deleted" in gone and str(database) in gone
    assert replaced is not None and "was replaced" in replaced
    postgres = Settings(home=tmp_path, storage=StorageSettings(
        database_url=SecretStr("postgresql+psycopg://postgres@127.0.0.1:5432/test")))
    assert DatabaseFile.of(postgres) is None


def test_the_running_daemon_stops_once_its_database_file_was_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writing on into a deleted SQLite file would lose everything the daemon does from then
    on: it stops (exit 1) and says why."""
    monkeypatch.setattr(daemon_cli, "LOCK_CHECK_SECONDS", 0.05)
    settings = Settings(home=tmp_path)
    lock = acquire_daemon_lock(settings)
    assert isinstance(lock, FileLock)
    (tmp_path / "newsmon.sqlite3").write_bytes(b"")
    database = DatabaseFile.of(settings)
    assert database is not None

    async def scenario() -> list[str]:
        stop_requested, lost = asyncio.Event(), list[str]()
        watching = asyncio.create_task(
            daemon_cli.watch_lock([lock, database], stop_requested, lost))
        await asyncio.sleep(0.2)
        assert not stop_requested.is_set()
        (tmp_path / "newsmon.sqlite3").unlink()
        await asyncio.wait_for(stop_requested.wait(), 5)
        await watching
        return lost

    lost = asyncio.run(scenario())

    assert len(lost) == 1 and "newsmon.sqlite3 was deleted" in lost[0]
    lock.release()


def test_the_owner_of_a_daemon_lock_is_named_for_status(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert daemon_lock_owner(settings) is None
    lock = acquire_daemon_lock(settings)
    assert isinstance(lock, FileLock)
    assert daemon_lock_owner(settings) == f"pid {os.getpid()}"
    lock.release()
    with postgres_schema_url() as url:
        settings, advisory = _advisory_lock(tmp_path, url)
        assert advisory.connection is not None
        backend = advisory.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        assert daemon_lock_owner(settings) == f"PostgreSQL backend pid {backend}"
        advisory.release()
        assert daemon_lock_owner(settings) is None
