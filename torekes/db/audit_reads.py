"""The audit's reads: plain rows, streamed or gathered by currency in one query each.

A journal of a million transactions is read without building an ORM object per row, and the rows
outside the journal that the audit checks against it (accounts, holds, payments, refunds,
redemptions) are selected by their currency through a join rather than by a list of ids, which
the drivers cap at some tens of thousands of parameters.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, Text, cast, select
from sqlalchemy.orm import Session

from torekes.db.models import Account, Hold, Payment, Posting, Redemption, Refund, Transaction

# Rows fetched from the database at a time while streaming the journal.
STREAM_BATCH = 5000

_entries = Transaction.__table__.c
_lines = Posting.__table__.c

# Typed loosely: a row's columns are read by name.
AuditRow = Row[*tuple[Any, ...]]


class Entry(NamedTuple):
    """A transaction as the models read it."""

    id: int
    seq: int
    kind: str
    memo: str
    meta: dict[str, Any]
    actor_id: int | None
    created_at: datetime
    idempotency_key: str | None
    reverses_id: int | None
    prev_hash: str
    hash: str


def journal(
    session: Session, currency_id: int
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Each transaction of the currency in sequence order, with its postings in id order, as
    plain tuples: a transaction has the fields of an ``Entry`` but its ``meta`` as JSON text and
    its ``created_at`` as the driver hands it over (SQLite: text), which ``entry`` converts; a
    posting is (``transaction_id``, ``account_id``, ``amount``, ``seq``, ``balance_after``).

    Only the hash needs the converted fields, and converting them costs more than reading all the
    rest. Two streams in the same order are walked side by side, so that a transaction's columns
    are read once rather than once per posting as a join would repeat them.
    """
    entries = (
        select(
            _entries.id,
            _entries.seq,
            _entries.kind,
            _entries.memo,
            # Text on both databases: PostgreSQL's driver would parse the JSON otherwise.
            cast(_entries["metadata"], Text),
            _entries.actor_id,
            _entries.created_at,
            _entries.idempotency_key,
            _entries.reverses_id,
            _entries.prev_hash,
            _entries.hash,
        )
        .where(_entries.currency_id == currency_id)
        .order_by(_entries.seq)
    )
    lines = (
        select(
            _lines.transaction_id,
            _lines.account_id,
            _lines.amount,
            _lines.seq,
            _lines.balance_after,
        )
        .join(Transaction.__table__, _entries.id == _lines.transaction_id)
        .where(_entries.currency_id == currency_id)
        .order_by(_entries.seq, _lines.id)
    )
    postings = _driver_batches(session, lines, "audit_postings")
    fetched: Sequence[tuple[Any, ...]] = ()
    at = 0
    for batch in _driver_batches(session, entries, "audit_transactions"):
        for entry in batch:
            own: list[tuple[Any, ...]] = []
            while True:
                if at == len(fetched):
                    fetched, at = next(postings, ()), 0
                    if not fetched:
                        break
                if fetched[at][0] != entry[0]:
                    break
                own.append(fetched[at])
                at += 1
            yield entry, own


def _driver_batches(
    session: Session, statement: Select[*tuple[Any, ...]], name: str
) -> Iterator[list[tuple[Any, ...]]]:
    """The statement's rows in batches of the driver's own tuples, within the session's
    transaction. Wrapping each row as SQLAlchemy does adds half again to the cost of reading
    it. On PostgreSQL the cursor is a named (server-side) one, so the rows stream."""
    connection = session.connection()
    # The only parameters are ids, which render safely as literals.
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = (
        driver.cursor(name=name) if connection.dialect.name == "postgresql" else driver.cursor()
    )
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(STREAM_BATCH):
            yield batch
    finally:
        cursor.close()


def entry(row: Sequence[Any]) -> Entry:
    """The transaction of a tuple ``journal`` yields, with its metadata parsed as ``JSON`` parses
    it and its moment read as ``UTCDateTime`` reads it (SQLite keeps UTC as text without a zone;
    PostgreSQL's driver hands over a moment)."""
    id_, seq, kind, memo, meta, actor_id, moment, key, reverses_id, prev_hash, digest = row
    moment = (
        datetime.fromisoformat(moment).replace(tzinfo=UTC)
        if isinstance(moment, str)
        else moment.astimezone(UTC)
    )
    return Entry(
        id_,
        seq,
        kind,
        memo,
        json.loads(meta),
        actor_id,
        moment,
        key,
        reverses_id,
        prev_hash,
        digest,
    )


def accounts_of(session: Session, currency_id: int) -> list[AuditRow]:
    """The currency's accounts by id: ``id``, ``kind``, ``balance``, ``held``."""
    statement = (
        select(Account.id, Account.kind, Account.balance, Account.held)
        .where(Account.currency_id == currency_id)
        .order_by(Account.id)
    )
    return list(session.execute(statement))


def pending_holds(session: Session, currency_id: int) -> dict[int, int]:
    """What the pending holds add up to on each account of the currency that has any."""
    statement = (
        select(Hold.account_id, Hold.amount)
        .join(Account, Account.id == Hold.account_id)
        .where(Account.currency_id == currency_id, Hold.status == "pending")
    )
    totals: dict[int, int] = {}
    for account_id, amount in session.execute(statement):
        totals[account_id] = totals.get(account_id, 0) + amount
    return totals


def payments_into(
    session: Session, currency_id: int, payee_kinds: Collection[str]
) -> list[AuditRow]:
    """Payments into the currency's accounts of ``payee_kinds``, by id: ``id``,
    ``transaction_id``, ``shop_account_id``, ``payer_account_id``, ``amount``,
    ``refunded_amount``."""
    statement = (
        select(
            Payment.id,
            Payment.transaction_id,
            Payment.shop_account_id,
            Payment.payer_account_id,
            Payment.amount,
            Payment.refunded_amount,
        )
        .join(Account, Account.id == Payment.shop_account_id)
        .where(Account.currency_id == currency_id, Account.kind.in_(payee_kinds))
        .order_by(Payment.id)
    )
    return list(session.execute(statement))


def refunds_by_payment(
    session: Session, currency_id: int, payee_kinds: Collection[str]
) -> dict[int, list[AuditRow]]:
    """The refunds of the payments ``payments_into`` finds, by id, under their payment's id:
    ``payment_id``, ``transaction_id``, ``amount``."""
    statement = (
        select(Refund.payment_id, Refund.transaction_id, Refund.amount)
        .join(Payment, Payment.id == Refund.payment_id)
        .join(Account, Account.id == Payment.shop_account_id)
        .where(Account.currency_id == currency_id, Account.kind.in_(payee_kinds))
        .order_by(Refund.id)
    )
    refunds: dict[int, list[AuditRow]] = {}
    for refund in session.execute(statement):
        refunds.setdefault(refund.payment_id, []).append(refund)
    return refunds


def redemptions_with_holds(session: Session, currency_id: int) -> list[AuditRow]:
    """The currency's redemptions by id with their holds: ``id``, ``account_id``, ``amount``,
    ``status``, ``transaction_id``, ``hold_amount`` and ``hold_status`` (both None without a
    hold)."""
    statement = (
        select(
            Redemption.id,
            Redemption.account_id,
            Redemption.amount,
            Redemption.status,
            Redemption.transaction_id,
            Hold.amount.label("hold_amount"),
            Hold.status.label("hold_status"),
        )
        .outerjoin(Hold, Hold.id == Redemption.hold_id)
        .where(Redemption.currency_id == currency_id)
        .order_by(Redemption.id)
    )
    return list(session.execute(statement))
