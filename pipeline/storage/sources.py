"""The source store: configured sources, their fetch state and health, and recorded rejections.

One feed, one source: every way a source is saved (``add``, ``apply``, ``seed_defaults``) refuses
one whose URL another source already polls, compared after :func:`pipeline.urls.canonicalize_url`
(tracking parameters, case, default port and fragment set aside), so no feed is polled twice.
Two ``page`` sources may read one page with different link selectors (each picks other links).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pipeline.storage.models import ArticleRow, MetaRow, RejectionRow, SourceRow, SourceStateRow
from pipeline.storage.records import (
    FetchState,
    PollRecord,
    RejectionRecord,
    SourceHealth,
    SourceRecord,
)
from pipeline.storage.upsert import insert_ignoring_conflicts
from pipeline.text import clean_text
from pipeline.urls import InvalidUrlError, canonicalize_url

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

SEEDED_KEY = "default_sources_seeded"
MAX_ERROR_CHARS = 2000


class SessionSource(Protocol):
    """Where stores get their sessions (see :class:`pipeline.storage.storage.Sessions`)."""

    def read(self) -> AbstractContextManager[Session]: ...
    def write(self) -> AbstractContextManager[Session]: ...


class SourceSpecLike(Protocol):
    """The fields of a source definition (``config.SourceSpec`` satisfies it)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def interval(self) -> int: ...
    @property
    def weight(self) -> float: ...
    @property
    def link_selector(self) -> str | None: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def description(self) -> str | None: ...
    @property
    def window(self) -> str | None: ...
    @property
    def cron(self) -> str | None: ...
    @property
    def timezone(self) -> str: ...


