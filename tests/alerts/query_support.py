"""Helpers of the query tests: parse a query that must parse, or one that must fail."""

from __future__ import annotations

from alerts.query import Query, QueryError, parse_query
from config.catalog import Catalog


def parse(text: str, catalog: Catalog) -> Query:
    """The parsed query; fails the test with the error if it does not parse."""
    parsed = parse_query(text, catalog)
    assert isinstance(parsed, Query), parsed
    return parsed


def fail(text: str, catalog: Catalog) -> QueryError:
    """The parse error; fails the test if the query parses."""
    parsed = parse_query(text, catalog)
    assert isinstance(parsed, QueryError), f"{text!r} parsed as {parsed}"
    return parsed
