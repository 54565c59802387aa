"""The earning area's read models: plain, immutable results handed to the API, the pages and
the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


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
    """A claim; ``code_id`` is None and ``recorded_by_id`` names who recorded it for a claim
    recorded for the member (``torekes.earning.claims.claim_for``)."""

    id: int
    activity_id: int
    code_id: int | None
    member_id: int
    recorded_by_id: int | None
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
