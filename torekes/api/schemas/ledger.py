"""The ledger: currencies, accounts and their balances and entries, the journal's transactions
and postings, reversals, four-eyes approvals and the trial balance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt, StringConstraints

from torekes.domain import errors
from torekes.domain.accounts import AccountKind
from torekes.domain.approvals import ApprovalKind, ApprovalStatus
from torekes.domain.entries import MAX_AMOUNT, MAX_MEMO_LENGTH, TransactionKind, check_metadata

from .common import Amount, CurrencyCode, Id, Memo, Name, Request, Response, printable


def _plain_json(value: dict[str, Any]) -> dict[str, Any]:
    try:
        check_metadata(value)
    except errors.InvalidMetadata as error:
        raise ValueError(error.detail) from None
    return value


def _non_zero(value: int) -> int:
    if value == 0:
        raise ValueError("must not be zero")
    return value


SignedAmount = Annotated[
    StrictInt,
    Field(
        ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Minor units; negative debits, positive credits."
    ),
    AfterValidator(_non_zero),
]
CurrencyName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, strip_whitespace=True),
    AfterValidator(printable),
]
Metadata = Annotated[dict[str, Any], AfterValidator(_plain_json)]


class CurrencyIn(Request):
    code: CurrencyCode
    name: CurrencyName
    decimals: Annotated[StrictInt, Field(ge=0, le=8)]
    euro_rate: Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=18, decimal_places=8)]


class CurrencyOut(Response):
    id: int
    code: str
    name: str
    decimals: int
    euro_rate: Decimal
    issuance_account_id: int
    redemption_account_id: int
    last_seq: int
    max_payment: int | None = Field(description="Most one member payment may move; null: no limit")
    daily_spend_limit: int | None = Field(
        description="Most a member may spend per calendar day from their member accounts, net of "
        "refunds and reversals; null: no limit"
    )
    confirm_above: int | None = Field(
        description="Pages ask to confirm an amount typed above this before it goes through; "
        "null: never"
    )
    created_at: datetime


class AccountIn(Request):
    currency: CurrencyCode
    kind: AccountKind = Field(
        description="budget, member, shop or partner; system accounts come with the currency."
    )
    name: Name
    owner_id: Id | None = None


class AccountOut(Response):
    id: int
    currency: str
    kind: AccountKind
    name: str
    owner_id: int | None
    status: str
    balance: int
    held: int
    available: int
    created_at: datetime
    redeemable: bool = Field(description="Whether the account may redeem tokens for euros")
    iban: str | None = Field(description="Where redeemed tokens are paid (shops and partners)")
    payout_name: str | None


class StatementLineOut(Response):
    transaction_id: int
    seq: int
    kind: str
    memo: str
    created_at: datetime
    amount: int
    balance_after: int


class BalanceOut(Response):
    account_id: int
    currency: str
    as_of_seq: int
    balance: int


class IssuanceIn(Request):
    to_account_id: Id
    amount: Amount
    memo: Memo = ""
    metadata: Metadata = Field(default_factory=dict)


class TransferIn(Request):
    from_account_id: Id
    to_account_id: Id
    amount: Amount
    memo: Memo = ""
    metadata: Metadata = Field(default_factory=dict)


class PostingIn(Request):
    account_id: Id
    amount: SignedAmount


class EntryIn(Request):
    currency: CurrencyCode
    kind: TransactionKind
    postings: Annotated[list[PostingIn], Field(min_length=2, max_length=100)]
    memo: Memo = ""
    metadata: Metadata = Field(default_factory=dict)


class ReverseIn(Request):
    reason: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_MEMO_LENGTH, strip_whitespace=True),
        AfterValidator(printable),
    ]


class PostingOut(Response):
    account_id: int
    amount: int


class TransactionOut(Response):
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
    postings: list[PostingOut]


class TrialBalanceLineOut(Response):
    account_id: int
    kind: str
    name: str
    balance: int


class TrialBalanceOut(Response):
    currency: str
    as_of_seq: int
    lines: list[TrialBalanceLineOut]
    totals_by_kind: dict[str, int]
    total: int
    issued: int
    in_circulation: int
    redeemed: int
    balanced: bool


class ApprovalOut(Response):
    id: int
    kind: ApprovalKind
    currency: str | None = Field(
        description="None only for the kinds about administrators, which move no money"
    )
    amount: int | None = Field(
        description="What the action moves, in minor units: an entry's positive postings, a"
        " redemption's or a settlement's tokens (None for the kinds about administrators)"
    )
    payload: dict[str, Any] = Field(
        description="The request as it will be done (a password's hash never shown)"
    )
    status: ApprovalStatus
    requested_by_id: int
    requested_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    note: str
    transaction_id: int | None = Field(
        description="The transaction an approval posted (issuance, entry, reversal, transfer,"
        " redemption payment)"
    )
    subject_user_id: int | None = Field(
        description="The administrator the request is about, who may not approve it (setting"
        " their password, deactivating or reactivating them); None for the other kinds"
    )


class ApprovalDecisionIn(Request):
    note: Memo = ""
