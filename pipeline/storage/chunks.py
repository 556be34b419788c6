"""``column IN (values)`` for any number of values, on SQLite and PostgreSQL.

An ``IN`` list binds one parameter per value, and a statement takes at most 32,766 of them on
SQLite (the default since 3.32; Debian's builds allow more) and 65,535 through psycopg. The
alert writer builds such lists from an article's matches, which at 100,000 subscriptions can be
tens of thousands (a popular query). :func:`where_in` gives the conditions to run a statement
once each: on SQLite one per chunk of :data:`IN_CHUNK` values; on PostgreSQL a single
``column = ANY(:values)`` whatever the number (one array parameter, which the server also plans
faster than a long list). SQLAlchemy already pages executemany inserts ("insertmanyvalues");
``IN`` lists are the caller's to cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

IN_CHUNK = 5_000
"""Values per ``IN`` list on SQLite: well under its limit, with room for the other parameters."""

_Value = TypeVar("_Value")


def chunked(values: Sequence[_Value], size: int = IN_CHUNK) -> Iterator[Sequence[_Value]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def where_in(session: Session, column: InstrumentedAttribute[int],
             values: Iterable[int]) -> list[ColumnElement[bool]]:
    """Conditions that between them select the rows whose integer ``column`` is one of
    ``values`` (none for no values): run the statement once with each."""
    distinct: list[int] = list(dict.fromkeys(values))
    if not distinct:
        return []
    if session.get_bind().dialect.name == "postgresql":
        array: Any = bindparam(None, distinct, type_=ARRAY(Integer))
        return [column == any_(array)]
    return [column.in_(chunk) for chunk in chunked(distinct)]
