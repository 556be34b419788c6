"""The values of field filters: sources, sites, languages, dates, ages and stock reactions.

Where it sits in the flow: the parser reads ``name:value`` and calls :func:`field_filter` (or
:func:`stock_filter`) here; a value that does not fit raises :class:`QueryProblem` with the offset
into the value and what was expected, which the parser turns into a :class:`QueryError`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from alerts.query.ast import FieldIs, MaxAge, Node, PublishedAfter, PublishedBefore, Stock
from alerts.query.entities import EntityResolver, quote
from alerts.query.errors import QueryProblem

TEXT_FIELDS = ("title", "text", "lead")
"""Fields that limit words and filters: ``title:(...)``, ``text:(...)``, ``lead:(...)``."""
ENTITY_FIELDS = ("company", "model", "developer", "ticker", "stock")
PLAIN_FIELDS = ("source", "site", "lang", "after", "before", "max-age")
FIELD_NAMES = (*TEXT_FIELDS, *ENTITY_FIELDS, *PLAIN_FIELDS)

DIRECTIONS = ("up", "down", "flat")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})?")
_AGE = re.compile(r"(\d+)(m|min|h|d|w)", re.IGNORECASE)
_AGE_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_LANG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")
_SPEC = re.compile(r"([a-z]*)(.*)")
_THRESHOLD = re.compile(r"(>=|<=|>|<)(\d+(?:\.\d+)?)%?")


def field_filter(name: str, value: str) -> Node:
    """The node for ``source:``, ``site:``, ``lang:``, ``after:``, ``before:`` or ``max-age:``."""
    if name == "source":
        return FieldIs("source", _nonempty(value, "a source name").casefold())
    if name == "site":
        return FieldIs("site", _site(value))
    if name == "lang":
        return FieldIs("lang", _language(value))
    if name == "after":
        return PublishedAfter(f"after:{value}", parse_instant(value))
    if name == "before":
        return PublishedBefore(f"before:{value}", parse_instant(value))
    if name == "max-age":
        return MaxAge(f"max-age:{value.casefold()}", parse_age(value))
    raise ValueError(f"not a plain field: {name}")


def parse_instant(value: str) -> datetime:
    """``2026-11-20`` (midnight UTC) or ``2026-11-20T12:00`` (UTC unless an offset is given)."""
    expected = "a date like 2026-11-20 or a time like 2026-11-20T12:00"
    if not (_DATE.fullmatch(value) or _DATETIME.fullmatch(value)):
        raise QueryProblem(0, expected, f"'{value}' is not a date")
    try:
        if _DATE.fullmatch(value):
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise QueryProblem(0, expected, f"'{value}' is not a valid date ({error})") from error
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def parse_age(value: str) -> timedelta:
    """``30m``, ``12h``, ``2d`` or ``1w``."""
    match = _AGE.fullmatch(value.strip())
    if match is None or int(match.group(1)) == 0:
        raise QueryProblem(0, "an age like 30m, 12h, 2d or 1w", f"'{value}' is not an age")
    unit = _AGE_UNITS[match.group(2).casefold()]
    return timedelta(**{unit: int(match.group(1))})


def stock_filter(
    resolver: EntityResolver, company: str, spec: str | None, spec_offset: int
) -> Stock:
    """``stock:X[:direction][>=N%]``; ``X`` is a company (name, alias, ticker, id) or ``*``."""
    if any(char in company for char in "<>"):
        at = min(company.find(char) for char in "<>" if char in company)
        raise QueryProblem(at, "a colon before the threshold, as in stock:NVDA:>=5%",
                           "the threshold must follow a colon")
    direction, comparison, threshold = parse_stock_spec(spec, spec_offset)
    label = f"stock:{company}"
    ids: frozenset[str] | None = None
    tickers: frozenset[str] = frozenset()
    if company != "*":
        listed = resolver.listed_company(resolver.company(company))
        ids = resolver.company_family(listed)
        tickers = resolver.tickers_of(ids)
        label = f"stock:{quote(listed.name)}"
    if spec is not None:
        label += f":{direction or ''}{comparison or ''}{_number(threshold)}"
        label += "%" if threshold is not None else ""
    return Stock(label, ids, tickers, direction, comparison, threshold)


def parse_stock_spec(
    spec: str | None, offset: int
) -> tuple[str | None, str | None, float | None]:
    """``up``, ``down>=5%``, ``>2.5%`` -> (direction, comparison, threshold)."""
    if spec is None:
        return None, None, None
    expected = "up, down, flat and/or a threshold like >=5%"
    word, rest = _split_spec(spec.casefold())
    if not word and not rest:
        raise QueryProblem(offset, expected, "nothing after the colon")
    if word and word not in DIRECTIONS:
        raise QueryProblem(offset, expected, f"'{word}' is not a direction")
    if not rest:
        return word, None, None
    match = _THRESHOLD.fullmatch(rest)
    if match is None:
        raise QueryProblem(offset + len(word), "a threshold like >=5%, >2.5%, <=1%",
                           f"'{rest}' is not a threshold")
    return word or None, match.group(1), float(match.group(2))


def _split_spec(spec: str) -> tuple[str, str]:
    match = _SPEC.fullmatch(spec)
    return (match.group(1), match.group(2)) if match else ("", spec)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _nonempty(value: str, expected: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise QueryProblem(0, expected, "the value is empty")
    return cleaned


def _site(value: str) -> str:
    host = _nonempty(value, "a host like techcrunch.com").casefold()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0]
    host = host.removeprefix("www.").strip(".")
    if not host or any(char.isspace() for char in host):
        raise QueryProblem(0, "a host like techcrunch.com", f"'{value}' is not a host")
    return host


def _language(value: str) -> str:
    code = value.strip().casefold().replace("_", "-")
    if not _LANG.fullmatch(code):
        raise QueryProblem(0, "a language code like en or pt-br", f"'{value}' is not a language")
    return code