class SourceStore:
    """Sources, their fetch state, their health, and why things from them were refused."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions

    def add(self, spec: SourceSpecLike, now: datetime) -> SourceRecord | None:
        """Insert a source; ``None`` when a source of that name already exists, or another one
        polls the same feed (:meth:`same_feed_as` says which)."""
        with self._sessions.write() as session:
            if _same_feed_in(session, spec) is not None:
                return None
            source_id = insert_ignoring_conflicts(session, SourceRow, _source_values(spec, now))
            if source_id is None:
                return None
            session.add(SourceStateRow(source_id=source_id, consecutive_failures=0))
            row = session.get_one(SourceRow, source_id)
            return _source_record(row)

    def same_feed_as(self, spec: SourceSpecLike) -> SourceRecord | None:
        """The stored source, under another name than ``spec``'s, that polls the same feed."""
        with self._sessions.read() as session:
            return _same_feed_in(session, spec)

    def seed_defaults(self, specs: Iterable[SourceSpecLike], now: datetime) -> int:
        """Insert the default sources once per database; later calls (or removals) are kept.
        A source polling the same feed as one stored (or listed before it) is left out."""
        with self._sessions.write() as session:
            if session.get(MetaRow, SEEDED_KEY) is not None:
                return 0
            added = 0
            for spec in specs:
                if _same_feed_in(session, spec) is not None:
                    continue
                source_id = insert_ignoring_conflicts(session, SourceRow, _source_values(spec, now))
                if source_id is not None:
                    session.add(SourceStateRow(source_id=source_id, consecutive_failures=0))
                    added += 1
            session.add(MetaRow(key=SEEDED_KEY, value=now.isoformat()))
            return added

    def apply(self, spec: SourceSpecLike, now: datetime, *, set_enabled: bool = True) -> str:
        """Make the stored source ``spec.name`` match ``spec`` (adding it if new): ``added``,
        ``updated`` or ``unchanged``; ``duplicate`` (nothing changed) when another source polls
        the same feed. Its fetch state and health are kept. With ``set_enabled`` False an
        existing source keeps its on/off flag (the spec did not state one, so what ``newsmon
        sources enable|disable`` made it stands)."""
        values = _source_values(spec, now)
        del values["created_at"]
        with self._sessions.write() as session:
            if _same_feed_in(session, spec) is not None:
                return "duplicate"
            row = session.scalar(select(SourceRow).where(SourceRow.name == spec.name))
            if row is None:
                source_id = insert_ignoring_conflicts(session, SourceRow, {**values,
                                                                           "created_at": now})
                if source_id is not None:
                    session.add(SourceStateRow(source_id=source_id, consecutive_failures=0))
                return "added"
            if not set_enabled:
                del values["enabled"]
            changed = {key: value for key, value in values.items() if getattr(row, key) != value}
            for key, value in changed.items():
                setattr(row, key, value)
            return "updated" if changed else "unchanged"

    def remove(self, name: str) -> bool:
        """Delete a source (its articles stay, attributed by name); ``False`` if unknown."""
        with self._sessions.write() as session:
            result = session.execute(delete(SourceRow).where(SourceRow.name == name))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def set_enabled(self, name: str, enabled: bool) -> bool:
        """Turn polling of a source on or off; ``False`` if unknown."""
        with self._sessions.write() as session:
            row = session.scalar(select(SourceRow).where(SourceRow.name == name))
            if row is None:
                return False
            row.enabled = enabled
            return True

    def get(self, name: str) -> SourceRecord | None:
        """The source called ``name``, if any."""
        with self._sessions.read() as session:
            row = session.scalar(select(SourceRow).where(SourceRow.name == name))
            return _source_record(row) if row else None

    def all(self, *, enabled_only: bool = False) -> list[SourceRecord]:
        """All sources by name."""
        query = select(SourceRow).order_by(SourceRow.name)
        if enabled_only:
            query = query.where(SourceRow.enabled.is_(True))
        with self._sessions.read() as session:
            return [_source_record(row) for row in session.scalars(query)]

    def fetch_state(self, name: str) -> FetchState:
        """Validators and pause of a source (an empty state for unknown sources)."""
        with self._sessions.read() as session:
            state = _state_of(session, name)
            return _fetch_state(state) if state else FetchState()

    def record_poll(self, name: str, poll: PollRecord) -> None:
        """Write the outcome of one poll into the source's state (one transaction)."""
        with self._sessions.write() as session:
            state = _state_of(session, name)
            if state is None:
                return
            state.last_polled_at = poll.at
            state.last_status_code = poll.status_code
            state.next_poll_at = poll.next_poll_at
            state.next_poll_reason = poll.next_poll_reason
            if poll.succeeded:
                state.last_success_at = poll.at
                state.consecutive_failures = 0
                state.etag = poll.etag or state.etag
                state.last_modified = poll.last_modified or state.last_modified
            else:
                state.consecutive_failures += 1
                state.last_error = clean_text(poll.error)[:MAX_ERROR_CHARS] or "unknown error"
                state.last_error_at = poll.at

    def record_rejection(
        self, source_name: str | None, stage: str, reason: str, url: str | None, at: datetime
    ) -> None:
        """Keep a readable reason why something from a source was refused."""
        with self._sessions.write() as session:
            session.add(
                RejectionRow(
                    source_name=source_name,
                    url=clean_text(url)[:MAX_ERROR_CHARS] or None,
                    stage=stage,
                    reason=clean_text(reason)[:MAX_ERROR_CHARS] or "unknown reason",
                    occurred_at=at,
                )
            )

    def rejections(self, source_name: str | None = None, limit: int = 50) -> list[RejectionRecord]:
        """The most recent rejections, newest first."""
        query = select(RejectionRow).order_by(RejectionRow.id.desc()).limit(limit)
        if source_name is not None:
            query = query.where(RejectionRow.source_name == source_name)
        with self._sessions.read() as session:
            return [_rejection_record(row) for row in session.scalars(query)]

    def health(self, now: datetime) -> list[SourceHealth]:
        """Every source with its fetch state and article counts, by name."""
        with self._sessions.read() as session:
            totals = _article_counts(session, None)
            last_day = _article_counts(session, now - timedelta(days=1))
            last_week = _article_counts(session, now - timedelta(days=7))
            rows = session.execute(
                select(SourceRow, SourceStateRow)
                .outerjoin(SourceStateRow, SourceStateRow.source_id == SourceRow.id)
                .order_by(SourceRow.name)
            )
            return [
                _health(source, state, totals, last_day, last_week) for source, state in rows
            ]


