"""One daemon per database: the second lock on the same SQLite home or PostgreSQL schema is
refused with a reason, and the lock is free again once released."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr

from config.settings import Settings, StorageSettings
from newsmon.daemon.lock import AdvisoryLock, FileLock, acquire_daemon_lock
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
        settings = Settings(home=tmp_path, storage=StorageSettings(database_url=SecretStr(url)))
        first = acquire_daemon_lock(settings)
        assert isinstance(first, AdvisoryLock)

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
