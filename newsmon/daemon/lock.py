"""Exactly one daemon per database: a lock taken before the daemon starts, held for its life.

Where it sits: the first thing ``newsmon run`` does after reading the settings. SQLite databases
are guarded by ``fcntl.flock`` on ``$NEWSMON_HOME/daemon.lock`` (which holds the owner's pid);
PostgreSQL databases by a session advisory lock on a connection kept open until release, keyed
by the schema so several newsmon schemas can share one server. The kernel or the server frees
either lock when the process dies, so a crash never leaves a stale lock behind.

The advisory lock lives only as long as its connection: a PostgreSQL restart frees it while the
daemon runs on. The daemon therefore verifies its lock periodically (:meth:`AdvisoryLock.verify`):
a lost connection is replaced and the lock taken again; if another daemon took it meanwhile, the
answer says so and the daemon stops. A ``flock`` lives as long as its file: a lock file deleted
while the daemon runs (a clean-up script) would let a second daemon start, so the file lock is
verified the same way and taken again on a new file. :class:`DatabaseFile` watches the SQLite
file itself: a daemon whose database file was deleted or replaced would go on writing into a file
nobody will ever read again, so it stops instead.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from config.errors import NewsmonError
from config.settings import Settings

logger = logging.getLogger(__name__)

LOCK_FILE_NAME = "daemon.lock"
# The key: this database and schema, so newsmon schemas sharing a server do not collide.
_LOCK = text("SELECT pg_try_advisory_lock("
             "hashtext('newsmon.daemon:' || current_database() || ':' || current_schema()))")
_UNLOCK = text("SELECT pg_advisory_unlock("
               "hashtext('newsmon.daemon:' || current_database() || ':' || current_schema()))")
_OWNER = text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = "
              "hashtext('newsmon.daemon:' || current_database() || ':' || current_schema())::oid"
              " LIMIT 1")


class LockFileError(NewsmonError):
    """The lock file cannot be made: the data directory is missing rights or read-only."""


class DaemonLock(Protocol):
    """A held lock; ``release`` is idempotent."""

    @property
    def description(self) -> str: ...

    def verify(self) -> str | None:
        """``None`` while the lock is (or may still be) ours; why not, once it is lost."""
        ...

    def release(self) -> None: ...


@dataclass
class FileLock:
    """``flock`` on a file in the data directory; the file keeps the owner's pid."""

    path: Path
    _fd: int | None = field(default=None, repr=False)

    @property
    def description(self) -> str:
        return f"lock file {self.path}"

    def verify(self) -> str | None:
        """``None`` while the lock file at :attr:`path` is the one we hold; a deleted or replaced
        file (a second daemon could lock the new one) is locked again, and if another daemon
        holds it already, the answer says so."""
        if self._fd is None:
            return "the daemon lock was released"
        held = os.fstat(self._fd)
        if _identity(self.path) == (held.st_dev, held.st_ino):
            return None
        logger.warning("the daemon lock file %s was deleted or replaced; taking the lock again",
                       self.path)
        try:
            again = acquire_file_lock(self.path)
        except LockFileError as error:
            return f"lost the daemon lock: {error}"
        if isinstance(again, str):
            return f"lost the daemon lock: {again}"
        self.release()
        self._fd, again._fd = again._fd, None
        return None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class DatabaseFile:
    """The SQLite database file the daemon opened, by identity (device and inode)."""

    path: Path
    device: int
    inode: int

    @classmethod
    def of(cls, settings: Settings) -> DatabaseFile | None:
        """The database file of ``settings`` as it is now; ``None`` when the database is not
        a SQLite file (PostgreSQL, in-memory) or does not exist yet."""
        url = make_url(settings.database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        path = Path(url.database)
        try:
            status = path.stat()
        except OSError:
            return None
        return cls(path, status.st_dev, status.st_ino)

    def verify(self) -> str | None:
        """``None`` while :attr:`path` is still the file the daemon opened; why not, once it
        was deleted or replaced (the daemon's writes would be lost)."""
        now = _identity(self.path)
        if now == (self.device, self.inode):
            return None
        change = "was deleted" if now is None else "was replaced by another file"
        return (f"the database file {self.path} {change} while the daemon ran: stopping, "
                "since what it wrote from now on would be lost")


def _identity(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of the file at ``path`` now; ``None`` when there is none."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


@dataclass
class AdvisoryLock:
    """A PostgreSQL session advisory lock, held as long as its connection stays open."""

    connection: Connection | None
    url: str = ""
    """Where to take the lock again after its connection was lost."""
    _released: bool = field(default=False, repr=False)
    _mutex: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """``verify`` runs in a worker thread; ``release`` may come from the main thread."""

    @property
    def description(self) -> str:
        return "PostgreSQL advisory lock"

    def verify(self) -> str | None:
        """Check the lock's connection; after a lost one (a server restart frees the lock), take
        the lock again on a new connection. ``None``: ours (or the server cannot be reached, so
        nobody else can take it now either); a message once another daemon holds it."""
        with self._mutex:
            if self._released:
                return "the daemon lock was released"
            if self.connection is not None:
                try:
                    self.connection.execute(text("SELECT 1"))
                    return None
                except SQLAlchemyError:
                    logger.warning("the connection holding the daemon lock was lost; "
                                   "taking the lock again")
                self._drop_connection()
            return self._take_again()

    def _take_again(self) -> str | None:
        try:
            again = acquire_advisory_lock(self.url)
        except SQLAlchemyError as error:  # the server is still away: try at the next check
            logger.warning("cannot take the daemon lock again yet: %s", error)
            return None
        if isinstance(again, str):
            return f"lost the daemon lock: {again}"
        self.connection = again.connection
        logger.info("daemon lock taken again")
        return None

    def _drop_connection(self) -> None:
        if self.connection is not None:
            engine = self.connection.engine
            try:
                self.connection.invalidate()
                self.connection.close()
            except SQLAlchemyError:
                pass
            engine.dispose()
            self.connection = None

    def release(self) -> None:
        with self._mutex:
            self._released = True
            if self.connection is not None:
                engine = self.connection.engine
                try:
                    self.connection.execute(_UNLOCK)
                finally:
                    self.connection.close()
                    engine.dispose()
                    self.connection = None


def acquire_daemon_lock(settings: Settings) -> DaemonLock | str:
    """Take the daemon lock of ``settings``' database, or say why another daemon holds it."""
    url = settings.database_url
    if url.startswith("postgresql"):
        return acquire_advisory_lock(url)
    return acquire_file_lock(settings.home / LOCK_FILE_NAME)


def daemon_lock_owner(settings: Settings) -> str | None:
    """Who holds the daemon lock of ``settings``' database (``"pid 4242"``, ``"PostgreSQL
    backend pid 77"``), or ``None`` when no daemon runs on it."""
    if settings.database_url.startswith("postgresql"):
        engine = create_engine(settings.database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                backend = connection.execute(_OWNER).scalar()
        finally:
            engine.dispose()
        return None if backend is None else f"PostgreSQL backend pid {backend}"
    return file_lock_owner(settings.home / LOCK_FILE_NAME)


def file_lock_owner(path: Path) -> str | None:
    """``pid N`` while a daemon holds the lock on ``path``; looks without writing anything (no
    file is made, the pid in it is left as it is)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # a daemon makes the file: none runs here
        return None
    except OSError as error:
        message = f"cannot read the daemon lock file {path}: {error.strerror}"
        raise LockFileError(message) from error
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return f"pid {pid or 'unknown'}"
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def acquire_file_lock(path: Path) -> FileLock | str:
    """``flock`` ``path`` without waiting; on success write our pid into it. A data directory
    that cannot hold the file (missing rights, read-only) raises :class:`LockFileError`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise LockFileError(
            f"cannot create the daemon lock file {path}: {error.strerror} (the data "
            f"directory {path.parent} must be writable by this user)") from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        return (f"another newsmon daemon (pid {owner}) is running on {path.parent} "
                f"({path} is locked)")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return FileLock(path, fd)


def acquire_advisory_lock(url: str) -> AdvisoryLock | str:
    """``pg_try_advisory_lock`` on a dedicated connection that stays open while the lock is held."""
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        connection = engine.connect()
        held = connection.execute(_LOCK).scalar()
    except SQLAlchemyError:
        engine.dispose()
        raise
    if held:
        return AdvisoryLock(connection, url)
    owner = connection.execute(_OWNER).scalar()
    connection.close()
    engine.dispose()
    return ("another newsmon daemon is running on this database "
            f"(PostgreSQL backend pid {owner or 'unknown'} holds its advisory lock)")
