"""Spending rules: payment requests and their states, a currency's spending limits, refund caps.

A payment request is a shop's QR asking for money. A one-off request names its amount and expires
(ten minutes unless the shop says otherwise); it is ``open`` until it is ``paid`` once, is
``cancelled`` by the shop, or its expiry passes (``expired`` is read from the clock, never written,
so no sweeper is needed). A standing request is the QR printed at the till: it has no amount (the
member types it) and no expiry, and stays open until the shop retires it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from torekes.domain import errors
from torekes.domain.entries import check_amount

DEFAULT_REQUEST_LIFETIME = timedelta(minutes=10)
MIN_REQUEST_LIFETIME = timedelta(seconds=30)
MAX_REQUEST_LIFETIME = timedelta(hours=24)


class RequestKind(StrEnum):
    ONE_OFF = "one_off"
    STANDING = "standing"


class RequestStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class PaymentChannel(StrEnum):
    """How a payment was made: by scanning a shop's QR, its standing QR, or with a member card."""

    REQUEST = "request"
    STANDING = "standing"
    CARD = "card"


@dataclass(frozen=True, slots=True)
class RequestState:
    kind: RequestKind
    stored_status: RequestStatus
    amount: int | None
    expires_at: datetime | None


def status_at(request: RequestState, now: datetime) -> RequestStatus:
    if (
        request.stored_status is RequestStatus.OPEN
        and request.expires_at is not None
        and now >= request.expires_at
    ):
        return RequestStatus.EXPIRED
    return request.stored_status


def check_lifetime(lifetime: timedelta) -> None:
    if not MIN_REQUEST_LIFETIME <= lifetime <= MAX_REQUEST_LIFETIME:
        raise errors.InvalidExpiry(
            f"A payment request lives {int(MIN_REQUEST_LIFETIME.total_seconds())} seconds "
            f"to {int(MAX_REQUEST_LIFETIME.total_seconds() // 3600)} hours"
        )


def check_open(request: RequestState, now: datetime) -> None:
    status = status_at(request, now)
    if status is RequestStatus.PAID:
        raise errors.PaymentRequestPaid()
    if status is RequestStatus.CANCELLED:
        raise errors.PaymentRequestCancelled()
    if status is RequestStatus.EXPIRED:
        raise errors.PaymentRequestExpired()


def amount_to_pay(request: RequestState, offered: int | None) -> int:
    """The amount a payment of this request moves: the request's own, or the member's for a
    standing QR."""
    if request.kind is RequestKind.STANDING:
        if offered is None:
            raise errors.AmountRequired()
        check_positive(offered)
        return offered
    if offered is not None and offered != request.amount:
        raise errors.AmountNotExpected(
            f"This request is for {request.amount}; send no amount", expected=request.amount
        )
    assert request.amount is not None, "a one-off request always has an amount"
    return request.amount


def check_positive(amount: int) -> None:
    check_amount(amount)
    if amount < 0:
        raise errors.InvalidAmount("The amount must be positive")


@dataclass(frozen=True, slots=True)
class SpendingLimits:
    """A currency's optional limits on what one member spends; ``None`` is no limit."""

    max_payment: int | None
    daily_limit: int | None


def needs_confirmation(amount: int, confirm_above: int | None) -> bool:
    """Whether an amount typed on a page is above its currency's ``confirm_above``, so the page
    asks to confirm it before anything is written (``None``: it never asks). Not a limit: the
    amount confirmed goes through."""
    return confirm_above is not None and amount > confirm_above


def check_limits(limits: SpendingLimits, amount: int, spent_today: int) -> None:
    """Refuse a payment over the single-payment limit, or one that would take the day's net
    spending (payments less their refunds) over the daily limit."""
    if limits.max_payment is not None and amount > limits.max_payment:
        raise errors.PaymentLimitExceeded(
            f"A single payment may be at most {limits.max_payment}", limit=limits.max_payment
        )
    if limits.daily_limit is not None and spent_today + amount > limits.daily_limit:
        remaining = max(0, limits.daily_limit - spent_today)
        raise errors.DailyLimitExceeded(
            f"{remaining} of today's {limits.daily_limit} remain",
            limit=limits.daily_limit,
            remaining=remaining,
        )


def check_refund(payment_amount: int, refunded: int, amount: int) -> None:
    check_positive(amount)
    remaining = payment_amount - refunded
    if amount > remaining:
        raise errors.RefundExceedsPayment(
            f"{remaining} of this payment of {payment_amount} can still be refunded",
            refundable=remaining,
        )
