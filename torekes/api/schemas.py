"""Request and response bodies. Requests forbid unknown fields and take amounts only as whole
numbers (no strings, no fractions, no booleans) within the ledger's range."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)

from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.entries import (
    MAX_AMOUNT,
    MAX_MEMO_LENGTH,
    TransactionKind,
    check_metadata,
)
from torekes.domain.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN

MAX_ID = 2**31 - 1
MAX_SEQ = 2**62


def _printable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


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


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Amount = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT, description="Minor units; positive.")]
SignedAmount = Annotated[
    StrictInt,
    Field(
        ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Minor units; negative debits, positive credits."
    ),
    AfterValidator(_non_zero),
]
Memo = Annotated[str, StringConstraints(max_length=MAX_MEMO_LENGTH), AfterValidator(_printable)]
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    AfterValidator(_printable),
]
CurrencyName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, strip_whitespace=True),
    AfterValidator(_printable),
]
Metadata = Annotated[dict[str, Any], AfterValidator(_plain_json)]
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,11}$")]
Password = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH),
    AfterValidator(_printable),
]

ItemT = TypeVar("ItemT")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Response, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


# --- users and tokens ---------------------------------------------------------------------------


class UserIn(Request):
    username: Username
    display_name: Name
    role: Role
    password: Password


class UserOut(Response):
    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_at: datetime


class RevokedOut(BaseModel):
    revoked: int


# --- currencies and accounts --------------------------------------------------------------------


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
    created_at: datetime


class AccountIn(Request):
    currency: CurrencyCode
    kind: AccountKind = Field(
        description="budget, member or shop; system accounts come with the currency."
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


# --- the journal --------------------------------------------------------------------------------


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
        AfterValidator(_printable),
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


# --- audit and health ---------------------------------------------------------------------------


class ProblemOut(Response):
    check: str
    currency: str
    detail: str
    transaction_id: int | None
    seq: int | None
    account_id: int | None


class CurrencyAuditOut(Response):
    currency: str
    transactions: int
    accounts: int
    issued: int
    in_circulation: int
    redeemed: int


class VerifyOut(Response):
    ok: bool
    transactions_checked: int
    accounts_checked: int
    currencies: list[CurrencyAuditOut]
    problem_count: int
    first_break: ProblemOut | None
    problems: list[ProblemOut]


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


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    database: str
    schema_revision: str | None


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with the stable machine ``code`` clients switch on."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    instance: str
    detail: str | None = None
