"""Source schedules (a time window or a cron expression, in a time zone) and digest keys long
enough for hourly digests (``2026-11-20T14:00+01:00``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("schedule_window", sa.String(11), nullable=True))
        batch.add_column(sa.Column("schedule_cron", sa.String(120), nullable=True))
        batch.add_column(sa.Column("schedule_timezone", sa.String(64), nullable=True))
    with op.batch_alter_table("digests") as batch:
        batch.alter_column("local_date", existing_type=sa.String(10), type_=sa.String(32),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        batch.alter_column("local_date", existing_type=sa.String(32), type_=sa.String(10),
                           existing_nullable=False)
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("schedule_timezone")
        batch.drop_column("schedule_cron")
        batch.drop_column("schedule_window")
