"""The log's text lines carry their time in UTC, marked as such, like every time in the messages
(``next poll at 14:10 UTC``) and the JSON lines, whatever the machine's time zone."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from config.settings import LoggingSettings
from newsmon.logs import HANDLER_NAME, configure_logging

MOMENT = datetime(2026, 11, 20, 12, 0, 5, 250000, tzinfo=UTC)


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time is Tokyo's (UTC+9)."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def formatted(settings: LoggingSettings) -> str:
    configure_logging(settings)
    [installed] = [h for h in logging.getLogger().handlers if h.name == HANDLER_NAME]
    logging.getLogger().removeHandler(installed)
    record = logging.LogRecord("newsmon.daemon.jobs", logging.WARNING, __file__, 1,
                               "crawl %s: failed", ("gone",), None)
    record.created = MOMENT.timestamp()
    record.msecs = 250.0
    return installed.format(record)


@pytest.mark.usefixtures("tokyo")
def test_text_lines_are_stamped_in_utc_and_say_so() -> None:
    line = formatted(LoggingSettings())
    assert line == "2026-11-20T12:00:05.250Z WARNING newsmon.daemon.jobs: crawl gone: failed"


@pytest.mark.usefixtures("tokyo")
def test_json_lines_are_stamped_in_utc() -> None:
    entry = json.loads(formatted(LoggingSettings(json_lines=True)))
    assert datetime.fromisoformat(entry["time"]) == MOMENT
    assert entry["message"] == "crawl gone: failed"
