"""Persistence: the SQLAlchemy models, engine set-up for SQLite and PostgreSQL, and repositories."""
