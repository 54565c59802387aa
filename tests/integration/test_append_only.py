"""The database itself keeps the journal append-only: raw UPDATE, DELETE (and TRUNCATE on
PostgreSQL) on ``transactions`` and ``postings`` are refused and leave every row as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.integration.helpers import count_rows, journal_fingerprint
from tests.support import Ledger
from torekes.audit import verification
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.accounts import AccountKind
from torekes.ledger.read_models import CurrencyView, TransactionView


@pytest.fixture
def payment(ledger: Ledger, trk: CurrencyView) -> TransactionView:
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)
    return ledger.transfer(budget.id, member.id, 40)


STATEMENTS = [
    "UPDATE transactions SET memo = 'rewritten' WHERE id = :id",
    "UPDATE transactions SET hash = prev_hash WHERE id = :id",
    "UPDATE transactions SET seq = seq + 100",
    "DELETE FROM transactions WHERE id = :id",
    "DELETE FROM transactions",
    "UPDATE postings SET amount = amount * 2 WHERE transaction_id = :id",
    "UPDATE postings SET balance_after = 0",
    "DELETE FROM postings WHERE transaction_id = :id",
    "DELETE FROM postings",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_raw_changes_to_the_journal_are_refused(
    db: Database, payment: TransactionView, statement: str
) -> None:
    before = journal_fingerprint(db)
    with pytest.raises(DBAPIError, match="append-only"), db.write_engine.begin() as connection:
        connection.execute(text(statement), {"id": payment.id})
    assert journal_fingerprint(db) == before
    assert verification.verify(db).ok


def _tables_referencing_the_journal() -> list[str]:
    """Every table with a foreign key into ``transactions``, found from the models, so that the
    TRUNCATE naming them all is refused by the trigger, not by a forgotten reference."""
    return sorted(
        table.name
        for table in m.Base.metadata.sorted_tables
        if any(key.column.table.name == "transactions" for key in table.foreign_keys)
        and table.name not in ("transactions", "postings")
    )


TRUNCATES = [
    "TRUNCATE postings",
    "TRUNCATE transactions CASCADE",
    "TRUNCATE " + ", ".join(["postings", "transactions", *_tables_referencing_the_journal()]),
    "TRUNCATE accounts CASCADE",
]


@pytest.mark.parametrize("statement", TRUNCATES)
def test_truncate_is_refused_on_postgresql(
    db: Database, payment: TransactionView, statement: str
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE")
    before = journal_fingerprint(db)
    with pytest.raises(DBAPIError, match="append-only"), db.write_engine.begin() as connection:
        connection.execute(text(statement))
    assert journal_fingerprint(db) == before
    assert verification.verify(db).ok


def test_an_orm_update_of_a_journal_row_is_refused(db: Database, payment: TransactionView) -> None:
    before = journal_fingerprint(db)
    with db.write_session() as session:
        transaction = session.get(m.Transaction, payment.id)
        assert transaction is not None
        transaction.memo = "quietly changed"
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()
    with db.write_session() as session:
        posting = session.scalars(select(m.Posting).filter_by(transaction_id=payment.id)).first()
        assert posting is not None
        session.delete(posting)
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()
    assert journal_fingerprint(db) == before


def test_the_ledger_keeps_appending_after_a_refused_change(
    db: Database, ledger: Ledger, payment: TransactionView
) -> None:
    with pytest.raises(DBAPIError), db.write_engine.begin() as connection:
        connection.execute(text("DELETE FROM postings"))
    budget = ledger.budget(10)
    member = ledger.account(AccountKind.MEMBER)
    later = ledger.transfer(budget.id, member.id, 10)
    assert later.seq == payment.seq + 2
    assert count_rows(db, "postings") == 8
    assert verification.verify(db).ok
