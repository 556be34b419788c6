"""Alembic migrations of newsmon's schema (run with ``newsmon db upgrade``)."""
