"""Stories, subscriptions, channels, alerts (one per subscription and story) and the outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pipeline.storage.models import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("matched_at", UtcDateTime(), nullable=True))
        batch.create_index(batch.f("ix_articles_story_id"), ["story_id"])
        batch.create_index(batch.f("ix_articles_matched_at"), ["matched_at"])
    _create_subscriptions()
    _create_alerts()
    _create_deliveries()


def _create_subscriptions() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("digest_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("token_secret", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("name", name=op.f("uq_subscriptions_name")),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("disabled_at", UtcDateTime(), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"], ondelete="CASCADE",
                                name=op.f("fk_channels_subscription_id_subscriptions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("subscription_id", "kind", "target",
                            name=op.f("uq_channels_subscription_id")),
    )
    op.create_index(op.f("ix_channels_subscription_id"), "channels", ["subscription_id"])


def _create_alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("coverage", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"], ondelete="CASCADE",
                                name=op.f("fk_alerts_subscription_id_subscriptions")),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_alerts_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("subscription_id", "story_id",
                            name=op.f("uq_alerts_subscription_id")),
    )
    op.create_index(op.f("ix_alerts_subscription_id"), "alerts", ["subscription_id"])
    op.create_index(op.f("ix_alerts_story_id"), "alerts", ["story_id"])
    op.create_index(op.f("ix_alerts_created_at"), "alerts", ["created_at"])
    op.create_table(
        "alert_articles",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("matched_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_articles_alert_id_alerts")),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_alert_articles_article_id_articles")),
        sa.PrimaryKeyConstraint("alert_id", "article_id", name=op.f("pk_alert_articles")),
    )


def _create_deliveries() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name=op.f("fk_deliveries_alert_id_alerts")),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE",
                                name=op.f("fk_deliveries_channel_id_channels")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_deliveries_key")),
        sa.UniqueConstraint("alert_id", "channel_id", name=op.f("uq_deliveries_alert_id")),
    )
    for column in ("alert_id", "channel_id", "status", "next_attempt_at"):
        op.create_index(op.f(f"ix_deliveries_{column}"), "deliveries", [column])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("alert_articles")
    op.drop_table("alerts")
    op.drop_table("channels")
    op.drop_table("subscriptions")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index(batch.f("ix_articles_matched_at"))
        batch.drop_index(batch.f("ix_articles_story_id"))
        batch.drop_column("matched_at")
        batch.drop_column("signature")
        batch.drop_column("story_id")
