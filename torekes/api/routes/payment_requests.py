"""Payment requests: shops ask for money with a QR, members pay it, shops watch it turn paid."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from torekes.api.code_guard import KnownRequestCode
from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.images import IMAGE_RESPONSES, ImageFormat, qr_image
from torekes.api.routes.common import DEFAULT_LIMIT, READ, WRITE, Cursor, Limit, problems
from torekes.api.schemas import (
    MAX_ID,
    Page,
    PayIn,
    PaymentRequestIn,
    PaymentRequestOut,
    PaymentRequestPublicOut,
    ReceiptOut,
)
from torekes.domain.spending import RequestStatus
from torekes.spending import payment_requests
from torekes.spending.payment_requests import MAX_WAIT_SECONDS, PayCommand, RequestCommand
from torekes.spending.read_models import PaymentRequestPublicView

router = APIRouter(prefix="/payment-requests", tags=["payments"])


@router.post("", status_code=201, response_model=PaymentRequestOut, responses=WRITE)
def create_request(
    body: PaymentRequestIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Ask for a payment into one of your shop accounts: show `url` as a QR (see `qr.svg`). A
    one-off request is paid once and expires (ten minutes by default); a standing QR, printed at
    the till, lets members type the amount and stays valid until cancelled."""
    lifetime = None if body.expires_in is None else timedelta(seconds=body.expires_in)
    command = RequestCommand(body.shop_account_id, body.kind, body.amount, body.memo, lifetime)
    return writer.run(
        lambda ctx: payment_requests.create_request(ctx, settings, command),
        PaymentRequestOut,
        201,
    )


@router.get("", response_model=Page[PaymentRequestOut], responses=READ)
def list_requests(
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
    shop_account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: RequestStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PaymentRequestOut]:
    """Your shops' requests (all, for admins and auditors), newest first."""
    page = payment_requests.list_requests(
        db, settings, actor, shop_account_id, status, cursor, limit
    )
    return Page[PaymentRequestOut].model_validate(page)


# A code that names nothing counts against the client; too many are 429 for a while.
GUESSED_READ = {**READ, **problems(429)}
GUESSED_WRITE = {**WRITE, **problems(429)}


@router.get("/{code}", response_model=PaymentRequestPublicOut, responses=GUESSED_READ)
async def open_request(
    actor: CurrentPrincipal,
    code: KnownRequestCode,
    db: DbDep,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_SECONDS,
            description="While the request is open, wait up to this many seconds for it to be "
            "paid, cancelled or to expire, and answer as soon as it is (a long poll).",
        ),
    ] = 0,
) -> PaymentRequestPublicView:
    """What the QR asks for: the shop, the amount, and whether it is still open."""
    return await payment_requests.watch(db, actor, code, wait)


@router.get(
    "/{code}/qr.{image_format}",
    response_class=Response,
    responses={**IMAGE_RESPONSES, **problems(429)},
)
def request_qr(
    actor: CurrentPrincipal,
    code: KnownRequestCode,
    image_format: ImageFormat,
    db: DbDep,
    settings: SettingsDep,
) -> Response:
    """The request's QR (its `url`), for the shop to show."""
    request = payment_requests.get_request(db, settings, actor, code)
    return qr_image(request.url, image_format)


@router.post("/{code}/pay", status_code=201, response_model=ReceiptOut, responses=GUESSED_WRITE)
def pay(
    writer: WriterDep, code: KnownRequestCode, settings: SettingsDep, body: PayIn | None = None
) -> JSONResponse:
    """Pay the request from your own account (a member, or a shop paying another shop); the
    answer is your receipt. A one-off request is paid at most once."""
    command = PayCommand() if body is None else PayCommand(body.amount, body.account_id)
    return writer.run(
        lambda ctx: payment_requests.pay(ctx, settings, code, command), ReceiptOut, 201
    )


@router.post("/{code}/cancel", response_model=PaymentRequestOut, responses=GUESSED_WRITE)
def cancel(writer: WriterDep, code: KnownRequestCode, settings: SettingsDep) -> JSONResponse:
    """Withdraw an open request, or retire a standing QR (its shop)."""
    return writer.run(lambda ctx: payment_requests.cancel(ctx, settings, code), PaymentRequestOut)
