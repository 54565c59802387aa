"""The shop's till: type an amount, show its QR full screen, and see it turn into "paid" the
moment the member pays, without reloading (a small script long-polls ``/till/{code}/status``;
without scripts, reloading the page shows the same)."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from torekes.api.code_guard import guard_of
from torekes.api.errors import status_of
from torekes.documents import qr
from torekes.domain import errors
from torekes.ledger import accounts
from torekes.spending import payment_requests
from torekes.spending.payment_requests import MAX_WAIT_SECONDS, RequestCommand
from torekes.web.fields import Code, FormId, Key, Memo, TypedAmount
from torekes.web.form_pages import drawn_on
from torekes.web.forms import minor_units
from torekes.web.roles import SHOP_KEEPERS
from torekes.web.session import CurrentPage
from torekes.web.shop.keepers import shops_form
from torekes.web.writes import run_once

router = APIRouter(include_in_schema=False)


@router.get("/till")
def till(page: CurrentPage) -> Response:
    """The shops the signed-in shopkeeper keeps, each with an amount field."""
    return shops_form(page, "shop/till.html")


@router.post("/till")
@drawn_on(lambda page, _path: till(page))
def ask(
    page: CurrentPage,
    shop: FormId,
    amount: TypedAmount = "",
    memo: Memo = "",
    key: Key = "",
) -> Response:
    """Ask for the amount and show its QR; the form sent again shows the same request's QR
    instead of asking twice. The outcome kept for a repeat is the request's id, never its code."""
    actor = page.require(back="/till")
    with page.explaining():
        account = accounts.get_account(page.db, actor, shop)
        decimals = page.decimals_of(account.currency)
        command = RequestCommand(shop, amount=minor_units(amount, decimals), memo=memo.strip())
        made = run_once(
            page,
            actor,
            key,
            {"shop": shop, "amount": command.amount, "memo": command.memo},
            lambda ctx: payment_requests.create_request(ctx, page.settings, command),
            lambda view: (201, {"id": view.id}),
        )
        request = payment_requests.get_request_by_id(
            page.db, page.settings, actor, int(made.body["id"])
        )
    return page.redirect(f"/till/{request.code}")


@router.get("/till/{code}")
def show(page: CurrentPage, code: Code) -> Response:
    """The request's QR, full screen, and its state; a standing QR (no amount) is the poster a
    shop prints, for members to type the amount."""
    actor = page.require(*SHOP_KEEPERS)
    with page.explaining():
        guard_of(page.request, page.db).payment_request(code)
        request = payment_requests.get_request(page.db, page.settings, actor, code)
    return page.render(
        "shop/till_request.html",
        request=request,
        decimals=page.decimals_of(request.currency),
        qr_svg=qr.inline_svg(request.url),
    )


@router.get("/till/{code}/status")
async def status(
    page: CurrentPage,
    code: Code,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
) -> Response:
    """The request's state as soon as it is no longer open, or when ``wait`` seconds are up."""
    if page.principal is None:
        return JSONResponse({"status": "signed_out"}, status_code=401)
    try:
        await anyio.to_thread.run_sync(guard_of(page.request, page.db).payment_request, code)
        view = await payment_requests.watch(page.db, page.principal, code, wait)
    except errors.TorekesError as error:
        return JSONResponse({"status": error.code}, status_code=status_of(error))
    return JSONResponse({"status": view.status}, headers={"Cache-Control": "no-store"})
