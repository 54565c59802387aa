"""The models and the migrations describe the same schema, and the migrations run both ways."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from tests.support import Ledger
from torekes.db.engine import Database
from torekes.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade_to_head,
)
from torekes.db.models import Base
from torekes.domain.accounts import AccountKind
from torekes.services import audit


def _drift(db: Database) -> list[Any]:
    with db.write_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        diff: list[Any] = compare_metadata(context, Base.metadata)
        connection.rollback()
    return diff


def _tables(db: Database) -> set[str]:
    with db.write_engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
        connection.rollback()
    return names


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    assert _drift(db) == []
    assert _tables(db) == {*Base.metadata.tables, "alembic_version"}
    assert is_up_to_date(db.write_engine)


def test_downgrade_to_base_and_upgrade_again(db: Database, ledger: Ledger) -> None:
    config = alembic_config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert _tables(db) <= {"alembic_version"}
    assert current_revision(db.write_engine) is None

    upgrade_to_head(db.write_engine)

    assert current_revision(db.write_engine) == head_revision()
    assert _drift(db) == []
    # The rebuilt schema works and its journal is append-only again.
    ledger.currency()
    budget = ledger.budget(50)
    payment = ledger.transfer(budget.id, ledger.account(AccountKind.MEMBER).id, 20)
    with pytest.raises(DBAPIError, match="append-only"), db.write_engine.begin() as connection:
        connection.execute(
            text("DELETE FROM postings WHERE transaction_id = :t"), {"t": payment.id}
        )
    assert audit.verify(db).ok
