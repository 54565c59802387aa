"""Four eyes: money actions above TOREKES_FOUR_EYES_ABOVE, and, while there is more than one
administrator, new administrators, another administrator's password, deactivating and
reactivating administrators, waiting for a second administrator (admins decide; auditors read)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter

from torekes.api.deps import CurrentPrincipal, DbDep, WriterDep
from torekes.api.routes.common import READ, WRITE
from torekes.api.schemas import (
    MAX_ID,
    ApprovalDecisionIn,
    ApprovalOut,
    PasswordChangedOut,
    PayoutOut,
    RateOut,
    RedemptionOut,
    SettlementOut,
    TransactionOut,
    UserOut,
)
from torekes.approvals import four_eyes
from torekes.approvals.four_eyes import ApprovalView
from torekes.approvals.operations import Done
from torekes.domain.approvals import ApprovalStatus
from torekes.identity.lifecycle import PasswordChanged
from torekes.identity.read_models import UserView
from torekes.ledger.read_models import TransactionView
from torekes.redemption.read_models import PayoutView, RateView, RedemptionView, SettlementView

router = APIRouter(prefix="/approvals", tags=["ledger"])

ApprovalId = Annotated[int, Path(ge=1, le=MAX_ID)]

# What approving answers: what the action answers when done at once.
DoneOut = (
    TransactionOut
    | RedemptionOut
    | SettlementOut
    | UserOut
    | PasswordChangedOut
    | RateOut
    | PayoutOut
)
_DONE_OUT: TypeAdapter[DoneOut] = TypeAdapter(DoneOut)
_SCHEMA_OF: dict[type[Any], type[BaseModel]] = {
    TransactionView: TransactionOut,
    RedemptionView: RedemptionOut,
    SettlementView: SettlementOut,
    UserView: UserOut,
    PasswordChanged: PasswordChangedOut,
    RateView: RateOut,
    PayoutView: PayoutOut,
}


def _as_schema(done: Done) -> BaseModel:
    """The outcome in its own schema, so the union renders it as that one."""
    return _SCHEMA_OF[type(done)].model_validate(done, from_attributes=True)


@router.get("", response_model=list[ApprovalOut], responses=READ)
def list_requests(
    actor: CurrentPrincipal, db: DbDep, status: ApprovalStatus | None = None
) -> list[ApprovalView]:
    """Approval requests, newest first (the latest 500)."""
    return four_eyes.list_requests(db, actor, None if status is None else status.value)


@router.get("/{request_id}", response_model=ApprovalOut, responses=READ)
def get_request(request_id: ApprovalId, actor: CurrentPrincipal, db: DbDep) -> ApprovalView:
    return four_eyes.get(db, actor, request_id)


@router.post("/{request_id}/approve", status_code=201, response_model=DoneOut, responses=WRITE)
def approve(
    request_id: ApprovalId, writer: WriterDep, body: ApprovalDecisionIn | None = None
) -> JSONResponse:
    """Do what the request asks: any administrator but the one who asked (403
    `own_request_not_approvable`) and the one it is about (403 `subject_not_approver`). It is
    judged again against the state as it is now, and answers what the action answers when done
    at once: the transaction posted (issuance, entry, reversal, transfer), the redemption
    (approval, payment), the settlement (making, payment), the new, deactivated or reactivated
    administrator, how many tokens a new password revoked, the new euro rate, or the new payout
    details."""
    note = "" if body is None else body.note
    return writer.run(
        lambda ctx: _as_schema(four_eyes.approve(ctx, request_id, note)), _DONE_OUT, 201
    )


@router.post("/{request_id}/reject", response_model=ApprovalOut, responses=WRITE)
def reject(
    request_id: ApprovalId, writer: WriterDep, body: ApprovalDecisionIn | None = None
) -> JSONResponse:
    """Refuse the request, or withdraw one's own; nothing is posted (admin)."""
    note = "" if body is None else body.note
    return writer.run(lambda ctx: four_eyes.reject(ctx, request_id, note), ApprovalOut)
