"""Payments received by shops and made by members, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from torekes.api.deps import CurrentPrincipal, DbDep
from torekes.api.routes.common import DEFAULT_LIMIT, READ, Cursor, Limit
from torekes.api.schemas import MAX_ID, Moment, Page, PaymentOut
from torekes.domain.spending import PaymentChannel
from torekes.spending import payments
from torekes.spending.payments import PaymentQuery

router = APIRouter(prefix="/payments", tags=["payments"])

OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("", response_model=Page[PaymentOut], responses=READ)
def list_payments(
    actor: CurrentPrincipal,
    db: DbDep,
    shop_account_id: OptionalId = None,
    payer_account_id: OptionalId = None,
    channel: PaymentChannel | None = None,
    since: Annotated[Moment | None, Query()] = None,
    until: Annotated[Moment | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PaymentOut]:
    """Shopkeepers see the payments into their shops (e.g. today's: `since` = midnight), members
    their own payments, admins and auditors all."""
    query = PaymentQuery(shop_account_id, payer_account_id, channel, since, until, cursor, limit)
    return Page[PaymentOut].model_validate(payments.list_payments(db, actor, query))
