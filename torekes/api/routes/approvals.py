"""Four eyes: issuances, reversals and general entries above TOREKES_FOUR_EYES_ABOVE, waiting for
a second administrator (admins decide; auditors read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, WriterDep
from torekes.api.routes.common import READ, WRITE
from torekes.api.schemas import MAX_ID, ApprovalDecisionIn, ApprovalOut, TransactionOut
from torekes.approvals import four_eyes
from torekes.approvals.four_eyes import ApprovalView
from torekes.domain.approvals import ApprovalStatus

router = APIRouter(prefix="/approvals", tags=["ledger"])

ApprovalId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=list[ApprovalOut], responses=READ)
def list_requests(
    actor: CurrentPrincipal, db: DbDep, status: ApprovalStatus | None = None
) -> list[ApprovalView]:
    """Approval requests, newest first (the latest 500)."""
    return four_eyes.list_requests(db, actor, None if status is None else status.value)


@router.get("/{request_id}", response_model=ApprovalOut, responses=READ)
def get_request(request_id: ApprovalId, actor: CurrentPrincipal, db: DbDep) -> ApprovalView:
    return four_eyes.get(db, actor, request_id)


@router.post(
    "/{request_id}/approve", status_code=201, response_model=TransactionOut, responses=WRITE
)
def approve(
    request_id: ApprovalId, writer: WriterDep, body: ApprovalDecisionIn | None = None
) -> JSONResponse:
    """Post the request's entry: any administrator but the one who asked (403
    `own_request_not_approvable`). The ledger judges it again as it is now."""
    note = "" if body is None else body.note
    return writer.run(lambda ctx: four_eyes.approve(ctx, request_id, note), TransactionOut, 201)


@router.post("/{request_id}/reject", response_model=ApprovalOut, responses=WRITE)
def reject(
    request_id: ApprovalId, writer: WriterDep, body: ApprovalDecisionIn | None = None
) -> JSONResponse:
    """Refuse the request, or withdraw one's own; nothing is posted (admin)."""
    note = "" if body is None else body.note
    return writer.run(lambda ctx: four_eyes.reject(ctx, request_id, note), ApprovalOut)
