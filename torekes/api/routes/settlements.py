"""Settlements: approved redemptions paid out together, exported for the bookkeeper and the bank
(admins; auditors read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import DEFERRED, FOUR_EYES, READ, WRITE
from torekes.api.schemas import MAX_ID, PayRedemptionIn, SettlementIn, SettlementOut
from torekes.approvals import four_eyes
from torekes.redemption import settlements
from torekes.redemption.read_models import SettlementView

router = APIRouter(prefix="/settlements", tags=["redemption"])

SettlementId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=201, response_model=SettlementOut, responses=FOUR_EYES)
def create_settlement(body: SettlementIn, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """Gather every approved redemption of the currency not yet in a settlement (admin). Above
    TOREKES_FOUR_EYES_ABOVE it is filed for a second administrator (202) naming the redemptions
    it gathers; its approval gathers those of them still approved and unsettled."""
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.create_settlement(ctx, body.currency, above),
        SettlementOut,
        201,
        DEFERRED,
    )


@router.get("", response_model=list[SettlementOut], responses=READ)
def list_settlements(actor: CurrentPrincipal, db: DbDep) -> list[SettlementView]:
    return settlements.list_settlements(db, actor)


@router.get("/{settlement_id}", response_model=SettlementOut, responses=READ)
def get_settlement(
    settlement_id: SettlementId, actor: CurrentPrincipal, db: DbDep
) -> SettlementView:
    return settlements.get(db, actor, settlement_id)


@router.get(
    "/{settlement_id}/export.csv",
    response_class=Response,
    responses={**READ, 200: {"content": {"text/csv": {}}, "description": "For the bookkeeper"}},
)
def export_csv(settlement_id: SettlementId, actor: CurrentPrincipal, db: DbDep) -> Response:
    """One line per redemption: who, IBAN, tokens, rate and euros."""
    content = settlements.export_csv(db, actor, settlement_id)
    filename = f"settlement-{settlement_id}.csv"
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{settlement_id}/pain.001.xml",
    response_class=Response,
    responses={
        **READ,
        409: WRITE[409],
        200: {"content": {"application/xml": {}}, "description": "ISO 20022 pain.001.001.03"},
    },
)
def export_pain_001(
    settlement_id: SettlementId, actor: CurrentPrincipal, db: DbDep, settings: SettingsDep
) -> Response:
    """The SEPA credit transfers to upload to the bank (TOREKES_PAYOUT_IBAN pays)."""
    content = settlements.export_pain_001(db, settings, actor, settlement_id)
    filename = f"settlement-{settlement_id}.xml"
    return Response(
        content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/{settlement_id}/pay", response_model=SettlementOut, responses=FOUR_EYES)
def pay_settlement(
    settlement_id: SettlementId, body: PayRedemptionIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Mark the whole settlement paid once the bank has paid it (admin). Above
    TOREKES_FOUR_EYES_ABOVE it is filed for a second administrator (202)."""
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.pay_settlement(ctx, settlement_id, body.payout_reference, above),
        SettlementOut,
        200,
        DEFERRED,
    )
