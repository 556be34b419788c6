"""Storage: the database is the spine of newsmon.

SQLAlchemy 2.0 typed models (:mod:`pipeline.storage.models`), Alembic migrations
(:mod:`pipeline.storage.migrations`), and :class:`Storage`, the one object other stages are given
to read and write. SQLite (WAL, busy timeout) is the embedded default; PostgreSQL by URL. Every
write a stage makes is one transaction, and uniqueness is enforced by constraints, not by
check-then-insert.
"""

from pipeline.storage.records import (
    FetchState,
    RejectionRecord,
    SourceHealth,
    SourceRecord,
    StoredArticle,
)
from pipeline.storage.storage import Storage, StorageError

__all__ = [
    "FetchState",
    "RejectionRecord",
    "SourceHealth",
    "SourceRecord",
    "Storage",
    "StorageError",
    "StoredArticle",
]
