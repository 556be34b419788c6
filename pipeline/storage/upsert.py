"""``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` on SQLite and PostgreSQL alike.

Uniqueness is the database's job: a second insert of the same article (two feeds, two workers,
a retried crawl) is ignored by the constraint, never raced by a check-then-insert.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_ignoring_conflicts(
    session: Session, model: type[DeclarativeBase], values: Mapping[str, Any]
) -> int | None:
    """Insert one row; return its ``id``, or ``None`` when a unique constraint refused it."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table: Any = model.__table__
    statement = (
        module.insert(table).values(**values).on_conflict_do_nothing().returning(table.c[_pk(table)])
    )
    inserted = session.execute(statement).scalar_one_or_none()
    return int(inserted) if inserted is not None else None


def insert_unless_present(
    session: Session, model: type[DeclarativeBase], values: Mapping[str, Any]
) -> bool:
    """Insert one row unless a unique constraint refuses it; ``True`` if it was inserted."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(model.__table__).values(**values).on_conflict_do_nothing()
    result: Any = session.execute(statement)
    return bool(result.rowcount)


def _pk(table: Any) -> str:
    return str(next(iter(table.primary_key.columns)).name)
