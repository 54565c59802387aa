"""Queries behind the reports: an account's postings over a period, paid claims of a project,
redemptions of a shop, and the moments that place them on the calendar.

Every figure is read from the journal (a transaction's ``created_at`` places it in a month) or
from the rows the journal's use cases keep beside it (claims, redemptions), joined to their
transactions so that both agree on when something happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from torekes.db.models import Account, Activity, Claim, Posting, Redemption, Transaction
from torekes.domain.accounts import PAYEE_KINDS


@dataclass(frozen=True, slots=True)
class Movement:
    """One posting on an account, with what placed it in time and what kind of entry it was."""

    transaction_id: int
    seq: int
    created_at: datetime
    kind: str
    memo: str
    amount: int
    balance_after: int


@dataclass(frozen=True, slots=True)
class PaidClaim:
    member_id: int
    hours: Decimal | None
    amount: int
    paid_at: datetime


@dataclass(frozen=True, slots=True)
class RedemptionMoments:
    amount: int
    euro_cents: int | None
    requested_at: datetime
    paid_at: datetime | None
    rejected_at: datetime | None


def account_kinds(session: Session, currency_id: int) -> dict[int, str]:
    """The kind of each of the currency's accounts, under its id."""
    statement = select(Account.id, Account.kind).where(Account.currency_id == currency_id)
    return dict(session.execute(statement).all())


def created_at_of_seq(session: Session, currency_id: int, seq: int) -> datetime | None:
    """When the currency's transaction number ``seq`` was created, if there is one."""
    statement = select(Transaction.created_at).where(
        Transaction.currency_id == currency_id, Transaction.seq == seq
    )
    return session.scalar(statement)


def movements(
    session: Session, account_id: int, since: datetime | None, until: datetime | None
) -> list[Movement]:
    """The account's postings whose transactions fall in [since, until), oldest first."""
    statement = (
        select(
            Transaction.id,
            Posting.seq,
            Transaction.created_at,
            Transaction.kind,
            Transaction.memo,
            Posting.amount,
            Posting.balance_after,
        )
        .join(Transaction, Transaction.id == Posting.transaction_id)
        .where(Posting.account_id == account_id)
        .order_by(Posting.seq)
    )
    if since is not None:
        statement = statement.where(Transaction.created_at >= since)
    if until is not None:
        statement = statement.where(Transaction.created_at < until)
    return [Movement(*row) for row in session.execute(statement)]


def balance_before(session: Session, account_id: int, moment: datetime) -> int:
    """The account's balance just before ``moment``: its last running balance before then."""
    statement = (
        select(Posting.balance_after)
        .join(Transaction, Transaction.id == Posting.transaction_id)
        .where(Posting.account_id == account_id, Transaction.created_at < moment)
        .order_by(Posting.seq.desc())
        .limit(1)
    )
    return session.scalar(statement) or 0


def counterparties(
    session: Session, account_id: int, transaction_ids: list[int]
) -> dict[int, list[str]]:
    """For each transaction, the names of its other accounts, in posting order."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(transaction_ids), 500):
        chunk = transaction_ids[start : start + 500]
        statement = (
            select(Posting.transaction_id, Account.name)
            .join(Account, Account.id == Posting.account_id)
            .where(Posting.transaction_id.in_(chunk), Posting.account_id != account_id)
            .order_by(Posting.transaction_id, Posting.id)
        )
        for transaction_id, name in session.execute(statement):
            found.setdefault(transaction_id, []).append(name)
    return found


def paid_claims(
    session: Session, project_id: int, since: datetime, until: datetime
) -> list[PaidClaim]:
    """The project's paid claims whose reward transactions fall in [since, until)."""
    statement = (
        select(Claim.member_id, Claim.hours, Claim.amount, Transaction.created_at)
        .join(Activity, Activity.id == Claim.activity_id)
        .join(Transaction, Transaction.id == Claim.transaction_id)
        .where(
            Activity.project_id == project_id,
            Claim.status == "paid",
            Transaction.created_at >= since,
            Transaction.created_at < until,
        )
    )
    return [PaidClaim(*row) for row in session.execute(statement)]


def first_paid_claims(session: Session, project_id: int) -> dict[int, datetime]:
    """When each member's first claim in the project was paid."""
    statement = (
        select(Claim.member_id, func.min(Transaction.created_at))
        .join(Activity, Activity.id == Claim.activity_id)
        .join(Transaction, Transaction.id == Claim.transaction_id)
        .where(Activity.project_id == project_id, Claim.status == "paid")
        .group_by(Claim.member_id)
    )
    return dict(session.execute(statement).all())


def redemptions_of_account(session: Session, account_id: int) -> list[RedemptionMoments]:
    """Every redemption of the account, with when it was asked, paid (its transaction's moment)
    and rejected."""
    statement = (
        select(
            Redemption.amount,
            Redemption.euro_cents,
            Redemption.requested_at,
            Transaction.created_at,
            Redemption.rejected_at,
        )
        .outerjoin(Transaction, Transaction.id == Redemption.transaction_id)
        .where(Redemption.account_id == account_id)
    )
    return [RedemptionMoments(*row) for row in session.execute(statement)]


def redemptions_at(session: Session, currency_id: int) -> list[tuple[Redemption, int | None]]:
    """Every redemption of the currency with the sequence number of its payment, if paid."""
    statement = (
        select(Redemption, Transaction.seq)
        .outerjoin(Transaction, Transaction.id == Redemption.transaction_id)
        .where(Redemption.currency_id == currency_id)
    )
    return [(row, seq) for row, seq in session.execute(statement)]


def payee_accounts(
    session: Session, currency_id: int | None, owner_id: int | None, account_id: int | None
) -> list[Account]:
    """Shop and partner accounts in id order, narrowed by currency, owner and id."""
    statement = select(Account).where(Account.kind.in_(PAYEE_KINDS)).order_by(Account.id)
    if currency_id is not None:
        statement = statement.where(Account.currency_id == currency_id)
    if owner_id is not None:
        statement = statement.where(Account.owner_id == owner_id)
    if account_id is not None:
        statement = statement.where(Account.id == account_id)
    return list(session.scalars(statement))


@dataclass(frozen=True, slots=True)
class PendingClaimRow:
    claim_id: int
    account_id: int
    activity_title: str
    hours: Decimal | None
    amount: int
    created_at: datetime


def pending_claims_of(session: Session, member_id: int) -> list[PendingClaimRow]:
    """A member's claims waiting for a coordinator, newest first, with their activity's title."""
    statement = (
        select(Claim.id, Claim.account_id, Activity.title, Claim.hours, Claim.amount)
        .add_columns(Claim.created_at)
        .join(Activity, Activity.id == Claim.activity_id)
        .where(Claim.member_id == member_id, Claim.status == "pending")
        .order_by(Claim.id.desc())
    )
    return [PendingClaimRow(*row) for row in session.execute(statement)]
