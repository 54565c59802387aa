"""Fixtures shared by every layer's tests: a freshly migrated database per test, on SQLite by
default and on PostgreSQL when ``TOREKES_TEST_DATABASE_URL`` names a fresh database.

The schema is built once per run through the Alembic migrations into a template (a file for
SQLite, a template database for PostgreSQL) and each test gets its own copy, dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from tests.apps import app_for
from tests.support import Ledger
from torekes.db.engine import Database
from torekes.db.migrate import upgrade_to_head
from torekes.settings import Settings

POSTGRES_URL = os.environ.get("TOREKES_TEST_DATABASE_URL")
_copies = itertools.count(1)


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if POSTGRES_URL:
        database = Database(POSTGRES_URL)
        upgrade_to_head(database.write_engine)
        database.dispose()
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade_to_head(database.write_engine)
    database.dispose()  # the last connection to close checkpoints the WAL into the file
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(template_url: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database of this test's own."""
    if not POSTGRES_URL:
        copy = tmp_path / "torekes.db"
        shutil.copyfile(make_url(template_url).database or "", copy)
        yield f"sqlite:///{copy}"
        return
    template = make_url(template_url).database
    name = f"{template}_{os.getpid()}_{next(_copies)}"
    admin = create_engine(_admin_url(template_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(template_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """The tests' installation on ``database_url``, with a module's own ``overrides`` (a
    four-eyes threshold, say). It names no paying account (so no example one either) unless a
    test gives one."""
    values: dict[str, Any] = {"payout_name": "", **overrides}
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        login_max_failures=5,
        **values,
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app_for(settings)) as test_client:
        yield test_client


@pytest.fixture
def ledger(db: Database, settings: Settings) -> Ledger:
    """Builders for users with tokens, currencies, accounts and funds, through the services."""
    return Ledger(db, settings)
