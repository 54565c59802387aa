"""Queries for payment requests, member cards, PIN attempts, payments and refunds (rows are locked
with ``torekes.db.locking.lock``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from torekes.db.locking import locked
from torekes.db.models import (
    Account,
    MemberCard,
    Payment,
    PaymentRequest,
    PinAttempt,
    Refund,
    Transaction,
)


def request_by_digest(
    session: Session, digest: str, *, for_update: bool = False
) -> PaymentRequest | None:
    """The request whose code has this digest; with ``for_update``, read under a row lock."""
    statement = select(PaymentRequest).where(PaymentRequest.code_hash == digest)
    return session.scalars(locked(statement) if for_update else statement).one_or_none()


def open_standing_request(session: Session, shop_account_id: int) -> PaymentRequest | None:
    """The shop's newest standing QR that is still open (a standing QR does not expire)."""
    statement = (
        select(PaymentRequest)
        .where(
            PaymentRequest.shop_account_id == shop_account_id,
            PaymentRequest.kind == "standing",
            PaymentRequest.status == "open",
        )
        .order_by(PaymentRequest.id.desc())
        .limit(1)
    )
    return session.scalars(statement).one_or_none()


def list_requests(
    session: Session,
    shop_account_ids: Sequence[int] | None,
    status: str | None,
    now: datetime,
    before_id: int | None,
    limit: int,
) -> list[PaymentRequest]:
    """Payment requests, newest first; ``status`` is the status at ``now`` (an open request
    whose expiry has passed is ``expired``)."""
    statement = select(PaymentRequest).order_by(PaymentRequest.id.desc()).limit(limit)
    if shop_account_ids is not None:
        statement = statement.where(PaymentRequest.shop_account_id.in_(shop_account_ids))
    if status == "open":
        statement = statement.where(
            PaymentRequest.status == "open",
            or_(PaymentRequest.expires_at.is_(None), PaymentRequest.expires_at > now),
        )
    elif status == "expired":
        statement = statement.where(
            PaymentRequest.status == "open", PaymentRequest.expires_at <= now
        )
    elif status is not None:
        statement = statement.where(PaymentRequest.status == status)
    if before_id is not None:
        statement = statement.where(PaymentRequest.id < before_id)
    return list(session.scalars(statement))


def card_by_digest(session: Session, digest: str) -> MemberCard | None:
    return session.scalars(select(MemberCard).where(MemberCard.code_hash == digest)).one_or_none()


def card_by_number(session: Session, number_digest: str) -> MemberCard | None:
    statement = select(MemberCard).where(MemberCard.number_digest == number_digest)
    return session.scalars(statement).one_or_none()


def active_card_of(session: Session, member_id: int) -> MemberCard | None:
    statement = select(MemberCard).where(
        MemberCard.member_id == member_id, MemberCard.status == "active"
    )
    return session.scalars(statement).one_or_none()


def list_cards(
    session: Session, member_id: int | None, status: str | None, before_id: int | None, limit: int
) -> list[MemberCard]:
    statement = select(MemberCard).order_by(MemberCard.id.desc()).limit(limit)
    if member_id is not None:
        statement = statement.where(MemberCard.member_id == member_id)
    if status is not None:
        statement = statement.where(MemberCard.status == status)
    if before_id is not None:
        statement = statement.where(MemberCard.id < before_id)
    return list(session.scalars(statement))


def pin_failures_since(
    session: Session, since: datetime, shop_account_id: int | None, actor_id: int
) -> tuple[int, datetime | None]:
    """PIN attempts since ``since`` that were not proven right, and the oldest of them: at this
    shop, or (no shop) those of this actor made away from a till."""
    if shop_account_id is not None:
        whose = PinAttempt.shop_account_id == shop_account_id
    else:
        whose = (PinAttempt.actor_id == actor_id) & PinAttempt.shop_account_id.is_(None)
    statement = select(func.count(), func.min(PinAttempt.attempted_at)).where(
        whose, PinAttempt.attempted_at >= since, PinAttempt.outcome != "right"
    )
    count, oldest = session.execute(statement).one()
    return int(count or 0), oldest


def pin_attempts_in_flight(session: Session, card_id: int, since: datetime) -> int:
    """The card's PIN attempts begun since ``since`` whose PIN is still being checked."""
    statement = select(func.count()).where(
        PinAttempt.card_id == card_id,
        PinAttempt.outcome == "pending",
        PinAttempt.attempted_at >= since,
    )
    return int(session.scalar(statement) or 0)


def payment_by_transaction(session: Session, transaction_id: int) -> Payment | None:
    return session.scalars(
        select(Payment).where(Payment.transaction_id == transaction_id)
    ).one_or_none()


def refund_by_transaction(session: Session, transaction_id: int) -> Refund | None:
    return session.scalars(
        select(Refund).where(Refund.transaction_id == transaction_id)
    ).one_or_none()


def payments_into(session: Session, shop_account_ids: Sequence[int]) -> list[Payment]:
    statement = select(Payment).where(Payment.shop_account_id.in_(shop_account_ids))
    return list(session.scalars(statement.order_by(Payment.id)))


def refunds_of_payments(session: Session, payment_ids: Sequence[int]) -> dict[int, list[Refund]]:
    refunds: dict[int, list[Refund]] = {}
    statement = select(Refund).where(Refund.payment_id.in_(payment_ids)).order_by(Refund.id)
    for refund in session.scalars(statement):
        refunds.setdefault(refund.payment_id, []).append(refund)
    return refunds


def refunds_of(session: Session, payment_id: int) -> list[Refund]:
    statement = select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.id)
    return list(session.scalars(statement))


def net_spent_since(session: Session, member_id: int, currency_id: int, since: datetime) -> int:
    """What the member paid from their member accounts in the currency since ``since``: payments
    less their refunds, leaving out payments that were reversed."""
    reversed_payment = exists().where(Transaction.reverses_id == Payment.transaction_id)
    statement = (
        select(func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0))
        .join(Account, Account.id == Payment.payer_account_id)
        .where(
            Account.owner_id == member_id,
            Account.currency_id == currency_id,
            Account.kind == "member",
            Payment.created_at >= since,
            ~reversed_payment,
        )
    )
    return int(session.scalar(statement) or 0)


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    shop_account_ids: Sequence[int] | None = None
    payer_account_ids: Sequence[int] | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(statement: Select[Any], where: PaymentFilter) -> Select[Any]:
    if where.shop_account_ids is not None:
        statement = statement.where(Payment.shop_account_id.in_(where.shop_account_ids))
    if where.payer_account_ids is not None:
        statement = statement.where(Payment.payer_account_id.in_(where.payer_account_ids))
    if where.channel is not None:
        statement = statement.where(Payment.channel == where.channel)
    if where.since is not None:
        statement = statement.where(Payment.created_at >= where.since)
    if where.until is not None:
        statement = statement.where(Payment.created_at < where.until)
    return statement


def list_payments(
    session: Session, where: PaymentFilter, before_id: int | None, limit: int
) -> list[Payment]:
    """Payments, newest first."""
    statement = _filtered(select(Payment), where).order_by(Payment.id.desc()).limit(limit)
    if before_id is not None:
        statement = statement.where(Payment.id < before_id)
    return list(session.scalars(statement))
