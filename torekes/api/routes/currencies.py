"""Currencies: administrators create them and set their spending limits; every signed-in user
can list them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import DEFERRED, FOUR_EYES, READ, WRITE, CurrencyPath
from torekes.api.schemas import CurrencyIn, CurrencyOut, RateIn, RateOut, SpendingLimitsIn
from torekes.approvals import four_eyes
from torekes.ledger import currencies
from torekes.ledger.currencies import CurrencyCommand, LimitsCommand
from torekes.ledger.read_models import CurrencyView
from torekes.redemption import rates
from torekes.redemption.read_models import RateView

router = APIRouter(prefix="/currencies", tags=["currencies"])


@router.post("", status_code=201, response_model=CurrencyOut, responses=WRITE)
def create_currency(body: CurrencyIn, writer: WriterDep) -> JSONResponse:
    """A new currency, with its issuance and redemption accounts."""
    command = CurrencyCommand(**body.model_dump())
    return writer.run(lambda ctx: currencies.create_currency(ctx, command), CurrencyOut, 201)


@router.get("", response_model=list[CurrencyOut], responses=READ)
def list_currencies(_actor: CurrentPrincipal, db: DbDep) -> list[CurrencyView]:
    return currencies.list_currencies(db)


@router.put("/{code}/spending-limits", response_model=CurrencyOut, responses=WRITE)
def set_spending_limits(
    code: CurrencyPath, body: SpendingLimitsIn, writer: WriterDep
) -> JSONResponse:
    """Set the limits on one member payment and on a member account's spending per calendar day
    (net of refunds), and the amount above which a page asks to confirm a typed amount
    (`confirm_above`); null (or leaving a field out) lifts it (admin). Over a limit is 409
    `payment_limit_exceeded` or `daily_limit_exceeded`."""
    command = LimitsCommand(**body.model_dump())
    return writer.run(lambda ctx: currencies.set_spending_limits(ctx, code, command), CurrencyOut)


@router.put("/{code}/euro-rate", response_model=RateOut, responses=FOUR_EYES)
def set_euro_rate(
    code: CurrencyPath, body: RateIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """The euro value of one whole unit from now on (admin); earlier rates are kept. With the
    four-eyes threshold set and another administrator active, filed for a second
    administrator's approval (202): the rate decides what every redemption approved after it is
    worth."""
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.set_euro_rate(ctx, code, body.rate, above), RateOut, 200, DEFERRED
    )


@router.get("/{code}/rates", response_model=list[RateOut], responses=READ)
def rate_history(code: CurrencyPath, actor: CurrentPrincipal, db: DbDep) -> list[RateView]:
    """Every euro rate the currency has had, newest first (admins and auditors)."""
    return rates.history(db, actor, code)
