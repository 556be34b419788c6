"""The demo's accelerated clock: simulated time that runs ``speed`` times faster than the wall.

Part of the offline demo of the application shell (``newsmon/demo``). ``newsmon demo`` gives
this clock to everything that reads the time -- the app (crawler, ingest, tagging, matching,
outbox, digests) and the sample news site -- so a simulated day of news passes in about a
minute. The daemon's scheduler keeps waiting in wall seconds; it is told the same ``speed``
(:class:`newsmon.daemon.service.SchedulerPace`) so its intervals shrink to match.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from pipeline.dates import to_utc


class AcceleratedClock:
    """Simulated UTC time: ``start`` until :meth:`begin`, then ``speed`` simulated seconds per
    wall second. Calling it returns the simulated now (the ``clock`` callable the app takes)."""

    def __init__(
        self, start: datetime, speed: float,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"the clock's speed must be positive, not {speed}")
        self.start = to_utc(start)
        self.speed = speed
        self._wall = wall
        self._wall_start: float | None = None

    def begin(self) -> None:
        """Let simulated time run from now on (setting up happens at ``start``)."""
        if self._wall_start is None:
            self._wall_start = self._wall()

    def __call__(self) -> datetime:
        if self._wall_start is None:
            return self.start
        return self.start + timedelta(seconds=(self._wall() - self._wall_start) * self.speed)

    def wall_seconds_until(self, moment: datetime) -> float:
        """Wall seconds until the simulated clock reaches ``moment`` (0 when it has)."""
        return max(0.0, (to_utc(moment) - self()).total_seconds() / self.speed)
