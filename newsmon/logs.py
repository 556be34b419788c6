"""Logging for the application shell: one line per event, text or JSON, to standard error."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from config.settings import LoggingSettings

HANDLER_NAME = "newsmon"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = (
    "alembic", "scrapy", "twisted", "trafilatura", "htmldate", "charset_normalizer", "filelock",
    "httpx", "httpcore",  # httpx logs each request URL at INFO; Slack/Discord URLs are secrets
    "apscheduler",  # each job added, each run started and ended: the daemon says what jobs did
)
LOGGED_BY_NEWSMON = (
    # a run skipped because the job's previous run was still going (max_instances=1): expected
    # under load; the daemon counts it and logs it at INFO (DaemonStats.skipped)
    ("apscheduler.scheduler", "maximum number of running instances"),
    # a job's error and a missed run: the daemon's listener logs each once (DaemonStats)
    ("apscheduler.executors", "raised an exception"),
    ("apscheduler.executors", "was missed by"),
    # a request that failed after its retries: the crawl's own line names the source and reason
    ("scrapy.downloadermiddlewares.retry", "Gave up retrying"),
)


class UtcTextFormatter(logging.Formatter):
    """``2026-11-20T12:00:05.250Z LEVEL logger: message``: the time in UTC, marked ``Z``, as
    are the times in the messages, whatever the machine's local time zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created, UTC)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{int(record.msecs):03d}Z"


class JsonLineFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: LoggingSettings) -> None:
    """Install one stderr handler on the root logger; third-party chatter only from WARNING."""
    handler = logging.StreamHandler()
    handler.name = HANDLER_NAME
    formatter = JsonLineFormatter() if settings.json_lines else UtcTextFormatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(_without_duplicates)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.name == HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(settings.level)))


def _without_duplicates(record: logging.LogRecord) -> bool:
    """Drop third-party lines that newsmon logs itself, better (``LOGGED_BY_NEWSMON``), so each
    event is one line."""
    return not any(record.name.startswith(name) and text in str(record.msg)
                   for name, text in LOGGED_BY_NEWSMON)
