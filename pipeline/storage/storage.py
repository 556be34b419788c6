"""The :class:`Storage` facade: engine, sessions, migrations, and the stores other stages use.

``Storage.open(url)`` builds the engine; ``upgrade()`` runs Alembic; ``sources`` and ``articles``
are the two stores. Sessions are short: one transaction per stage step, committed or rolled back
as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from config.errors import NewsmonError
from pipeline.storage.alerts import AlertStore
from pipeline.storage.articles import ArticleStore
from pipeline.storage.digests import DigestStore
from pipeline.storage.engine import WRITE_OPTION, create_database_engine
from pipeline.storage.job_runs import JobRunStore
from pipeline.storage.retention import RetentionStore
from pipeline.storage.sealing import TargetCipher
from pipeline.storage.sources import SourceStore
from pipeline.storage.subscriptions import SubscriptionStore
from pipeline.storage.tags import TagStore

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StorageError(NewsmonError):
    """The database cannot be reached or is not usable (not: a duplicate, which is a value)."""


class Sessions:
    """Short-lived sessions: ``read()`` for queries, ``write()`` for one committed transaction."""

    def __init__(self, engine: Engine) -> None:
        self._factory = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._factory() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on any exception."""
        with self._factory() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


class Storage:
    """Everything newsmon keeps, behind one object that stages are given."""

    def __init__(self, engine: Engine, cipher: TargetCipher | None = None) -> None:
        self.engine = engine
        self.sessions = Sessions(engine)
        self.sources = SourceStore(self.sessions)
        self.articles = ArticleStore(self.sessions)
        self.tags = TagStore(self.sessions)
        self.subscriptions = SubscriptionStore(self.sessions, cipher)
        self.alerts = AlertStore(self.sessions, cipher)
        self.digests = DigestStore(self.sessions)
        self.job_runs = JobRunStore(self.sessions)
        self.retention = RetentionStore(self.sessions)

    @classmethod
    def open(cls, url: str, *, busy_timeout_seconds: float = 30.0, echo: bool = False,
             cipher: TargetCipher | None = None) -> Storage:
        """Connect to the database at ``url`` (SQLite path or PostgreSQL URL); ``cipher``
        seals and opens Slack and Discord URLs (:mod:`pipeline.storage.sealing`)."""
        try:
            engine = create_database_engine(
                url, busy_timeout_seconds=busy_timeout_seconds, echo=echo
            )
        except (SQLAlchemyError, ValueError, ImportError) as error:
            raise StorageError(f"cannot open database: {error}") from error
        return cls(engine, cipher)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` with Alembic (idempotent)."""
        try:
            with self.engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except SQLAlchemyError as error:
            raise StorageError(f"database upgrade failed: {error}") from error

    def current_revision(self) -> str | None:
        """The schema revision the database is at (``None`` for an empty database)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        """The newest revision this version of newsmon knows."""
        return ScriptDirectory.from_config(alembic_config()).get_current_head()

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def alembic_config() -> Config:
    """Alembic's configuration, built in code (no alembic.ini): just the migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config
