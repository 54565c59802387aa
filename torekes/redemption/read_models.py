"""The redemption area's read models: plain, immutable results handed to the API, the pages and
the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from torekes.db import models
from torekes.domain.accounts import AccountKind, can_redeem


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
