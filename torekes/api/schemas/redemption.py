"""Redemption: euro rates, payout details, redemptions and the settlements that pay them out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from torekes.domain.accounts import AccountKind
from torekes.domain.redemption import RedemptionStatus

from .common import Amount, CurrencyCode, Id, Request, Response, ShortMemo, printable

Rate = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=18, decimal_places=8)]
PayoutReference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=140, strip_whitespace=True),
    AfterValidator(printable),
]


class RateIn(Request):
    rate: Rate = Field(description="Euros for one whole unit of the currency, from now on.")


class RateOut(Response):
    currency: str
    rate: Decimal
    valid_from: datetime
    set_by_id: int | None


class PayoutIn(Request):
    iban: Annotated[str, StringConstraints(min_length=15, max_length=42)] = Field(
        description="Spaces allowed; checked by its check digits."
    )
    payout_name: Annotated[
        str,
        StringConstraints(min_length=1, max_length=70, strip_whitespace=True),
        AfterValidator(printable),
    ]


class RedeemableIn(Request):
    redeemable: bool


class PayoutOut(Response):
    account_id: int
    kind: AccountKind
    redeemable: bool = Field(description="Whether the account may redeem tokens for euros")
    iban: str | None
    payout_name: str | None


class RedemptionIn(Request):
    account_id: Id
    amount: Amount
    memo: ShortMemo = ""


class PayRedemptionIn(Request):
    payout_reference: PayoutReference = Field(description="The bank transfer's reference")


class RedemptionOut(Response):
    id: int
    account_id: int
    account_name: str
    currency: str
    amount: int
    status: RedemptionStatus
    memo: str
    requested_at: datetime
    requested_by_id: int | None
    rate: Decimal | None = Field(description="The euro rate in force when it was approved")
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


class SettlementIn(Request):
    currency: CurrencyCode


class SettlementOut(Response):
    id: int
    currency: str
    status: str
    message_id: str = Field(description="The bank file's message id")
    created_at: datetime
    created_by_id: int | None
    paid_at: datetime | None
    paid_by_id: int | None
    payout_reference: str | None
    redemption_ids: list[int]
    amount: int = Field(description="Tokens redeemed, in minor units")
    euro_cents: int
