"""Redemptions: shops ask to turn tokens into euros; administrators approve, pay or reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, WriterDep
from torekes.api.routes.common import DEFAULT_LIMIT, READ, WRITE, Cursor, Limit
from torekes.api.schemas import (
    MAX_ID,
    Page,
    PayRedemptionIn,
    RedemptionIn,
    RedemptionOut,
    RejectIn,
)
from torekes.domain.redemption import RedemptionStatus
from torekes.redemption import redemptions
from torekes.redemption.read_models import RedemptionView
from torekes.redemption.redemptions import RedemptionQuery

router = APIRouter(prefix="/redemptions", tags=["redemption"])

RedemptionId = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post("", status_code=201, response_model=RedemptionOut, responses=WRITE)
def request_redemption(body: RedemptionIn, writer: WriterDep) -> JSONResponse:
    """Ask to redeem tokens of a shop (or an allowed partner) for euros; the amount is held at
    once. Members never redeem."""
    return writer.run(
        lambda ctx: redemptions.request(ctx, body.account_id, body.amount, body.memo),
        RedemptionOut,
        201,
    )


@router.get("", response_model=Page[RedemptionOut], responses=READ)
def list_redemptions(
    actor: CurrentPrincipal,
    db: DbDep,
    account_id: OptionalId = None,
    status: RedemptionStatus | None = None,
    settlement_id: OptionalId = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[RedemptionOut]:
    query = RedemptionQuery(account_id, status, settlement_id, cursor, limit)
    return Page[RedemptionOut].model_validate(redemptions.list_redemptions(db, actor, query))


@router.get("/{redemption_id}", response_model=RedemptionOut, responses=READ)
def get_redemption(
    redemption_id: RedemptionId, actor: CurrentPrincipal, db: DbDep
) -> RedemptionView:
    return redemptions.get(db, actor, redemption_id)


@router.post("/{redemption_id}/approve", response_model=RedemptionOut, responses=WRITE)
def approve(redemption_id: RedemptionId, writer: WriterDep) -> JSONResponse:
    """Approve at the euro rate in force now (admin)."""
    return writer.run(lambda ctx: redemptions.approve(ctx, redemption_id), RedemptionOut)


@router.post("/{redemption_id}/pay", response_model=RedemptionOut, responses=WRITE)
def pay(redemption_id: RedemptionId, body: PayRedemptionIn, writer: WriterDep) -> JSONResponse:
    """Record the euro transfer: the held tokens go to the redemption account (admin)."""
    return writer.run(
        lambda ctx: redemptions.pay(ctx, redemption_id, body.payout_reference), RedemptionOut
    )


@router.post("/{redemption_id}/reject", response_model=RedemptionOut, responses=WRITE)
def reject(
    redemption_id: RedemptionId, writer: WriterDep, body: RejectIn | None = None
) -> JSONResponse:
    """Refuse a redemption not yet paid; the tokens become spendable again (admin)."""
    reason = "" if body is None else body.reason
    return writer.run(lambda ctx: redemptions.reject(ctx, redemption_id, reason), RedemptionOut)
