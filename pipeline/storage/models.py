"""SQLAlchemy 2.0 typed models: the tables of newsmon's database.

Rows never leave :mod:`pipeline.storage`; callers get the frozen records of
:mod:`pipeline.storage.records`. Schema changes go through Alembic migrations
(``pipeline/storage/migrations/versions``), never ``create_all`` in production code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same way."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class SourceRow(Base):
    """A configured source: what to poll, how often, how much it counts."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    link_selector: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    schedule_window: Mapped[str | None] = mapped_column(String(11))
    """Poll only between these local times (``HH:MM-HH:MM``), or always when ``None``."""
    schedule_cron: Mapped[str | None] = mapped_column(String(120))
    """A crontab expression polled instead of the interval, when set."""
    schedule_timezone: Mapped[str | None] = mapped_column(String(64))
    """The zone of the window or cron expression (``None`` means UTC)."""


class SourceStateRow(Base):
    """Fetch state and health of one source: validators for conditional GET, failures, pauses."""

    __tablename__ = "source_states"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    next_poll_at: Mapped[datetime | None]
    next_poll_reason: Mapped[str | None] = mapped_column(Text)


class ArticleRow(Base):
    """One stored article; unique by canonical URL and by content fingerprint."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    source_name: Mapped[str] = mapped_column(String(63))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    link_url: Mapped[str] = mapped_column(String(2048), index=True)
    """Canonical form of the link the source gave (before redirects), to skip known entries."""
    content_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    guid: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(8))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    image_url: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    tagged_at: Mapped[datetime | None] = mapped_column(index=True)
    """When the NLP stage last tagged the article; ``None`` means it waits to be tagged."""
    tagger_version: Mapped[str | None] = mapped_column(String(64))
    story_id: Mapped[int | None] = mapped_column(index=True)
    """The story the article belongs to: the id of the story's first article."""
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The article's MinHash signature, kept so the story index can be rebuilt cheaply."""
    matched_at: Mapped[datetime | None] = mapped_column(index=True)
    """When subscriptions were matched against the article; ``None`` means it waits."""


class RejectionRow(Base):
    """Why something from a source was refused: a poll error, a parse failure, a non-article."""

    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_name: Mapped[str | None] = mapped_column(String(63), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(index=True)


class MetaRow(Base):
    """Small key/value facts about the database itself (e.g. that default sources were seeded)."""

    __tablename__ = "newsmon_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class MentionRow(Base):
    """One entity mention in an article (title or text), as the tagger found it."""

    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    canonical: Mapped[str] = mapped_column(Text)
    canonical_id: Mapped[str | None] = mapped_column(String(128), index=True)
    developer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    ticker: Mapped[str | None] = mapped_column(String(16), index=True)
    parent_id: Mapped[str | None] = mapped_column(String(128))
    sentence: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)


class StockReactionRow(Base):
    """One stated market move of a company's stock in an article."""

    __tablename__ = "stock_reactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(8))
    company: Mapped[str] = mapped_column(Text)
    company_id: Mapped[str | None] = mapped_column(String(128), index=True)
    ticker: Mapped[str | None] = mapped_column(String(16), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    magnitude_pct: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    event: Mapped[str | None] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)


class SubscriptionRow(Base):
    """A subscriber's standing query, how often to hear about it, and when digests go out."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    query: Mapped[str] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(String(16))
    digest_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(default=False)
    token_secret: Mapped[str] = mapped_column(String(64))
    """Per-subscription secret that signs its unsubscribe tokens."""
    created_at: Mapped[datetime]


class ChannelRow(Base):
    """Where a subscription's alerts go: an email address or a webhook/Slack/Discord URL."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("subscription_id", "kind", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    """The address or URL; Slack and Discord URLs (bearer secrets) sealed, see
    :mod:`pipeline.storage.sealing`."""
    target_redacted: Mapped[str | None] = mapped_column(Text, default=None)
    """How a sealed target is shown (its secret part elided); ``None`` for clear targets."""
    unsubscribe_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    """Unsubscribe links carry it; using one increments it, voiding every earlier link."""
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class AlertRow(Base):
    """One alert: a subscription matched a story. Unique per (subscription, story)."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("subscription_id", "story_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    story_id: Mapped[int] = mapped_column(index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    coverage: Mapped[int] = mapped_column(default=1)
    """How many articles of the story matched (the first, plus later coverage folded in)."""
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class AlertArticleRow(Base):
    """An article that matched an alert's subscription and story (the first or a later one)."""

    __tablename__ = "alert_articles"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    matched_at: Mapped[datetime]


class DeliveryRow(Base):
    """The outbox: one alert to send on one channel, retried until sent or dead."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """Stable delivery id: the idempotency key every attempt carries."""
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class DigestRow(Base):
    """A subscription's digest of one local day (or hour), rendered once and kept as sent."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("subscription_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    local_date: Mapped[str] = mapped_column(String(32))
    """The period's key: the local date of a daily digest (``2026-11-20``) or the local start
    of an hourly one's hour, with its offset (``2026-11-20T14:00+01:00``)."""
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    markdown: Mapped[str] = mapped_column(Text)
    json: Mapped[str] = mapped_column(Text)


class JobRunRow(Base):
    """The daemon's record of one scheduled job: its last run and outcome, its next run."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_run_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_run_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    missed: Mapped[int] = mapped_column(default=0)
