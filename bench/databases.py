"""Fresh, migrated databases for one benchmark: an SQLite file in a temporary directory, or a new
PostgreSQL database on the local server (``TOREKES_BENCH_POSTGRES_URL``), dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from torekes.db.engine import Database
from torekes.db.migrate import upgrade_to_head

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
KINDS = ("sqlite", "postgresql")


def postgres_server_url() -> str:
    return os.environ.get("TOREKES_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@contextmanager
def fresh_database(kind: str, workdir: Path | None = None) -> Iterator[str]:
    """The URL of a new database of ``kind`` at the schema's head, removed when the block ends."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="torekes-bench-", dir=workdir) as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _migrate(url)
            yield url
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}; choose from {KINDS}")
    server = postgres_server_url()
    name = f"torekes_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        try:
            _migrate(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _migrate(url: str) -> None:
    database = Database(url)
    try:
        upgrade_to_head(database.write_engine)
    finally:
        database.dispose()
