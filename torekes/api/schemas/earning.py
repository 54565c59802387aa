"""Earning: projects and their coordinators, activities, claim code batches, claims, and the
approval queue's single and bulk decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, StringConstraints

from torekes.domain.earning import (
    MAX_HOURS_PER_CLAIM,
    ActivityStatus,
    ClaimStatus,
    CodeKind,
    RewardKind,
)
from torekes.domain.periods import LimitPeriod

from .common import Amount, CurrencyCode, Id, Memo, Moment, Name, Request, Response, printable

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_SHEET_CODES = 500
Title = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TITLE, strip_whitespace=True),
    AfterValidator(printable),
]
Description = Annotated[
    str, StringConstraints(max_length=MAX_DESCRIPTION), AfterValidator(printable)
]
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
    count: Annotated[StrictInt, Field(ge=1, le=MAX_SHEET_CODES)] = 1
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
    code_id: int | None = Field(description="None for a claim recorded for the member.")
    member_id: int
    recorded_by_id: int | None = Field(
        description="Who recorded the claim for the member (a coordinator or an administrator);"
        " None for the member's own claim with a code."
    )
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
