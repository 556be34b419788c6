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
    """Insert one row; return its integer ``id``, or ``None`` when a unique constraint refused
    it."""
    table: Any = model.__table__
    statement = _insert_or_nothing(session, model, values).returning(table.c[_pk(table)])
    inserted = session.execute(statement).scalar_one_or_none()
    return int(inserted) if inserted is not None else None


def insert_unless_present(
    session: Session, model: type[DeclarativeBase], values: Mapping[str, Any]
) -> bool:
    """Insert one row unless a unique constraint refuses it; ``True`` if it was inserted (for
    tables whose key is not an integer id)."""
    table: Any = model.__table__
    statement = _insert_or_nothing(session, model, values).returning(table.c[_pk(table)])
    return session.execute(statement).first() is not None


def insert_ignoring_conflicts_statement(session: Session, model: type[DeclarativeBase]) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``model``'s table in the session's dialect,
    to execute with many rows at once (add ``RETURNING`` to learn which were inserted)."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model.__table__).on_conflict_do_nothing()


def _insert_or_nothing(
    session: Session, model: type[DeclarativeBase], values: Mapping[str, Any]
) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the session's dialect (SQLite or PostgreSQL)."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model.__table__).values(**values).on_conflict_do_nothing()


def _pk(table: Any) -> str:
    return str(next(iter(table.primary_key.columns)).name)
