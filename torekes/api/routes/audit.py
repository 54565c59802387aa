"""The audit: verify the whole ledger, the trial balance of a currency, and the trail of
administrative actions (admin, auditor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from torekes.api.deps import CurrentPrincipal, DbDep
from torekes.api.routes.accounts import AsOf
from torekes.api.routes.common import DEFAULT_LIMIT, READ, Cursor, Limit
from torekes.api.schemas import (
    MAX_ID,
    AuditEventOut,
    CurrencyCode,
    Page,
    TrialBalanceOut,
    VerifyOut,
)
from torekes.services import audit, audit_trail
from torekes.services.audit_trail import AuditQuery

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify", response_model=VerifyOut, responses=READ)
def verify(actor: CurrentPrincipal, db: DbDep) -> VerifyOut:
    """Recompute every balance from the postings and check sums, sequences and the hash chain."""
    return VerifyOut.model_validate(audit.verify(db, actor))


@router.get("/trial-balance", response_model=TrialBalanceOut, responses=READ)
def trial_balance(
    actor: CurrentPrincipal,
    db: DbDep,
    currency: Annotated[CurrencyCode, Query()],
    as_of: AsOf = None,
) -> TrialBalanceOut:
    return TrialBalanceOut.model_validate(audit.trial_balance(db, actor, currency, as_of))


@router.get("/events", response_model=Page[AuditEventOut], responses=READ)
def list_events(
    actor: CurrentPrincipal,
    db: DbDep,
    action: Annotated[str | None, Query(max_length=64, examples=["card.blocked"])] = None,
    subject_type: Annotated[str | None, Query(max_length=32, examples=["card"])] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: Annotated[AwareDatetime | None, Query()] = None,
    until: Annotated[AwareDatetime | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AuditEventOut]:
    """The audit trail of administrative actions outside the journal (users, accounts, cards,
    codes, limits, ...), newest first: who, what, when, before and after."""
    query = AuditQuery(action, subject_type, subject_id, actor_id, since, until, cursor, limit)
    return Page[AuditEventOut].model_validate(audit_trail.list_events(db, actor, query))
