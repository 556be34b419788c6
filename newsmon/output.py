"""Output helpers for the CLI: one Rich console, JSON that machines can read, short times."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def plain(value: object) -> Text:
    """A table cell or line shown exactly as stored: text from the web or from users is never
    read as Rich markup (``[bold red]``, ``[link=file:...]``)."""
    return Text("" if value is None else str(value))


def literal(value: object) -> str:
    """``value`` escaped for a line that also carries our own markup."""
    return escape("" if value is None else str(value))


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums, datetimes and tuples as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as JSON on one line to standard output (no Rich markup or wrapping)."""
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def ago(when: datetime | None, now: datetime) -> str:
    """``5m ago``, ``3h ago``, ``in 2h`` or ``never``."""
    if when is None:
        return "never"
    delta = now - when
    future = delta < timedelta(0)
    seconds = abs(int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{seconds // size}{unit}"
            break
    else:
        text = f"{seconds}s"
    return f"in {text}" if future else f"{text} ago"


def short_time(when: datetime | None) -> str:
    """``2026-11-20 12:00`` (UTC) or an empty string."""
    return f"{when:%Y-%m-%d %H:%M}" if when else ""


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``1 alert``, ``3 alerts``, ``1 dead delivery``, ``2 dead deliveries``."""
    if count == 1:
        return f"1 {singular}"
    if plural is None:
        consonant_y = singular.endswith("y") and singular[-2:-1] not in "aeiou"
        plural = singular[:-1] + "ies" if consonant_y else singular + "s"
    return f"{count} {plural}"
