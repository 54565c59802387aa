"""Plain, immutable results the services hand to the API and the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from torekes.db import models
from torekes.domain.accounts import AccountKind, can_redeem


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, user: models.User) -> UserView:
        return cls(
            user.id, user.username, user.display_name, user.role, user.is_active, user.created_at
        )


@dataclass(frozen=True, slots=True)
class CurrencyView:
    id: int
    code: str
    name: str
    decimals: int
    euro_rate: Decimal
    issuance_account_id: int
    redemption_account_id: int
    last_seq: int
    max_payment: int | None
    daily_spend_limit: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    currency: str
    kind: str
    name: str
    owner_id: int | None
    status: str
    balance: int
    held: int
    available: int
    created_at: datetime
    redeemable: bool
    iban: str | None
    payout_name: str | None

    @classmethod
    def of(cls, account: models.Account, currency_code: str) -> AccountView:
        return cls(
            id=account.id,
            currency=currency_code,
            kind=account.kind,
            name=account.name,
            owner_id=account.owner_id,
            status=account.status,
            balance=account.balance,
            held=account.held,
            available=account.balance - account.held,
            created_at=account.created_at,
            redeemable=can_redeem(AccountKind(account.kind), account.redeemable),
            iban=account.iban,
            payout_name=account.payout_name,
        )


@dataclass(frozen=True, slots=True)
class PostingView:
    account_id: int
    amount: int


@dataclass(frozen=True, slots=True)
class TransactionView:
    id: int
    currency: str
    seq: int
    kind: str
    memo: str
    metadata: dict[str, Any]
    actor_id: int | None
    created_at: datetime
    idempotency_key: str | None
    reverses_id: int | None
    reversed_by_id: int | None
    prev_hash: str
    hash: str
    postings: list[PostingView]


@dataclass(frozen=True, slots=True)
class StatementLine:
    transaction_id: int
    seq: int
    kind: str
    memo: str
    created_at: datetime
    amount: int
    balance_after: int


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class BalanceAt:
    account_id: int
    currency: str
    as_of_seq: int
    balance: int


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: int
    name: str
    currency: str
    budget_account_id: int
    budget_balance: int
    budget_held: int
    budget_available: int
    coordinator_ids: list[int]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ActivityView:
    id: int
    project_id: int
    title: str
    description: str
    reward_kind: str
    reward_amount: int
    max_hours: Decimal | None
    capacity: int | None
    per_member_limit: int | None
    period_limit: int | None
    period: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    requires_approval: bool
    status: str
    claims_count: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ActivitySummary:
    activity_id: int
    claims_paid: int
    claims_pending: int
    claims_rejected: int
    hours_paid: Decimal
    tokens_paid: int
    tokens_pending: int
    unique_volunteers: int


@dataclass(frozen=True, slots=True)
class CodeView:
    id: int
    batch_id: int
    position: int
    code: str
    short_code: str
    url: str
    uses: int
    max_uses: int
    expires_at: datetime | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class BatchView:
    id: int
    activity_id: int
    kind: str
    count: int
    max_uses: int
    expires_at: datetime | None
    created_at: datetime
    codes: list[CodeView]


@dataclass(frozen=True, slots=True)
class ClaimView:
    id: int
    activity_id: int
    code_id: int
    member_id: int
    account_id: int
    hours: Decimal | None
    amount: int
    status: str
    transaction_id: int | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    reject_reason: str | None


@dataclass(frozen=True, slots=True)
class ResolutionOutcome:
    claim_id: int
    ok: bool
    status: str | None
    error_code: str | None


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


@dataclass(frozen=True, slots=True)
class AuditEventView:
    id: int
    occurred_at: datetime
    actor_id: int | None
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, event: models.AuditEvent) -> AuditEventView:
        return cls(
            event.id,
            event.occurred_at,
            event.actor_id,
            event.action,
            event.subject_type,
            event.subject_id,
            event.before,
            event.after,
        )


@dataclass(frozen=True, slots=True)
class RateView:
    currency: str
    rate: Decimal
    valid_from: datetime
    set_by_id: int | None

    @classmethod
    def of(cls, row: models.CurrencyRate, currency: str) -> RateView:
        return cls(currency, row.rate, row.valid_from, row.set_by_id)


@dataclass(frozen=True, slots=True)
class RedemptionView:
    id: int
    account_id: int
    account_name: str
    currency: str
    amount: int
    status: str
    memo: str
    requested_at: datetime
    requested_by_id: int | None
    rate: Decimal | None
    euro_cents: int | None
    approved_at: datetime | None
    approved_by_id: int | None
    settlement_id: int | None
    paid_at: datetime | None
    paid_by_id: int | None
    payout_reference: str | None
    transaction_id: int | None
    rejected_at: datetime | None
    rejected_by_id: int | None
    reject_reason: str | None


@dataclass(frozen=True, slots=True)
class PayoutView:
    account_id: int
    kind: str
    redeemable: bool
    iban: str | None
    payout_name: str | None

    @classmethod
    def of(cls, account: models.Account) -> PayoutView:
        redeemable = can_redeem(AccountKind(account.kind), account.redeemable)
        return cls(account.id, account.kind, redeemable, account.iban, account.payout_name)


@dataclass(frozen=True, slots=True)
class SettlementView:
    id: int
    currency: str
    status: str
    message_id: str
    created_at: datetime
    created_by_id: int | None
    paid_at: datetime | None
    paid_by_id: int | None
    payout_reference: str | None
    redemption_ids: list[int]
    amount: int
    euro_cents: int
