"""Channels: an unsubscribe epoch (using an unsubscribe link voids every earlier link of the
channel) and the redacted form of a sealed (encrypted) target, shown where the clear URL must not
be.

Existing Slack and Discord URLs are sealed by the application after this migration, when
``NEWSMON_SECRET_KEY`` is set (``pipeline.storage.subscriptions.SubscriptionStore.seal_clear``);
the migration itself needs no key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("unsubscribe_epoch", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("target_redacted", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("target_redacted")
        batch.drop_column("unsubscribe_epoch")
