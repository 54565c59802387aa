"""The audit's reads: plain rows, streamed or gathered by currency in one query each.

A journal of a million transactions is read without building an ORM object per row, and the rows
outside the journal that the audit checks against it (accounts, holds, payments, refunds,
redemptions) are selected by their currency through a join rather than by a list of ids, which
the drivers cap at some tens of thousands of parameters.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, Text, cast, func, select, text
from sqlalchemy.orm import Session

from torekes.db.models import (
    Account,
    AuditEvent,
    Currency,
    Hold,
    Payment,
    Posting,
    Redemption,
    Refund,
    Transaction,
)
from torekes.domain.hashing import stored_transaction_hash

# Rows fetched from the database at a time while streaming the journal.
STREAM_BATCH = 5000

_entries = Transaction.__table__.c
_lines = Posting.__table__.c

_SNAPSHOT_NAME = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")

# Typed loosely: a row's columns are read by name.
AuditRow = Row[*tuple[Any, ...]]


def journal(
    session: Session,
    currency_id: int,
    up_to_seq: int | None = None,
    *,
    after_seq: int | None = None,
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Each transaction of the currency in sequence order (after ``after_seq`` and up to
    ``up_to_seq``, where given), with its postings in id order, as plain tuples. A transaction
    is (``id``, ``seq``, ``kind``, ``memo``, ``metadata``, ``actor_id``, ``created_at``,
    ``idempotency_key``, ``reverses_id``, ``prev_hash``, ``hash``) with its metadata as JSON
    text and its moment as the driver hands it over (SQLite: UTC as text without a zone), as
    ``hashing.stored_transaction_hash`` takes them; a posting is (``transaction_id``,
    ``account_id``, ``amount``, ``seq``, ``balance_after``).

    Only the hash needs the metadata and the moment, and converting them to objects costs more
    than reading all the rest. Two streams in the same order are walked side by side, so that a
    transaction's columns are read once rather than once per posting as a join would repeat them.
    """
    within = [_entries.currency_id == currency_id]
    if up_to_seq is not None:
        within.append(_entries.seq <= up_to_seq)
    if after_seq is not None:
        within.append(_entries.seq > after_seq)
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
        .where(*within)
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
        .where(*within)
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


def currencies_in_order(session: Session) -> list[Currency]:
    """Every currency, in id order: the order the audit walks them in."""
    return list(session.scalars(select(Currency).order_by(Currency.id)).all())


def currency_named(session: Session, code: str) -> AuditRow | None:
    """The ``id`` and ``code`` of the currency with this code, or None."""
    statement = select(Currency.id, Currency.code).where(Currency.code == code)
    return session.execute(statement).first()


def last_seq_in_journal(session: Session, currency_id: int) -> int:
    """The highest sequence number among the currency's transactions (0 for none), whatever
    the chain head says."""
    statement = select(func.max(_entries.seq)).where(_entries.currency_id == currency_id)
    return session.scalar(statement) or 0


def export_snapshot(session: Session) -> str | None:
    """On PostgreSQL, a name under which other sessions can read in this session's snapshot
    for as long as its transaction lasts; on SQLite, None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return str(session.scalar(text("SELECT pg_export_snapshot()")))


def adopt_snapshot(session: Session, snapshot: str) -> None:
    """Read in the snapshot ``export_snapshot`` named; the first statement of a REPEATABLE READ
    transaction."""
    if not _SNAPSHOT_NAME.fullmatch(snapshot):
        raise ValueError(f"not a snapshot name: {snapshot!r}")
    # A utility statement takes no parameters; the name was checked above.
    session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))


def entry_hash(
    currency_code: str, entry: Sequence[Any], pairs: Iterable[tuple[int, int]], prev_hash: str
) -> str:
    """The hash of a transaction as ``journal`` yields it, with its postings' (``account_id``,
    ``amount``) pairs, chained to ``prev_hash``."""
    _, seq, kind, memo, meta, actor_id, moment, key, reverses_id, _, _ = entry
    return stored_transaction_hash(
        currency_code, seq, kind, memo, meta, actor_id, moment, key, reverses_id, pairs, prev_hash
    )


def _driver_batches(
    session: Session, statement: Select[*tuple[Any, ...]], name: str
) -> Iterator[list[tuple[Any, ...]]]:
    """The statement's rows in batches of the driver's own tuples, within the session's
    transaction. Wrapping each row as SQLAlchemy does adds half again to the cost of reading
    it. On PostgreSQL the cursor is a named (server-side) one, so the rows stream."""
    connection = session.connection()
    # The only parameters are ids and sequence numbers, integers that render safely as literals.
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


def accounts_of(session: Session, currency_id: int) -> list[AuditRow]:
    """The currency's accounts by id: ``id``, ``kind``, ``balance``, ``held``."""
    statement = (
        select(Account.id, Account.kind, Account.balance, Account.held)
        .where(Account.currency_id == currency_id)
        .order_by(Account.id)
    )
    return list(session.execute(statement))


def account_balances(session: Session, currency_id: int) -> list[AuditRow]:
    """The currency's accounts by id with their materialised balances: ``id``, ``kind``,
    ``name``, ``balance``."""
    statement = (
        select(Account.id, Account.kind, Account.name, Account.balance)
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


@dataclass(frozen=True, slots=True)
class EventFilter:
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, where: EventFilter, before_id: int | None, limit: int
) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if where.action is not None:
        statement = statement.where(AuditEvent.action == where.action)
    if where.subject_type is not None:
        statement = statement.where(AuditEvent.subject_type == where.subject_type)
    if where.subject_id is not None:
        statement = statement.where(AuditEvent.subject_id == where.subject_id)
    if where.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == where.actor_id)
    if where.since is not None:
        statement = statement.where(AuditEvent.occurred_at >= where.since)
    if where.until is not None:
        statement = statement.where(AuditEvent.occurred_at < where.until)
    if before_id is not None:
        statement = statement.where(AuditEvent.id < before_id)
    return list(session.scalars(statement))
