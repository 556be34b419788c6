"""Reading the daemon's sources (at start and on SIGHUP) and comparing two schedules.

Where it sits: between the database + the user's ``$NEWSMON_HOME/sources.toml`` and ``service``.
:func:`read_sources` is what the daemon calls at start and again on SIGHUP: the sources named in
the user's file are applied to the database (added, or updated field by field; their fetch state
and health are kept; one whose URL a source of another name polls is left out, with a warning),
then the enabled sources are read back. Sources the file does not name are left as ``newsmon
sources`` made them. :func:`changed_jobs` tells which planned jobs a reload must add, remove or
replace; it is pure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from config import SourceSpec
from config.loading import ConfigError, load_source_specs
from newsmon.app import App
from newsmon.daemon.plan import JobSpec
from pipeline.storage import SourceRecord

logger = logging.getLogger(__name__)
USER_SOURCES_FILE = "sources.toml"
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReloadReport:
    """What a reload changed in the schedule, and how many subscriptions are active."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    subscriptions: int
    invalid_sources_file: Path | None = None
    """The user's sources.toml when it could not be applied (the error is logged before)."""

    def summary(self) -> str:
        """One log line."""
        def names(ids: tuple[str, ...]) -> str:
            return ", ".join(ids) if ids else "none"
        invalid = "" if self.invalid_sources_file is None else (
            f"{self.invalid_sources_file} is invalid, the sources in force are kept; ")
        return (f"{invalid}jobs added: {names(self.added)}; removed: {names(self.removed)}; "
                f"rescheduled: {names(self.changed)}; {self.subscriptions} active subscriptions")


def user_sources_file(app: App) -> Path:
    """``$NEWSMON_HOME/sources.toml``: the operator's own source list."""
    return app.settings.home / USER_SOURCES_FILE


def apply_user_sources(app: App) -> dict[str, str] | None:
    """Apply the user's ``sources.toml`` (if any) to the database: ``{name: added | updated |
    unchanged}``. An invalid file is logged and ignored (``None``): the stored sources stay in
    force."""
    path = user_sources_file(app)
    if not path.is_file():
        return {}
    try:
        specs = load_source_specs(path)
    except ConfigError as error:
        logger.error("sources not reloaded, %s is invalid: %s", path, error)
        return None
    outcomes = {
        spec.name: app.storage.sources.apply(spec, app.clock(), set_enabled=states_enabled(spec))
        for spec in specs
    }
    for spec in specs:
        if outcomes[spec.name] == "duplicate":
            _warn_same_feed(app, path, spec)
    touched = {name: outcome for name, outcome in outcomes.items()
               if outcome not in ("unchanged", "duplicate")}
    if touched:
        logger.info("sources from %s: %s", path,
                    ", ".join(f"{name} {outcome}" for name, outcome in sorted(touched.items())))
    return outcomes


def _warn_same_feed(app: App, path: Path, spec: SourceSpec) -> None:
    """Log that the file's ``spec`` was left out because a stored source polls its feed."""
    existing = app.storage.sources.same_feed_as(spec)
    held_by = (f"source {existing.name!r} already polls this URL ({existing.url})"
               if existing else "another source polls this URL")
    logger.warning("%s: source %r not applied: %s", path, spec.name, held_by)


def states_enabled(spec: SourceSpec) -> bool:
    """Whether the file gave ``enabled`` itself: only then does it override what ``newsmon
    sources enable|disable`` set (a source disabled at the command line stays disabled)."""
    return "enabled" in spec.model_fields_set


def explicitly_enabled_in_file(app: App, name: str) -> bool:
    """Whether the user's ``sources.toml`` names ``name`` with ``enabled = true`` (so the daemon
    turns it back on at its next start or reload); False when the file is absent or invalid."""
    path = user_sources_file(app)
    if not path.is_file():
        return False
    try:
        specs = load_source_specs(path)
    except ConfigError:
        return False
    return any(spec.name == name and states_enabled(spec) and spec.enabled for spec in specs)


def read_sources(app: App) -> tuple[list[SourceRecord], Path | None]:
    """The enabled sources the daemon schedules, after applying the user's ``sources.toml``;
    and that file when it was invalid (so not applied)."""
    applied = apply_user_sources(app)
    invalid = user_sources_file(app) if applied is None else None
    return app.storage.sources.all(enabled_only=True), invalid


def changed_jobs(
    current: Mapping[str, JobSpec], planned: Mapping[str, JobSpec]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(added, removed, changed)`` job ids between two schedules; a job whose trigger,
    interval, window or cron expression differs is changed (its first run alone is not)."""
    added = tuple(job_id for job_id in planned if job_id not in current)
    removed = tuple(job_id for job_id in current if job_id not in planned)
    changed = tuple(
        job_id for job_id, spec in planned.items()
        if job_id in current and _schedule(spec) != _schedule(current[job_id])
    )
    return added, removed, changed


def _schedule(spec: JobSpec) -> JobSpec:
    return replace(spec, first_run=_ANY_TIME)
