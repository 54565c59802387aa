"""Tampering that bypasses the append-only triggers is found by the audit, which names the
transaction and the account concerned, and ``torekes verify`` exits non-zero on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from tests.support import Ledger
from torekes.audit import verification
from torekes.cli import app
from torekes.db.engine import Database
from torekes.domain.accounts import AccountKind
from torekes.ledger.read_models import AccountView, CurrencyView, TransactionView


@dataclass(frozen=True)
class Book:
    budget: AccountView
    member: AccountView
    shop: AccountView
    funding: TransactionView  # budget -> member 300
    first_purchase: TransactionView  # member -> shop 100
    second_purchase: TransactionView  # member -> shop 50


@pytest.fixture
def book(ledger: Ledger, trk: CurrencyView) -> Book:
    budget = ledger.budget(1000)
    member = ledger.account(AccountKind.MEMBER)
    shop = ledger.account(AccountKind.SHOP)
    funding = ledger.transfer(budget.id, member.id, 300)
    first = ledger.transfer(member.id, shop.id, 100)
    second = ledger.transfer(member.id, shop.id, 50)
    return Book(budget, member, shop, funding, first, second)


def tamper(db: Database, table: str, statement: str, params: dict[str, Any]) -> None:
    """Run ``statement`` with the triggers on ``table`` out of the way, then restore them."""
    with db.write_engine.begin() as connection:
        if db.is_sqlite:
            _tamper_sqlite(connection, table, statement, params)
        else:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            connection.execute(text(statement), params)
            connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    # The guard is back: the same change through the front door is refused again.
    with pytest.raises(DBAPIError), db.write_engine.begin() as connection:
        connection.execute(text(statement), params)


def _tamper_sqlite(
    connection: Connection, table: str, statement: str, params: dict[str, Any]
) -> None:
    trigger = f"{table}_no_update"
    definition = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": trigger},
    ).scalar_one()
    connection.execute(text(f"DROP TRIGGER {trigger}"))
    connection.execute(text(statement), params)
    connection.execute(text(str(definition)))


def _posting_id(db: Database, transaction_id: int, account_id: int) -> int:
    with db.read_engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT id FROM postings WHERE transaction_id = :t AND account_id = :a"),
                {"t": transaction_id, "a": account_id},
            ).scalar_one()
        )


def test_an_intact_ledger_verifies(db: Database, book: Book) -> None:
    report = verification.verify(db)
    assert report.ok
    assert report.problems == []
    assert report.transactions_checked == 4


def test_an_altered_amount_is_found_and_named(db: Database, book: Book) -> None:
    posting = _posting_id(db, book.first_purchase.id, book.member.id)
    tamper(db, "postings", "UPDATE postings SET amount = -110 WHERE id = :id", {"id": posting})

    report = verification.verify(db)

    assert not report.ok
    first = report.first_break
    assert first is not None
    assert first.transaction_id == book.first_purchase.id
    assert first.seq == book.first_purchase.seq
    checks = {(problem.check, problem.account_id) for problem in report.problems}
    assert ("balance", book.member.id) in checks
    assert any(
        problem.check == "hash" and problem.transaction_id == book.first_purchase.id
        for problem in report.problems
    )
    # Nothing before the altered entry is blamed, and no other account is.
    named = {p.transaction_id for p in report.problems if p.transaction_id is not None}
    assert named <= {book.first_purchase.id, book.second_purchase.id}
    accounts = {p.account_id for p in report.problems if p.account_id is not None}
    assert accounts == {book.member.id}


def test_a_balanced_alteration_is_still_found(db: Database, book: Book) -> None:
    """Moving 10 from one side of an entry to the other keeps it balanced; the hash still breaks."""
    for account_id, amount in ((book.member.id, -90), (book.shop.id, 90)):
        posting = _posting_id(db, book.first_purchase.id, account_id)
        tamper(
            db,
            "postings",
            "UPDATE postings SET amount = :amount WHERE id = :id",
            {"id": posting, "amount": amount},
        )

    report = verification.verify(db)

    assert not report.ok
    assert report.first_break is not None
    assert report.first_break.transaction_id == book.first_purchase.id
    assert not any(problem.check == "balanced" for problem in report.problems)
    balance_breaks = {p.account_id for p in report.problems if p.check == "balance"}
    assert balance_breaks == {book.member.id, book.shop.id}


def test_an_altered_memo_breaks_the_hash(db: Database, book: Book) -> None:
    tamper(
        db,
        "transactions",
        "UPDATE transactions SET memo = 'a gift, honestly' WHERE id = :id",
        {"id": book.funding.id},
    )

    report = verification.verify(db)

    assert not report.ok
    assert report.first_break is not None
    assert report.first_break.check == "hash"
    assert report.first_break.transaction_id == book.funding.id
    assert {problem.transaction_id for problem in report.problems} == {book.funding.id}


def test_an_altered_materialised_balance_is_found(db: Database, book: Book) -> None:
    with db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE accounts SET balance = balance + 5 WHERE id = :id"), {"id": book.shop.id}
        )

    report = verification.verify(db)

    assert not report.ok
    assert report.first_break is not None
    assert report.first_break.account_id == book.shop.id
    assert {(p.check, p.account_id) for p in report.problems} >= {("balance", book.shop.id)}


def _cli_verify(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", *args], env={"TOREKES_DATABASE_URL": database_url})
    return result.exit_code, result.output


def test_cli_verify_exit_codes(db: Database, database_url: str, book: Book) -> None:
    code, output = _cli_verify(database_url)
    assert code == 0, output
    assert "Ledger intact." in output

    posting = _posting_id(db, book.second_purchase.id, book.shop.id)
    tamper(db, "postings", "UPDATE postings SET amount = 500 WHERE id = :id", {"id": posting})

    code, output = _cli_verify(database_url)
    assert code == 1, output
    assert "BROKEN" in output
    assert f"transaction {book.second_purchase.id}" in output
    code, output = _cli_verify(database_url, "--json")
    assert code == 1, output
