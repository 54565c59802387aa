"""Request and response bodies. Requests forbid unknown fields and take amounts only as whole
numbers (no strings, no fractions, no booleans) within the ledger's range."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)

from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.approvals import ApprovalKind, ApprovalStatus
from torekes.domain.cards import CardStatus
from torekes.domain.earning import (
    MAX_HOURS_PER_CLAIM,
    ActivityStatus,
    ClaimStatus,
    CodeKind,
    LimitPeriod,
    RewardKind,
)
from torekes.domain.entries import (
    MAX_AMOUNT,
    MAX_MEMO_LENGTH,
    TransactionKind,
    check_metadata,
)
from torekes.domain.redemption import RedemptionStatus
from torekes.domain.spending import (
    MAX_REQUEST_LIFETIME,
    MIN_REQUEST_LIFETIME,
    PaymentChannel,
    RequestKind,
    RequestStatus,
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


def _within_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the calendar once converted to UTC") from None


# A moment with a time zone, which must still be a date once converted to UTC (as it is stored).
Moment = Annotated[AwareDatetime, AfterValidator(_within_utc)]
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
    max_payment: int | None = Field(description="Most one member payment may move; null: no limit")
    daily_spend_limit: int | None = Field(
        description="Most a member may spend per calendar day from their member accounts, net of "
        "refunds and reversals; null: no limit"
    )
    created_at: datetime


class SpendingLimitsIn(Request):
    max_payment: Amount | None = None
    daily_spend_limit: Amount | None = None


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
    pending_redemption: int
    redemptions_paid: int
    issued_identity_holds: bool = Field(
        description="issued = in circulation + redeemed, from the postings"
    )
    redemption_identity_holds: bool = Field(
        description="redeemed (the redemption account) = the paid redemptions"
    )
    last_seq: int = Field(description="The chain head the audit walked to")
    last_hash: str


class SignedCheckpointOut(Response):
    checkpoint: dict[str, Any] = Field(
        description="format, installation, created_at, and per currency its chain head (seq, "
        "hash) with issued, in_circulation and redeemed"
    )
    signature: str = Field(description="Ed25519 over the checkpoint's canonical JSON, base64")
    public_key: str = Field(description="The installation's public key, base64")
    key_id: str


class SignedCheckpointIn(Request):
    checkpoint: dict[str, Any]
    signature: Annotated[str, StringConstraints(max_length=200)]
    public_key: Annotated[str, StringConstraints(max_length=200)] = ""
    key_id: Annotated[str, StringConstraints(max_length=64)] = ""


class HeadCheckOut(Response):
    currency: str
    seq: int
    hash: str
    recomputed_hash: str | None
    matches: bool
    detail: str


class CheckpointCheckOut(Response):
    ok: bool = Field(description="The signature is this installation's and every head matches")
    signature_valid: bool
    key_id: str
    created_at: str | None
    currencies: list[HeadCheckOut]


class CheckpointKeyOut(Response):
    public_key: str
    key_id: str


class VerifyOut(Response):
    ok: bool
    transactions_checked: int
    accounts_checked: int
    currencies: list[CurrencyAuditOut]
    problem_count: int
    first_break: ProblemOut | None
    problems: list[ProblemOut]
    checkpoint: SignedCheckpointOut | None = Field(
        default=None, description="When asked for and the ledger is intact"
    )


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
    request_id: str | None = Field(
        description="The request's id, as in its X-Request-ID header and in every log line "
        "written while serving it"
    )
    detail: str | None = None


# --- earning ------------------------------------------------------------------------------------

Title = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    AfterValidator(_printable),
]
Description = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_printable)]
Count = Annotated[StrictInt, Field(ge=1, le=1_000_000)]
Hours = Annotated[Decimal, Field(gt=0, le=MAX_HOURS_PER_CLAIM, max_digits=6, decimal_places=2)]


class ProjectIn(Request):
    name: Name
    currency: CurrencyCode
    coordinator_ids: Annotated[list[Id], Field(max_length=50)] = Field(default_factory=list)


class CoordinatorIn(Request):
    user_id: Id


class ProjectOut(Response):
    id: int
    name: str
    currency: str
    budget_account_id: int
    budget_balance: int
    budget_held: int
    budget_available: int
    coordinator_ids: list[int]
    created_at: datetime


class ActivityIn(Request):
    title: Title
    description: Description = ""
    reward_kind: RewardKind
    reward_amount: Amount = Field(description="Per claim (fixed) or per hour (per_hour).")
    max_hours: Hours | None = Field(default=None, description="Most hours per claim.")
    capacity: Count | None = Field(default=None, description="Most claims in total.")
    per_member_limit: Count | None = None
    period_limit: Count | None = Field(
        default=None, description="Most claims per member per period."
    )
    period: LimitPeriod | None = None
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    requires_approval: bool = False


class ActivityOut(Response):
    id: int
    project_id: int
    title: str
    description: str
    reward_kind: RewardKind
    reward_amount: int
    max_hours: Decimal | None
    capacity: int | None
    per_member_limit: int | None
    period_limit: int | None
    period: LimitPeriod | None
    valid_from: datetime | None
    valid_until: datetime | None
    requires_approval: bool
    status: ActivityStatus
    claims_count: int
    created_at: datetime


class ActivitySummaryOut(Response):
    activity_id: int
    claims_paid: int
    claims_pending: int
    claims_rejected: int
    hours_paid: Decimal
    tokens_paid: int
    tokens_pending: int
    unique_volunteers: int


class BatchIn(Request):
    kind: CodeKind
    count: Annotated[StrictInt, Field(ge=1, le=500)] = 1
    max_uses: Annotated[StrictInt, Field(ge=1, le=100_000)] = 1
    expires_at: Moment | None = None


class CodeOut(Response):
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


class BatchOut(Response):
    id: int
    activity_id: int
    kind: CodeKind
    count: int
    max_uses: int
    expires_at: datetime | None
    created_at: datetime
    codes: list[CodeOut]


class ClaimIn(Request):
    code: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The code from the QR (or its URL's last part), or the short code typed in."
    )
    hours: Hours | None = None
    account_id: Id | None = Field(
        default=None, description="Your member account to pay into; default: your first one."
    )


class ClaimOut(Response):
    id: int
    activity_id: int
    code_id: int
    member_id: int
    account_id: int
    hours: Decimal | None
    amount: int
    status: ClaimStatus
    transaction_id: int | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    reject_reason: str | None


class RejectIn(Request):
    reason: Memo = ""


class BulkDecisionIn(Request):
    claim_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    reason: Memo = ""


class ResolutionOut(Response):
    claim_id: int
    ok: bool
    status: ClaimStatus | None
    error_code: str | None


# --- spending -----------------------------------------------------------------------------------

ShortMemo = Annotated[str, StringConstraints(max_length=200), AfterValidator(_printable)]
Pin = Annotated[str, StringConstraints(max_length=64), AfterValidator(_printable)]


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
    card_number: str | None
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


# --- the audit trail ----------------------------------------------------------------------------


class AuditEventOut(Response):
    id: int
    occurred_at: datetime
    actor_id: int | None = Field(description="Null for the operator's command line")
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


# --- redemption ---------------------------------------------------------------------------------

Rate = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=18, decimal_places=8)]
PayoutReference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=140, strip_whitespace=True),
    AfterValidator(_printable),
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
        AfterValidator(_printable),
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


# --- reports ------------------------------------------------------------------------------------


class CirculationOut(Response):
    currency: str
    decimals: int
    as_of_seq: int
    as_of: datetime = Field(description="The moment the figures are as of")
    issued: int
    budgets: int
    member_wallets: int
    shops: int
    partners: int
    in_circulation: int = Field(description="budgets + member wallets + shops + partners")
    pending_redemption: int = Field(description="Asked to redeem, not yet paid; held in shops")
    redeemed: int
    identity_holds: bool = Field(description="issued = in circulation + redeemed")
    euro_rate: Decimal = Field(description="The euro rate in force at that moment")
    approved_unpaid: int = Field(description="Tokens approved for redemption, not yet paid")
    approved_unpaid_euro_cents: int = Field(description="Their euro amount, fixed at approval")
    euro_liability_cents: int = Field(
        description="What every token not yet redeemed is worth in euro cents: approved "
        "redemptions at their approved amount, the rest at the rate in force"
    )


class ProjectMonthOut(Response):
    month: str = Field(examples=["2026-11"])
    budget_start: int
    funded: int = Field(description="Credits to the budget other than reversals")
    tokens_paid: int = Field(description="Rewards paid to volunteers")
    other: int = Field(description="Everything else, net: reversals, transfers out")
    budget_left: int = Field(description="budget_start + funded - tokens_paid + other")
    claims: int
    hours: Decimal
    volunteers: int = Field(description="Unique volunteers with a paid claim")
    first_time_volunteers: int = Field(description="Their first paid claim in this project")


class ProjectReportOut(Response):
    project_id: int
    project: str
    currency: str
    decimals: int
    budget_account_id: int
    months: list[ProjectMonthOut]
    total: ProjectMonthOut


class ShopMonthOut(Response):
    month: str = Field(examples=["2026-11"])
    balance_start: int
    payments: int
    payments_count: int
    refunds: int
    refunds_count: int
    redeemed: int
    redemptions_count: int
    redeemed_euro_cents: int
    other: int = Field(description="Everything else, net: reversals, transfers, payments made")
    balance_end: int = Field(description="balance_start + payments - refunds - redeemed + other")
    pending_redemption: int = Field(description="Asked to redeem and not yet paid at month end")


class ShopReportOut(Response):
    account_id: int
    name: str
    kind: str
    currency: str
    decimals: int
    months: list[ShopMonthOut]


class StatementEntryOut(Response):
    seq: int
    transaction_id: int
    created_at: datetime
    kind: str
    memo: str
    counterparties: list[str] = Field(description="Names of the transaction's other accounts")
    amount: int
    balance_after: int


class AccountStatementOut(Response):
    account_id: int
    name: str
    kind: str
    currency: str
    decimals: int
    since: datetime | None
    until: datetime | None
    opening_balance: int
    closing_balance: int
    entries: list[StatementEntryOut]


# --- four eyes ----------------------------------------------------------------------------------


class ApprovalOut(Response):
    id: int
    kind: ApprovalKind
    currency: str
    amount: int = Field(description="What the entry moves (its positive postings), minor units")
    payload: dict[str, Any] = Field(description="The request as it will be posted")
    status: ApprovalStatus
    requested_by_id: int
    requested_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    note: str
    transaction_id: int | None


class ApprovalDecisionIn(Request):
    note: Memo = ""
