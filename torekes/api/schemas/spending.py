"""Spending: a currency's spending limits, payment requests, payments and their receipts,
refunds, member cards and card charges."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, StringConstraints

from torekes.domain.cards import CardStatus
from torekes.domain.entries import TransactionKind
from torekes.domain.spending import (
    MAX_REQUEST_LIFETIME,
    MIN_REQUEST_LIFETIME,
    PaymentChannel,
    RequestKind,
    RequestStatus,
)

from .common import Amount, Id, Memo, Request, Response, ShortMemo, printable

Pin = Annotated[str, StringConstraints(max_length=64), AfterValidator(printable)]


class SpendingLimitsIn(Request):
    max_payment: Amount | None = None
    daily_spend_limit: Amount | None = None
    confirm_above: Amount | None = Field(
        default=None,
        description="Pages ask to confirm an amount typed above this (a payment request at the "
        "till, a card payment, an activity's reward) before it goes through; null: never. "
        "The API itself asks no confirmation.",
    )


class PaymentRequestIn(Request):
    shop_account_id: Id
    kind: RequestKind = Field(
        default=RequestKind.ONE_OFF,
        description="one_off: an amount that expires; standing: the QR at the till, where the "
        "member types the amount.",
    )
    amount: Amount | None = Field(
        default=None, description="Required for one_off, absent for standing."
    )
    memo: ShortMemo = ""
    expires_in: (
        Annotated[
            StrictInt,
            Field(
                ge=int(MIN_REQUEST_LIFETIME.total_seconds()),
                le=int(MAX_REQUEST_LIFETIME.total_seconds()),
                description="Seconds until a one_off request expires; default 600.",
            ),
        ]
        | None
    ) = None


class PaymentRequestOut(Response):
    id: int
    kind: RequestKind
    shop_account_id: int
    shop_name: str
    currency: str
    amount: int | None
    memo: str
    status: RequestStatus
    code: str
    url: str = Field(description="What the QR holds: `{public base URL}/p/{code}`")
    created_at: datetime
    expires_at: datetime | None
    resolved_at: datetime | None
    transaction_id: int | None


class PaymentRequestPublicOut(Response):
    kind: RequestKind
    shop_account_id: int
    shop_name: str
    currency: str
    amount: int | None
    memo: str
    status: RequestStatus
    expires_at: datetime | None
    transaction_id: int | None = Field(
        description="Once paid, for the shop, the payer and auditors; otherwise null."
    )


class PayIn(Request):
    amount: Amount | None = Field(
        default=None, description="Only for a standing QR: how much to pay."
    )
    account_id: Id | None = Field(
        default=None, description="Your account to pay from; default: your first member account."
    )


class PartyOut(Response):
    account_id: int
    name: str
    balance_after: int | None = Field(
        description="The account's balance after this transaction, if it is yours."
    )


class RefundLineOut(Response):
    transaction_id: int
    amount: int
    reason: str
    created_at: datetime
    reversed: bool = Field(description="Reversed by an admin since: it no longer counts.")


class ReceiptOut(Response):
    transaction_id: int
    kind: TransactionKind
    currency: str
    seq: int
    amount: int
    memo: str
    created_at: datetime
    channel: PaymentChannel
    payment_transaction_id: int
    payment_amount: int
    refunded_amount: int
    refundable: int = Field(description="What can still be refunded of the payment.")
    payment_reversed: bool = Field(description="An admin reversed the payment: nothing to refund.")
    shop: PartyOut
    payer: PartyOut
    card_number: str | None = Field(
        description="For a card payment, the card's last four digits (`••• ••• 7890`); the whole "
        "number is never shown on a receipt."
    )
    payment_request_id: int | None
    refunds: list[RefundLineOut]


class PaymentOut(Response):
    id: int
    transaction_id: int
    channel: PaymentChannel
    currency: str
    shop_account_id: int
    shop_name: str
    payer_account_id: int
    amount: int
    refunded_amount: int
    payment_request_id: int | None
    card_id: int | None
    created_at: datetime


class RefundIn(Request):
    amount: Amount | None = Field(
        default=None, description="How much to give back; default: all that is left."
    )
    reason: Memo = ""


class CardIn(Request):
    member_id: Id
    pin: Pin = Field(description="4 to 6 digits, chosen by the member.")


class CardReplaceIn(Request):
    pin: Pin = Field(description="The new card's PIN: 4 to 6 digits.")
    reason: Memo = ""


class PinResetIn(Request):
    pin: Pin = Field(description="The card's new PIN, chosen by the member: 4 to 6 digits.")


class PinChangeIn(Request):
    current_pin: Pin = Field(description="The PIN in use now; a wrong one counts against the card.")
    new_pin: Pin = Field(description="4 to 6 digits.")


class BlockIn(Request):
    reason: Memo = ""


class CardOut(Response):
    id: int
    member_id: int
    member_name: str
    number: str
    code: str
    url: str = Field(description="What the card's QR holds")
    status: CardStatus
    locked: bool
    tries_left: int
    issued_at: datetime
    blocked_at: datetime | None
    block_reason: str | None
    replaces_id: int | None


class CardPaymentIn(Request):
    shop_account_id: Id
    card: Annotated[str, StringConstraints(min_length=1, max_length=300)] = Field(
        description="The code from the card's QR (or the QR's whole URL), or the card number."
    )
    pin: Pin
    amount: Amount
    memo: ShortMemo = ""
