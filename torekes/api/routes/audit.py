"""The audit: verify the whole ledger, the trial balance of a currency, and the trail of
administrative actions (admin, auditor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep
from torekes.api.routes.accounts import AsOf
from torekes.api.routes.common import (
    DEFAULT_LIMIT,
    READ,
    READ_WITH_BODY,
    Cursor,
    Limit,
    Text,
)
from torekes.api.schemas import (
    MAX_ID,
    AuditEventOut,
    CheckpointCheckOut,
    CheckpointKeyOut,
    CurrencyCode,
    Moment,
    Page,
    SignedCheckpointIn,
    SignedCheckpointOut,
    TrialBalanceOut,
    VerifyOut,
)
from torekes.audit import checkpoints, trail, verification
from torekes.audit.trail import AuditQuery

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify", response_model=VerifyOut, responses=READ)
def verify(
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
    checkpoint: Annotated[bool, Query(description="Also sign the chain heads")] = False,
) -> VerifyOut:
    """Recompute every balance from the postings and check sums, sequences, the hash chain, and
    the identities issued = in circulation + redeemed and redeemed = the paid redemptions. With
    `checkpoint=true`, an intact ledger's chain heads come back signed, and the signing is
    recorded in the audit trail as `checkpoint.signed` (admin, auditor)."""
    report = verification.verify(db, actor)
    out = VerifyOut.model_validate(report)
    if checkpoint and report.ok:
        signed = checkpoints.sign(db, settings, actor, report)
        out.checkpoint = SignedCheckpointOut.model_validate(signed)
    return out


@router.get("/checkpoint-key", response_model=CheckpointKeyOut, responses=READ)
def checkpoint_key(actor: CurrentPrincipal, settings: SettingsDep) -> CheckpointKeyOut:
    """The public key checkpoints are signed with, for auditors to keep (admin, auditor)."""
    return CheckpointKeyOut.model_validate(checkpoints.public_key_of(settings, actor))


@router.post("/checkpoints/check", response_model=CheckpointCheckOut, responses=READ_WITH_BODY)
def check_checkpoint(
    body: SignedCheckpointIn, actor: CurrentPrincipal, db: DbDep, settings: SettingsDep
) -> CheckpointCheckOut:
    """Check a signed checkpoint: is the signature this installation's, and does the journal,
    recomputed from its first transaction, still arrive at each head? Changes nothing."""
    result = checkpoints.check(db, settings, actor, body.model_dump())
    return CheckpointCheckOut.model_validate(result)


@router.get("/trial-balance", response_model=TrialBalanceOut, responses=READ)
def trial_balance(
    actor: CurrentPrincipal,
    db: DbDep,
    currency: Annotated[CurrencyCode, Query()],
    as_of: AsOf = None,
) -> TrialBalanceOut:
    return TrialBalanceOut.model_validate(verification.trial_balance(db, actor, currency, as_of))


@router.get("/events", response_model=Page[AuditEventOut], responses=READ)
def list_events(
    actor: CurrentPrincipal,
    db: DbDep,
    action: Annotated[Text | None, Query(max_length=64, examples=["card.blocked"])] = None,
    subject_type: Annotated[Text | None, Query(max_length=32, examples=["card"])] = None,
    subject_id: Annotated[Text | None, Query(max_length=64)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: Annotated[Moment | None, Query()] = None,
    until: Annotated[Moment | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AuditEventOut]:
    """The audit trail of administrative actions outside the journal (users, accounts, cards,
    codes, limits, ...), newest first: who, what, when, before and after."""
    query = AuditQuery(action, subject_type, subject_id, actor_id, since, until, cursor, limit)
    return Page[AuditEventOut].model_validate(trail.list_events(db, actor, query))
