"""Paying a shop from the phone: the page a payment QR opens (``/p/{code}``), one button, then the
receipt with the new balance; every refusal explained in plain words.

The form carries a one-time key made when the page was drawn, and the payment runs once per key
(``write_once_as_api``): a double tap or a reload on a standing QR, where every payment is a new
one, shows the first receipt again instead of paying twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from torekes.api.code_guard import guard_of
from torekes.api.schemas import ReceiptOut
from torekes.domain.spending import RequestKind, RequestStatus
from torekes.reporting import wallets
from torekes.spending import payment_requests
from torekes.spending.payment_requests import PayCommand
from torekes.web.fields import Code, Key
from torekes.web.forms import minor_units
from torekes.web.member.wallet import render_receipt
from torekes.web.problems import N_
from torekes.web.session import CurrentPage
from torekes.web.writes import new_key, write_once_as_api

router = APIRouter(include_in_schema=False)
TypedAmount = Annotated[str, Query(max_length=30)]

NOT_OPEN = {
    RequestStatus.PAID.value: N_("This payment request has already been paid."),
    RequestStatus.EXPIRED.value: N_(
        "This payment request has expired. Ask the shop for a new one."
    ),
    RequestStatus.CANCELLED.value: N_("The shop cancelled this payment request."),
}


@router.get("/p/{code}")
def payment_page(page: CurrentPage, code: Code, amount: TypedAmount = "") -> Response:
    """Whom and how much, and one button; or why it cannot be paid. ``amount`` is what was
    typed before switching the language, filled in again."""
    actor = page.require(back=f"/p/{code}")
    with page.explaining():
        guard_of(page.request, page.db).payment_request(code)
        request = payment_requests.open_request(page.db, actor, code)
    if request.status != RequestStatus.OPEN.value:
        return page.refuse(NOT_OPEN[request.status], 409)
    return page.render(
        "member/pay.html",
        code=code,
        request=request,
        decimals=page.decimals_of(request.currency),
        standing=request.kind == RequestKind.STANDING.value,
        key=new_key(),
        typed_amount=amount,
    )


@router.post("/p/{code}")
def pay(
    page: CurrentPage,
    code: Code,
    amount: Annotated[str, Form(max_length=30)] = "",
    key: Key = "",
) -> Response:
    actor = page.require(back=f"/p/{code}")
    with page.explaining():
        guard_of(page.request, page.db).payment_request(code)
        request = payment_requests.open_request(page.db, actor, code)
        decimals = page.decimals_of(request.currency)
        typed = None if request.amount is not None else minor_units(amount, decimals)
        receipt = write_once_as_api(
            page,
            actor,
            key,
            {"code": code, "amount": typed},
            lambda ctx: payment_requests.pay(ctx, page.settings, code, PayCommand(typed)),
            ReceiptOut,
        )
    with page.explaining():
        shown = wallets.receipt(page.db, actor, receipt.transaction_id)
    return render_receipt(page, shown, 201)
