"""Tags: entity mentions and stock reactions per article, and when each article was tagged.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pipeline.storage.models import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("tagged_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("tagger_version", sa.String(64), nullable=True))
        batch.create_index(batch.f("ix_articles_tagged_at"), ["tagged_at"])
    op.create_table(
        "mentions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(8), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("canonical_id", sa.String(128), nullable=True),
        sa.Column("developer_id", sa.String(128), nullable=True),
        sa.Column("ticker", sa.String(16), nullable=True),
        sa.Column("parent_id", sa.String(128), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_mentions_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentions")),
    )
    for column in ("article_id", "canonical_id", "developer_id", "ticker"):
        op.create_index(op.f(f"ix_mentions_{column}"), "mentions", [column])
    op.create_table(
        "stock_reactions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(8), nullable=False),
        sa.Column("company", sa.Text(), nullable=False),
        sa.Column("company_id", sa.String(128), nullable=True),
        sa.Column("ticker", sa.String(16), nullable=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("magnitude_pct", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("event", sa.Text(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_stock_reactions_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reactions")),
    )
    for column in ("article_id", "company_id", "ticker"):
        op.create_index(op.f(f"ix_stock_reactions_{column}"), "stock_reactions", [column])


def downgrade() -> None:
    op.drop_table("stock_reactions")
    op.drop_table("mentions")
    with op.batch_alter_table("articles") as batch:
        batch.drop_index(batch.f("ix_articles_tagged_at"))
        batch.drop_column("tagger_version")
        batch.drop_column("tagged_at")
