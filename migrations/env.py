"""Alembic environment: migrates the database named by the settings, or a connection handed in.

``torekes.db.migrate`` passes its own connection through ``config.attributes["connection"]``;
the ``alembic`` command line falls back to ``TOREKES_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from torekes.db.models import Base
from torekes.settings import load_settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(load_settings().database_url)
    with engine.connect() as fresh_connection:
        _run(fresh_connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations_online()
