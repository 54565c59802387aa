"""Claims: members claim with a code; coordinators approve or reject, one by one or in bulk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from torekes.api.code_guard import CodeGuardDep
from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import (
    DEFAULT_LIMIT,
    READ,
    WRITE,
    ClaimId,
    Cursor,
    Limit,
    problems,
)
from torekes.api.schemas import (
    MAX_ID,
    BulkDecisionIn,
    ClaimIn,
    ClaimOut,
    Moment,
    Page,
    RejectIn,
    ResolutionOut,
)
from torekes.domain.earning import ClaimStatus
from torekes.earning import claims
from torekes.earning.claims import ClaimCommand, ClaimQuery

router = APIRouter(prefix="/claims", tags=["claims"])

ResolutionList = TypeAdapter(list[ResolutionOut])
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post("", status_code=201, response_model=ClaimOut, responses={**WRITE, **problems(429)})
def create_claim(
    body: ClaimIn, writer: WriterDep, settings: SettingsDep, guard: CodeGuardDep
) -> JSONResponse:
    """Claim the reward of a code (a member). Paid at once (`paid`), or held on the project's
    budget until a coordinator decides (`pending`). Too many codes that name nothing from one
    client address are refused with 429 `too_many_attempts` for a while."""
    guard.claim_code(body.code)
    command = ClaimCommand(body.code, body.hours, body.account_id)
    return writer.run(lambda ctx: claims.claim(ctx, settings, command), ClaimOut, 201)


@router.get("", response_model=Page[ClaimOut], responses=READ)
def list_claims(
    actor: CurrentPrincipal,
    db: DbDep,
    project_id: OptionalId = None,
    activity_id: OptionalId = None,
    status: ClaimStatus | None = None,
    member_id: OptionalId = None,
    since: Annotated[Moment | None, Query()] = None,
    until: Annotated[Moment | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ClaimOut]:
    """Newest first. Coordinators see their projects' claims; members their own."""
    query = ClaimQuery(project_id, activity_id, status, member_id, since, until, cursor, limit)
    return Page[ClaimOut].model_validate(claims.list_claims(db, actor, query))


@router.post("/{claim_id}/approve", response_model=ClaimOut, responses=WRITE)
def approve(claim_id: ClaimId, writer: WriterDep) -> JSONResponse:
    return writer.run(lambda ctx: claims.approve(ctx, claim_id), ClaimOut)


@router.post("/{claim_id}/reject", response_model=ClaimOut, responses=WRITE)
def reject(claim_id: ClaimId, writer: WriterDep, body: RejectIn | None = None) -> JSONResponse:
    reason = "" if body is None else body.reason
    return writer.run(lambda ctx: claims.reject(ctx, claim_id, reason), ClaimOut)


@router.post("/approve", response_model=list[ResolutionOut], responses=WRITE)
def approve_many(body: BulkDecisionIn, writer: WriterDep) -> JSONResponse:
    """Approve several claims; each succeeds or fails on its own, as reported."""
    return writer.run(
        lambda ctx: claims.resolve_many(ctx, body.claim_ids, "approve"), ResolutionList
    )


@router.post("/reject", response_model=list[ResolutionOut], responses=WRITE)
def reject_many(body: BulkDecisionIn, writer: WriterDep) -> JSONResponse:
    """Reject several claims; each succeeds or fails on its own, as reported."""
    return writer.run(
        lambda ctx: claims.resolve_many(ctx, body.claim_ids, "reject", body.reason),
        ResolutionList,
    )
