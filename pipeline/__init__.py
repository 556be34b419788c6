"""Page -> stored Article: extraction, normalisation, dedup, storage.

The pipeline package holds the pure steps that turn what the crawler fetched into clean,
deduplicated articles, and the storage layer (SQLAlchemy + Alembic) that keeps them.
It imports neither ``crawler`` nor ``alerts``.
"""
