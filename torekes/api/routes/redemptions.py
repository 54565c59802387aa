"""Redemptions: shops ask to turn tokens into euros; administrators approve, pay or reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import (
    DEFAULT_LIMIT,
    DEFERRED,
    FOUR_EYES,
    READ,
    WRITE,
    Cursor,
    Limit,
)
from torekes.api.schemas import (
    MAX_ID,
    Page,
    PayRedemptionIn,
    RedemptionIn,
    RedemptionOut,
    RejectIn,
)
from torekes.approvals import four_eyes
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


@router.post("/{redemption_id}/approve", response_model=RedemptionOut, responses=FOUR_EYES)
def approve(redemption_id: RedemptionId, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """Approve at the euro rate in force now (admin). Above TOREKES_FOUR_EYES_ABOVE it is filed
    for a second administrator (202), whose approval fixes the rate then."""
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.approve_redemption(ctx, redemption_id, above),
        RedemptionOut,
        200,
        DEFERRED,
    )


@router.post("/{redemption_id}/pay", response_model=RedemptionOut, responses=FOUR_EYES)
def pay(
    redemption_id: RedemptionId, body: PayRedemptionIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Record the euro transfer: the held tokens go to the redemption account (admin). Above
    TOREKES_FOUR_EYES_ABOVE it is filed for a second administrator (202)."""
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.pay_redemption(ctx, redemption_id, body.payout_reference, above),
        RedemptionOut,
        200,
        DEFERRED,
    )


@router.post("/{redemption_id}/reject", response_model=RedemptionOut, responses=WRITE)
def reject(
    redemption_id: RedemptionId, writer: WriterDep, body: RejectIn | None = None
) -> JSONResponse:
    """Refuse a redemption not yet paid; the tokens become spendable again (admin)."""
    reason = "" if body is None else body.reason
    return writer.run(lambda ctx: redemptions.reject(ctx, redemption_id, reason), RedemptionOut)
