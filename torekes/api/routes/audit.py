"""The audit: verify the whole ledger, and the trial balance of a currency (admin, auditor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from torekes.api.deps import CurrentPrincipal, DbDep
from torekes.api.routes.accounts import AsOf
from torekes.api.routes.common import READ
from torekes.api.schemas import CurrencyCode, TrialBalanceOut, VerifyOut
from torekes.services import audit

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
