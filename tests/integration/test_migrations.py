"""The models and the migrations describe the same schema, and the migrations run both ways."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from tests.support import Ledger
from torekes.approvals import four_eyes
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade_to_head,
)
from torekes.db.models import Base
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.hashing import GENESIS_HASH
from torekes.kit.unit_of_work import write
from torekes.settings import Settings
from torekes.spending import cards


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
    assert verification.verify(db).ok


def test_upgrading_a_database_with_rows_keeps_them_and_their_rules(db: Database) -> None:
    """Revision 0005 rebuilds ``accounts`` (on SQLite the only way to change its CHECK), while
    holds and other tables point at it: the rows, the floor and the partial index survive."""
    config = alembic_config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with db.write_engine.begin() as connection:
        for statement in (
            "INSERT INTO users (id, username, display_name, role, password_hash, is_active, "
            "created_at) VALUES (1, 'ada', 'Ada', 'member', 'x', true, '2026-01-01 00:00:00')",
            "INSERT INTO currencies (id, code, name, decimals, euro_rate, last_seq, last_hash, "
            f"created_at) VALUES (1, 'TRK', 'Torekes', 0, 0.1, 0, '{GENESIS_HASH}', "
            "'2026-01-01 00:00:00')",
            "INSERT INTO accounts (id, currency_id, kind, name, owner_id, status, balance, held, "
            "created_at) VALUES (1, 1, 'issuance', 'i', NULL, 'active', 0, 0, '2026-01-01'), "
            "(2, 1, 'member', 'a', 1, 'active', 0, 0, '2026-01-01'), "
            "(3, 1, 'member', 'b', 1, 'active', 0, 0, '2026-01-01')",
            "INSERT INTO holds (id, account_id, amount, status, created_at) "
            "VALUES (1, 2, 5, 'released', '2026-01-01')",
        ):
            connection.execute(text(statement))

    upgrade_to_head(db.write_engine)

    assert current_revision(db.write_engine) == head_revision()
    assert _drift(db) == []
    with db.read_engine.connect() as connection:
        accounts = connection.execute(text("SELECT id, kind FROM accounts ORDER BY id")).all()
        rates = connection.execute(text("SELECT currency_id, rate FROM currency_rates")).all()
    assert [tuple(row) for row in accounts] == [(1, "issuance"), (2, "member"), (3, "member")]
    assert [(row[0], float(row[1])) for row in rates] == [(1, 0.1)]
    with pytest.raises(DBAPIError, match="floor"), db.write_engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET balance = -1 WHERE id = 2"))
    # A second issuance account in the currency: the partial unique index survived the rebuild.
    with (
        pytest.raises(DBAPIError, match=r"uq_accounts_system_kind|UNIQUE"),
        db.write_engine.begin() as connection,
    ):
        connection.execute(
            text(
                "INSERT INTO accounts (id, currency_id, kind, name, status, balance, held, "
                "created_at, redeemable) "
                "VALUES (5, 1, 'issuance', 'again', 'active', 0, 0, '2026-01-01', false)"
            )
        )
    with db.write_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts (id, currency_id, kind, name, owner_id, status, balance, "
                "held, created_at, redeemable) "
                "VALUES (4, 1, 'partner', 'Tram', 1, 'active', 0, 0, '2026-01-01', true)"
            )
        )
    assert verification.verify(db).ok


def test_card_numbers_are_sealed_on_upgrade_and_opened_on_downgrade(
    db: Database, ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revision 0010 replaces the readable card number by a keyed digest and a sealed copy, with
    the card key of the settings it runs with; a card issued before still pays by its number."""
    monkeypatch.setenv("TOREKES_SECRET_KEY", settings.secret_key)
    monkeypatch.delenv("TOREKES_PIN_PEPPER", raising=False)
    member = ledger.user(Role.MEMBER)
    card = write(
        db, ledger.admin.principal, lambda ctx: cards.issue_card(ctx, settings, member.id, "2580")
    )
    digits = card.number.replace(" ", "")
    config = alembic_config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    with db.read_engine.connect() as connection:
        numbers = connection.execute(text("SELECT number FROM member_cards")).scalars().all()
    assert numbers == [digits]

    upgrade_to_head(db.write_engine)

    assert _drift(db) == []
    with db.read_engine.connect() as connection:
        stored = connection.execute(text("SELECT * FROM member_cards")).one()
    assert all(digits not in str(value) for value in stored)
    with db.read_session() as session:
        found = cards.find_card(session, settings, card.number)
        assert found.id == card.id
        assert cards.card_view(session, settings, found).number == card.number


def test_revision_0011_goes_back_with_requests_of_every_new_kind_filed(
    db: Database, ledger: Ledger
) -> None:
    """Going back past 0011 drops the requests of the kinds it brought, a rate's included, so
    the older constraints hold again."""
    ledger.currency()
    ledger.user(Role.ADMIN, "second-admin")
    filed = write(
        db,
        ledger.admin.principal,
        lambda ctx: four_eyes.set_euro_rate(ctx, "TRK", Decimal("2"), Decimal(10)),
    )
    assert filed.kind == "euro_rate"  # type: ignore[union-attr]
    config = alembic_config()
    with db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    with db.read_engine.connect() as connection:
        kinds = connection.execute(text("SELECT kind FROM approval_requests")).scalars().all()
    assert kinds == []
    upgrade_to_head(db.write_engine)
    assert _drift(db) == []
