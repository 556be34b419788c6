"""The job-run store: what the daemon's scheduler last did per job, for ``newsmon status``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from pipeline.storage.models import JobRunRow
from pipeline.storage.upsert import insert_unless_present
from pipeline.text import clean_text

if TYPE_CHECKING:
    from pipeline.storage.sources import SessionSource

OUTCOME_COLUMNS = {"ok": "runs", "error": "errors", "missed": "missed"}


@dataclass(frozen=True)
class JobRun:
    """One scheduled job's record."""

    job_id: str
    last_run_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    next_run_at: datetime | None
    runs: int
    errors: int
    missed: int


class JobRunStore:
    """Per-job last run, outcome, next run and counts, written by the daemon."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    def record(self, job_id: str, outcome: str, *, at: datetime, next_run_at: datetime | None,
               error: str | None = None) -> None:
        """Record one run (``ok`` or ``error``) or a missed run of ``job_id``."""
        counter = OUTCOME_COLUMNS[outcome]
        with self._sessions.write() as session:
            insert_unless_present(session, JobRunRow, {
                "job_id": job_id, "runs": 0, "errors": 0, "missed": 0})
            column = getattr(JobRunRow, counter)
            session.execute(update(JobRunRow).where(JobRunRow.job_id == job_id).values({
                counter: column + 1, "last_run_at": at, "last_outcome": outcome,
                "last_error": clean_text(error)[:2000] or None, "next_run_at": next_run_at,
            }))

    def all(self) -> list[JobRun]:
        """Every job's record, by id."""
        with self._sessions.read() as session:
            rows = session.scalars(select(JobRunRow).order_by(JobRunRow.job_id))
            return [JobRun(r.job_id, r.last_run_at, r.last_outcome, r.last_error,
                           r.next_run_at, r.runs, r.errors, r.missed) for r in rows]
