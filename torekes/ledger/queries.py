"""Queries and inserts on the journal (transactions and postings) and the locks that guard it.

The only writes here are inserts of journal rows and the balance projection on locked accounts;
there is deliberately no function that updates or deletes a journal row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from torekes.db.locking import lock
from torekes.db.models import Account, Currency, Posting, Transaction


def lock_currency(session: Session, currency_id: int) -> Currency | None:
    """Lock the currency's chain head; every ledger write in the currency queues here."""
    return lock(session, Currency, currency_id)


def lock_currency_of_account(session: Session, account_id: int) -> Currency | None:
    """Lock the chain head of the account's currency, keeping the lock order: currency, accounts."""
    currency_id = session.scalar(select(Account.currency_id).where(Account.id == account_id))
    return None if currency_id is None else lock_currency(session, currency_id)


def lock_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the accounts in ascending id order (a fixed order, so two writers cannot deadlock)."""
    statement = (
        select(Account)
        .where(Account.id.in_(sorted(set(account_ids))))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {account.id: account for account in session.scalars(statement)}


def insert_entry(session: Session, transaction: Transaction, postings: Sequence[Posting]) -> None:
    session.add(transaction)
    session.flush()
    for posting in postings:
        posting.transaction_id = transaction.id
    session.add_all(postings)
    session.flush()


def get_transaction(session: Session, transaction_id: int) -> Transaction | None:
    return session.get(Transaction, transaction_id)


def postings_of(session: Session, transaction_ids: Sequence[int]) -> dict[int, list[Posting]]:
    found: dict[int, list[Posting]] = {transaction_id: [] for transaction_id in transaction_ids}
    if not transaction_ids:
        return found
    statement = (
        select(Posting)
        .where(Posting.transaction_id.in_(transaction_ids))
        .order_by(Posting.transaction_id, Posting.id)
    )
    for posting in session.scalars(statement):
        found[posting.transaction_id].append(posting)
    return found


def reversal_ids_of(session: Session, transaction_ids: Sequence[int]) -> dict[int, int]:
    """Map each given transaction id that has been reversed to the id of its reversal."""
    if not transaction_ids:
        return {}
    statement = select(Transaction.reverses_id, Transaction.id).where(
        Transaction.reverses_id.in_(transaction_ids)
    )
    rows = session.execute(statement).all()
    return {
        reversed_id: reversal_id for reversed_id, reversal_id in rows if reversed_id is not None
    }


def transaction_feed(
    session: Session, currency_id: int, after_seq: int, limit: int
) -> list[Transaction]:
    statement = (
        select(Transaction)
        .where(Transaction.currency_id == currency_id, Transaction.seq > after_seq)
        .order_by(Transaction.seq)
        .limit(limit)
    )
    return list(session.scalars(statement))


def statement_lines(
    session: Session, account_id: int, before_seq: int | None, limit: int
) -> list[tuple[Posting, Transaction]]:
    """An account's postings with their transactions, newest first."""
    statement = (
        select(Posting, Transaction)
        .join(Transaction, Transaction.id == Posting.transaction_id)
        .where(Posting.account_id == account_id)
        .order_by(Posting.seq.desc())
        .limit(limit)
    )
    if before_seq is not None:
        statement = statement.where(Posting.seq < before_seq)
    return [(posting, transaction) for posting, transaction in session.execute(statement)]


def balance_at_seq(session: Session, account_id: int, seq: int) -> int:
    """The account's balance after the currency's transaction number ``seq``."""
    statement = (
        select(Posting.balance_after)
        .where(Posting.account_id == account_id, Posting.seq <= seq)
        .order_by(Posting.seq.desc())
        .limit(1)
    )
    return session.scalar(statement) or 0


def last_seq_at(session: Session, currency_id: int, moment: datetime) -> int:
    """The sequence number of the currency's last transaction created at or before ``moment``."""
    statement = select(func.max(Transaction.seq)).where(
        Transaction.currency_id == currency_id, Transaction.created_at <= moment
    )
    return session.scalar(statement) or 0


def balances_at_seq(session: Session, currency_id: int, seq: int) -> dict[int, int]:
    """Every account's balance after the currency's transaction ``seq``, for the accounts with a
    posting by then: the running balance of each one's last posting at or before ``seq``, found
    through the (account, seq) index, so the cost grows with the accounts and not the journal.
    (The audit checks that each running balance is the sum of the postings up to it.)"""
    latest = (
        select(Posting.balance_after)
        .where(Posting.account_id == Account.id, Posting.seq <= seq)
        .order_by(Posting.seq.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )
    statement = select(Account.id, latest).where(Account.currency_id == currency_id)
    return {
        account_id: balance
        for account_id, balance in session.execute(statement)
        if balance is not None
    }


@dataclass(frozen=True, slots=True)
class AccountFilter:
    currency_id: int | None = None
    kind: str | None = None
    status: str | None = None
    owner_id: int | None = None


def currency_by_code(session: Session, code: str) -> Currency | None:
    return session.scalars(select(Currency).where(Currency.code == code)).one_or_none()


def list_currencies(session: Session) -> list[Currency]:
    return list(session.scalars(select(Currency).order_by(Currency.code)))


def currencies_by_id(session: Session) -> dict[int, Currency]:
    """Every currency under its id (to name the currency of rows that carry only its id)."""
    return {currency.id: currency for currency in session.scalars(select(Currency))}


def system_account(session: Session, currency_id: int, kind: str) -> Account | None:
    statement = select(Account).where(Account.currency_id == currency_id, Account.kind == kind)
    return session.scalars(statement).one_or_none()


def list_accounts(
    session: Session, where: AccountFilter, after_id: int | None, limit: int
) -> list[Account]:
    statement = select(Account).order_by(Account.id).limit(limit)
    if where.currency_id is not None:
        statement = statement.where(Account.currency_id == where.currency_id)
    if where.kind is not None:
        statement = statement.where(Account.kind == where.kind)
    if where.status is not None:
        statement = statement.where(Account.status == where.status)
    if where.owner_id is not None:
        statement = statement.where(Account.owner_id == where.owner_id)
    if after_id is not None:
        statement = statement.where(Account.id > after_id)
    return list(session.scalars(statement))


def account_ids_owned_by(session: Session, owner_id: int) -> list[int]:
    statement = select(Account.id).where(Account.owner_id == owner_id).order_by(Account.id)
    return list(session.scalars(statement))


def owners_of_accounts(session: Session, account_ids: Sequence[int]) -> set[int | None]:
    """The owners of these accounts (None for a system account)."""
    return set(session.scalars(select(Account.owner_id).where(Account.id.in_(account_ids))))


def member_accounts(session: Session, owner_id: int, currency_id: int) -> list[Account]:
    statement = (
        select(Account)
        .where(
            Account.owner_id == owner_id,
            Account.currency_id == currency_id,
            Account.kind == "member",
            Account.status != "closed",
        )
        .order_by(Account.id)
    )
    return list(session.scalars(statement))
