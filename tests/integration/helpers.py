"""Raw-SQL views of the ledger for the integration tests, independent of the services' own reads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from torekes.db.engine import Database
from torekes.domain import errors
from torekes.kit.unit_of_work import KeyedRequest


@dataclass(frozen=True)
class AccountRow:
    id: int
    kind: str
    status: str
    balance: int
    held: int
    posted: int  # the sum of the account's postings, recomputed in SQL


def account_rows(db: Database, currency_id: int) -> dict[int, AccountRow]:
    """Every account of the currency with its materialised balance and its postings' sum."""
    query = text(
        "SELECT a.id, a.kind, a.status, a.balance, a.held, "
        "(SELECT COALESCE(SUM(p.amount), 0) FROM postings p WHERE p.account_id = a.id) "
        "FROM accounts a WHERE a.currency_id = :currency ORDER BY a.id"
    )
    with db.read_engine.connect() as connection:
        rows = connection.execute(query, {"currency": currency_id}).all()
    return {
        int(row[0]): AccountRow(
            int(row[0]), str(row[1]), str(row[2]), int(row[3]), int(row[4]), int(row[5])
        )
        for row in rows
    }


def sequence_numbers(db: Database, currency_id: int) -> list[int]:
    query = text("SELECT seq FROM transactions WHERE currency_id = :currency ORDER BY seq")
    with db.read_engine.connect() as connection:
        return [int(seq) for seq in connection.execute(query, {"currency": currency_id}).scalars()]


def count_rows(db: Database, table: str) -> int:
    assert table in {"transactions", "postings", "idempotency_records", "accounts"}
    with db.read_engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def journal_fingerprint(db: Database) -> list[tuple[object, ...]]:
    """Every journal row, to show that a refused write changed nothing."""
    with db.read_engine.connect() as connection:
        transactions = connection.execute(
            text("SELECT id, seq, kind, memo, hash FROM transactions ORDER BY id")
        ).all()
        postings = connection.execute(
            text(
                "SELECT id, transaction_id, account_id, amount, balance_after FROM postings "
                "ORDER BY id"
            )
        ).all()
        accounts = connection.execute(
            text("SELECT id, status, balance, held FROM accounts ORDER BY id")
        ).all()
        heads = connection.execute(
            text("SELECT id, last_seq, last_hash FROM currencies ORDER BY id")
        ).all()
    return [tuple(row) for row in [*transactions, *postings, *accounts, *heads]]


def assert_ledger_consistent(db: Database, currency_id: int) -> dict[int, AccountRow]:
    """The invariants that hold in any currency at any time, checked with plain SQL."""
    rows = account_rows(db, currency_id)
    assert sum(row.posted for row in rows.values()) == 0
    for row in rows.values():
        assert row.balance == row.posted, row
        if row.kind != "issuance":
            assert row.balance - row.held >= 0, row
    issued = -sum(row.balance for row in rows.values() if row.kind == "issuance")
    redeemed = sum(row.balance for row in rows.values() if row.kind == "redemption")
    circulating = sum(
        row.balance for row in rows.values() if row.kind not in ("issuance", "redemption")
    )
    assert issued == circulating + redeemed
    seqs = sequence_numbers(db, currency_id)
    assert seqs == list(range(1, len(seqs) + 1))
    return rows


def keyed(key: str, fingerprint: str) -> KeyedRequest:
    """An ``Idempotency-Key`` as the unit of work takes it, a refusal stored as 409 and its
    code."""
    return KeyedRequest(key, fingerprint, "test-secret-key", _refusal)


def _refusal(error: errors.TorekesError) -> tuple[int, dict[str, str]]:
    return 409, {"code": error.code}
