"""Alembic environment: runs migrations on the connection newsmon hands over.

newsmon never relies on an ``alembic.ini`` in the working directory: :func:`upgrade_database` builds
the Alembic config in code and passes an open connection in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from pipeline.storage.models import Base

config = context.config


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations inside one transaction on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `newsmon db upgrade`, which passes a connection")
run_migrations(connection)
