"""The ledger area's read models: plain, immutable results handed to the API, the pages and
the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from torekes.db import models
from torekes.domain.accounts import AccountKind, can_redeem


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
    confirm_above: int | None
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
    # For an entry made by someone acting for the member (metadata "by" and "for"): their names.
    by_name: str | None = None
    for_name: str | None = None


@dataclass(frozen=True, slots=True)
class BalanceAt:
    account_id: int
    currency: str
    as_of_seq: int
    balance: int
