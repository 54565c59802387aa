"""Currencies: administrators create them; every signed-in user can list them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, WriterDep
from torekes.api.routes.common import READ, WRITE
from torekes.api.schemas import CurrencyIn, CurrencyOut
from torekes.services import currencies
from torekes.services.currencies import CurrencyCommand
from torekes.services.views import CurrencyView

router = APIRouter(prefix="/currencies", tags=["currencies"])


@router.post("", status_code=201, response_model=CurrencyOut, responses=WRITE)
def create_currency(body: CurrencyIn, writer: WriterDep) -> JSONResponse:
    """A new currency, with its issuance and redemption accounts."""
    command = CurrencyCommand(**body.model_dump())
    return writer.run(lambda ctx: currencies.create_currency(ctx, command), CurrencyOut, 201)


@router.get("", response_model=list[CurrencyOut], responses=READ)
def list_currencies(_actor: CurrentPrincipal, db: DbDep) -> list[CurrencyView]:
    return currencies.list_currencies(db)