def _source_values(spec: SourceSpecLike, now: datetime) -> dict[str, object]:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "url": spec.url,
        "interval_seconds": spec.interval,
        "weight": spec.weight,
        "link_selector": spec.link_selector,
        "enabled": spec.enabled,
        "description": spec.description,
        "created_at": now,
        "schedule_window": spec.window,
        "schedule_cron": spec.cron,
        "schedule_timezone": None if spec.timezone == "UTC" else spec.timezone,
    }


def feed_identity(url: str) -> str:
    """What two source URLs are compared by: the canonical URL (the URL as written when it
    cannot be canonicalised, so such a source is still compared, only more strictly)."""
    try:
        return canonicalize_url(url)
    except InvalidUrlError:
        return url.strip()


def polls_same_feed(first: SourceSpecLike | SourceRow, second: SourceSpecLike) -> bool:
    """Whether two sources fetch the same URL for the same links: equal canonical URLs, unless
    both are ``page`` sources picking links with different selectors."""
    if feed_identity(first.url) != feed_identity(second.url):
        return False
    if first.kind == "page" and second.kind == "page":
        return (first.link_selector or "").strip() == (second.link_selector or "").strip()
    return True


def _same_feed_in(session: Session, spec: SourceSpecLike) -> SourceRecord | None:
    """The first stored source (by name), other than ``spec.name``, polling ``spec``'s feed."""
    rows = session.scalars(
        select(SourceRow).where(SourceRow.name != spec.name).order_by(SourceRow.name))
    found = next((row for row in rows if polls_same_feed(row, spec)), None)
    return _source_record(found) if found is not None else None


def _state_of(session: Session, name: str) -> SourceStateRow | None:
    return session.scalar(
        select(SourceStateRow)
        .join(SourceRow, SourceRow.id == SourceStateRow.source_id)
        .where(SourceRow.name == name)
    )


def _article_counts(session: Session, since: datetime | None) -> dict[str, int]:
    query = select(ArticleRow.source_name, func.count()).group_by(ArticleRow.source_name)
    if since is not None:
        query = query.where(ArticleRow.fetched_at >= since)
    return {name: count for name, count in session.execute(query)}


def _health(
    source: SourceRow,
    state: SourceStateRow | None,
    totals: dict[str, int],
    last_day: dict[str, int],
    last_week: dict[str, int],
) -> SourceHealth:
    return SourceHealth(
        source=_source_record(source),
        state=_fetch_state(state) if state else FetchState(),
        last_success_at=state.last_success_at if state else None,
        last_error=state.last_error if state else None,
        last_error_at=state.last_error_at if state else None,
        last_status_code=state.last_status_code if state else None,
        articles_total=totals.get(source.name, 0),
        articles_last_24h=last_day.get(source.name, 0),
        articles_per_day=round(last_week.get(source.name, 0) / 7, 2),
    )


def _source_record(row: SourceRow) -> SourceRecord:
    return SourceRecord(
        id=row.id,
        name=row.name,
        kind=row.kind,
        url=row.url,
        interval_seconds=row.interval_seconds,
        weight=row.weight,
        link_selector=row.link_selector,
        enabled=row.enabled,
        description=row.description,
        window=row.schedule_window,
        cron=row.schedule_cron,
        timezone=row.schedule_timezone or "UTC",
    )


def _fetch_state(row: SourceStateRow) -> FetchState:
    return FetchState(
        etag=row.etag,
        last_modified=row.last_modified,
        next_poll_at=row.next_poll_at,
        next_poll_reason=row.next_poll_reason,
        consecutive_failures=row.consecutive_failures,
        last_polled_at=row.last_polled_at,
    )


def _rejection_record(row: RejectionRow) -> RejectionRecord:
    return RejectionRecord(
        id=row.id,
        source_name=row.source_name,
        url=row.url,
        stage=row.stage,
        reason=row.reason,
        occurred_at=row.occurred_at,
    )
