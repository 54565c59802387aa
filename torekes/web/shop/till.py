"""The shop's till: type an amount, show its QR full screen, and see it turn into "paid" the
moment the member pays, without reloading (a small script long-polls ``/till/{code}/status``;
without scripts, reloading the page shows the same).

Each shop also has a standing QR, the poster it prints for the counter (``/till/poster/{shop}``:
a big QR, the shop's name and how to pay, in the page's language); a shop without one makes it
there with one button."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from torekes.api.code_guard import guard_of
from torekes.api.errors import status_of
from torekes.documents import qr
from torekes.domain import errors
from torekes.domain.spending import RequestKind
from torekes.ledger import accounts
from torekes.spending import payment_requests
from torekes.spending.payment_requests import MAX_WAIT_SECONDS, RequestCommand
from torekes.web.confirming import ask_to_confirm
from torekes.web.fields import Code, FormId, Key, Memo, PathId, TypedAmount
from torekes.web.form_pages import drawn_on
from torekes.web.forms import minor_units
from torekes.web.roles import SHOP_KEEPERS
from torekes.web.session import CurrentPage
from torekes.web.shop.keepers import own_shop, shops_form
from torekes.web.writes import Confirmation, Unconfirmed, new_key, redirect_once, run_once

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
    confirm: TypedAmount = "",
) -> Response:
    """Ask for the amount and show its QR; the form sent again shows the same request's QR
    instead of asking twice. The outcome kept for a repeat is the request's id, never its code.
    An amount above the currency's ``confirm_above`` is asked to be confirmed first."""
    actor = page.require(back="/till")
    with page.explaining():
        account = accounts.get_account(page.db, actor, shop)
        currency = page.currency_of(account.currency)
        minor = minor_units(amount, currency, page.lang)
        command = RequestCommand(shop, amount=minor, memo=memo.strip())
        try:
            made = run_once(
                page,
                actor,
                key,
                {"shop": shop, "amount": command.amount, "memo": command.memo},
                lambda ctx: payment_requests.create_request(ctx, page.settings, command),
                lambda view: (201, {"id": view.id}),
                Confirmation(minor, currency.confirm_above, confirm),
            )
        except Unconfirmed as unconfirmed:
            return ask_to_confirm(page, unconfirmed, currency.code, "/till")
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


@router.get("/till/poster/{shop_id}")
def poster(page: CurrentPage, shop_id: PathId) -> Response:
    """The shop's standing QR as a poster to print; or the button that makes one."""
    actor = page.require(*SHOP_KEEPERS)
    with page.explaining():
        shop = own_shop(page, actor, shop_id)
        standing = payment_requests.standing_request(page.db, page.settings, actor, shop.id)
    return page.render(
        "shop/poster.html",
        shop=shop,
        request=standing,
        qr_svg=None if standing is None else qr.inline_svg(standing.url),
        key=new_key(),
    )


@router.post("/till/poster/{shop_id}")
def make_poster(page: CurrentPage, shop_id: PathId, key: Key = "") -> Response:
    """Make the shop's standing QR; the form sent again shows the same one."""
    actor = page.require(*SHOP_KEEPERS, back=f"/till/poster/{shop_id}")
    command = RequestCommand(shop_id, RequestKind.STANDING)
    with page.explaining():
        own_shop(page, actor, shop_id)
        return redirect_once(
            page,
            actor,
            key,
            {"shop": shop_id},
            lambda ctx: payment_requests.create_request(ctx, page.settings, command),
            f"/till/poster/{shop_id}",
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
