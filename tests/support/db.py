"""Databases for the storage contract suite: a temporary SQLite file and a fresh PostgreSQL schema.

Each PostgreSQL test gets its own schema (dropped afterwards) on the real server at
127.0.0.1:5432, so tests never see each other's rows and can run against a shared database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get(
    "NEWSMON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A database URL whose search_path is a brand-new schema, dropped on exit."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        options = quote(f"-csearch_path={schema}")
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}options={options}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def sqlite_url(directory: Path) -> str:
    """A SQLite database file in ``directory``."""
    return f"sqlite:///{directory / 'newsmon.sqlite3'}"
