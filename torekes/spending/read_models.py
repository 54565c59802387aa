"""The spending area's read models: plain, immutable results handed to the API, the pages and
the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PaymentRequestView:
    """A payment request as its shop sees it (``code`` and ``url`` to show as a QR)."""

    id: int
    kind: str
    shop_account_id: int
    shop_name: str
    currency: str
    amount: int | None
    memo: str
    status: str
    code: str
    url: str
    created_at: datetime
    expires_at: datetime | None
    resolved_at: datetime | None
    transaction_id: int | None


@dataclass(frozen=True, slots=True)
class PaymentRequestPublicView:
    """What a member who scanned the QR sees before paying: whom, how much, whether it is open.
    ``transaction_id`` is filled in only for the shop, the payer and those who read everything."""

    kind: str
    shop_account_id: int
    shop_name: str
    currency: str
    amount: int | None
    memo: str
    status: str
    expires_at: datetime | None
    transaction_id: int | None


@dataclass(frozen=True, slots=True)
class PartyView:
    """One side of a receipt; ``balance_after`` only for the account's owner and auditors."""

    account_id: int
    name: str
    balance_after: int | None


@dataclass(frozen=True, slots=True)
class RefundLine:
    transaction_id: int
    amount: int
    reason: str
    created_at: datetime
    reversed: bool


@dataclass(frozen=True, slots=True)
class ReceiptView:
    transaction_id: int
    kind: str
    currency: str
    seq: int
    amount: int
    memo: str
    created_at: datetime
    channel: str
    payment_transaction_id: int
    payment_amount: int
    refunded_amount: int
    refundable: int
    payment_reversed: bool
    shop: PartyView
    payer: PartyView
    card_number: str | None
    payment_request_id: int | None
    refunds: list[RefundLine]


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: int
    transaction_id: int
    channel: str
    currency: str
    shop_account_id: int
    shop_name: str
    payer_account_id: int
    amount: int
    refunded_amount: int
    payment_request_id: int | None
    card_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CardView:
    """A member card. ``code`` (what its QR holds) is shown to administrators, auditors and the
    card's member; the PIN never leaves the service."""

    id: int
    member_id: int
    member_name: str
    number: str
    code: str
    url: str
    status: str
    locked: bool
    tries_left: int
    issued_at: datetime
    blocked_at: datetime | None
    block_reason: str | None
    replaces_id: int | None
