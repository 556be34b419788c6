"""A clock the test sets and moves by hand, for anything that takes ``clock: () -> datetime``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
"""Where test clocks start unless told otherwise."""


@dataclass
class ManualClock:
    """Returns ``now``; the test moves it with :meth:`advance` or by setting ``now``."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move on by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)
