"""When a source may be polled: time windows, cron schedules, and the APScheduler triggers for both.

Where it sits: below ``plan`` (which asks when a source is next due) and ``service`` (which turns
a :class:`~newsmon.daemon.plan.JobSpec` into a trigger with :func:`build_trigger`). A source polled
every ``interval`` may be limited to a daily window of local times (``"06:00-22:00"``, or
``"22:00-06:00"`` across midnight): :class:`WindowTrigger` is an interval trigger whose fire times
outside the window move to the window's next opening. A source with a crontab expression is polled
by APScheduler's own :class:`CronTrigger` instead. Plain intervals use :class:`EvenIntervalTrigger`:
APScheduler 3 adds 0..jitter seconds after each previous, already jittered, run, so a source
polled "every 60 s with 15 s of jitter" was polled every 67.5 s on average and up to 75 s apart;
here the jitter is spread on both sides of the interval, so the mean stays the interval. Everything
here is computation on datetimes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

DAY_MINUTES = 24 * 60
CRON_LOOKBACK = timedelta(days=1)
"""A never-polled cron source catches up a cron time of the last day (else waits for the next)."""


@dataclass(frozen=True)
class TimeWindow:
    """A daily span of local time, ``[start, end)`` in minutes since midnight; ``end`` may be
    smaller than ``start`` (the window spans midnight)."""

    start: int
    end: int
    zone: ZoneInfo

    @classmethod
    def parse(cls, window: str, timezone: str = "UTC") -> TimeWindow:
        """``"06:00-22:00"`` (as validated by the source schema) in ``timezone``."""
        start, _, end = window.partition("-")
        return cls(_minutes(start), _minutes(end), ZoneInfo(timezone))

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls inside the window, in the window's zone."""
        local = moment.astimezone(self.zone)
        minute = local.hour * 60 + local.minute + local.second / 60
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` if it lies inside the window, else the window's next opening (UTC)."""
        if self.contains(moment):
            return moment
        day = moment.astimezone(self.zone).date()
        opening = time(self.start // 60, self.start % 60)
        for offset in range(3):
            candidate = datetime.combine(day + timedelta(days=offset), opening, tzinfo=self.zone)
            if candidate.astimezone(UTC) > moment:
                return candidate.astimezone(UTC)
        raise AssertionError("a daily window opens within two days")  # pragma: no cover


def _minutes(clock_time: str) -> int:
    hours, _, minutes = clock_time.strip().partition(":")
    return min(int(hours) * 60 + int(minutes), DAY_MINUTES)


class WindowTrigger(BaseTrigger):  # type: ignore[misc]
    """Every ``seconds`` (plus jitter), but only inside ``window``: a fire time outside it moves
    to the window's next opening, from which the interval continues."""

    __slots__ = ("interval", "jitter", "window")

    def __init__(self, seconds: float, window: TimeWindow, jitter: float | None = None) -> None:
        self.interval = timedelta(seconds=seconds)
        self.window = window
        self.jitter = jitter

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime | None:
        """The next time inside the window, an interval after the previous fire time."""
        if previous_fire_time is None:
            jittered: datetime = self._apply_jitter(now, self.jitter, now)
        else:
            jittered = previous_fire_time + self.interval + even_jitter(self.jitter)
        return self.window.next_opening(jittered)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "interval": self.interval, "window": self.window,
                "jitter": self.jitter}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.interval, self.window = state["interval"], state["window"]
        self.jitter = state["jitter"]

    def __str__(self) -> str:
        return f"window[{self.window.start}-{self.window.end} min, every {self.interval}]"


def even_jitter(jitter: float | None) -> timedelta:
    """A random offset in ``[-jitter/2, +jitter/2]``: it spreads runs without lengthening the mean
    interval between them."""
    if not jitter:
        return timedelta(0)
    return timedelta(seconds=random.uniform(-jitter / 2, jitter / 2))  # noqa: S311 (not secret)


class EvenIntervalTrigger(IntervalTrigger):  # type: ignore[misc]
    """Every ``seconds`` on average: each run is an interval after the previous one plus a jitter
    centred on zero (the first run keeps APScheduler's own placement)."""

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime | None:
        """The previous run time plus the interval plus :func:`even_jitter`."""
        if previous_fire_time is None or not self.jitter:
            fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
            return fire
        moment = previous_fire_time + self.interval + even_jitter(self.jitter)
        if self.end_date is not None and moment > self.end_date:
            return None
        local: datetime = moment.astimezone(self.timezone)
        return local


def cron_trigger(expression: str, timezone: str, jitter: float | None = None) -> CronTrigger:
    """APScheduler's trigger for a crontab expression read in ``timezone``."""
    trigger = CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))
    trigger.jitter = jitter
    return trigger


def next_cron_time(expression: str, timezone: str, after: datetime) -> datetime:
    """The first time of the cron schedule strictly after ``after`` (UTC)."""
    trigger = cron_trigger(expression, timezone)
    fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    if fire is None:  # pragma: no cover - a validated crontab always fires again
        raise ValueError(f"the cron schedule {expression!r} never fires again")
    return fire.astimezone(UTC)


def build_trigger(kind: str, *, seconds: float, jitter: float | None, cron: str | None,
                  window: str | None, timezone: str) -> BaseTrigger:
    """The APScheduler trigger of one planned job (``interval``, ``window`` or ``cron``)."""
    if kind == "cron" and cron is not None:
        return cron_trigger(cron, timezone, jitter)
    if kind == "window" and window is not None:
        return WindowTrigger(seconds, TimeWindow.parse(window, timezone), jitter)
    return EvenIntervalTrigger(seconds=seconds, jitter=jitter, timezone="UTC")
