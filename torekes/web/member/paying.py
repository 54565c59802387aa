"""Paying a shop from the phone: the page a payment QR opens (``/p/{code}``), one button, then the
receipt with the new balance; every refusal explained in plain words.

The form carries a one-time key made when the page was drawn, and the payment runs once per key
(``write_once_as_api``): a double tap or a reload on a standing QR, where every payment is a new
one, shows the first receipt again instead of paying twice. Back on the page of a request that is
now paid, its payer sees "Paid" with the receipt, not a refusal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from torekes.api.code_guard import guard_of
from torekes.api.schemas import ReceiptOut
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.spending import RequestKind, RequestStatus
from torekes.reporting import wallets
from torekes.spending import payment_requests
from torekes.spending.payment_requests import PayCommand
from torekes.web.fields import MAX_TYPED_AMOUNT, Code, Key, TypedAmount
from torekes.web.form_pages import drawn_on
from torekes.web.forms import minor_units
from torekes.web.member.wallet import render_receipt
from torekes.web.problems import N_
from torekes.web.session import CurrentPage, PageContext
from torekes.web.writes import new_key, write_once_as_api

router = APIRouter(include_in_schema=False)
# What was typed before switching the language, sent back in the address to fill in again.
TypedInAddress = Annotated[str, Query(max_length=MAX_TYPED_AMOUNT)]

NOT_OPEN = {
    RequestStatus.PAID.value: N_("This payment request has already been paid."),
    RequestStatus.EXPIRED.value: N_(
        "This payment request has expired. Ask the shop for a new one."
    ),
    RequestStatus.CANCELLED.value: N_("The shop cancelled this payment request."),
}


@router.get("/p/{code}")
def payment_page(page: CurrentPage, code: Code, amount: TypedInAddress = "") -> Response:
    """Whom and how much, and one button; or why it cannot be paid. ``amount`` is what was
    typed before switching the language, filled in again."""
    actor = page.require(back=f"/p/{code}")
    with page.explaining():
        guard_of(page.request, page.db).payment_request(code)
        request = payment_requests.open_request(page.db, actor, code)
    if request.status != RequestStatus.OPEN.value:
        paid = _paid_by(page, actor, code)
        if paid is not None:
            return paid
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
@drawn_on(lambda page, path: payment_page(page, path["code"]))
def pay(
    page: CurrentPage,
    code: Code,
    amount: TypedAmount = "",
    key: Key = "",
) -> Response:
    actor = page.require(back=f"/p/{code}")
    with page.explaining():
        guard_of(page.request, page.db).payment_request(code)
        request = payment_requests.open_request(page.db, actor, code)
        currency = page.currency_of(request.currency)
        typed = None if request.amount is not None else minor_units(amount, currency, page.lang)
        try:
            receipt = write_once_as_api(
                page,
                actor,
                key,
                {"code": code, "amount": typed},
                lambda ctx: payment_requests.pay(ctx, page.settings, code, PayCommand(typed)),
                ReceiptOut,
            )
        except errors.PaymentRequestPaid:
            paid = _paid_by(page, actor, code)
            if paid is None:
                raise
            return paid
    with page.explaining():
        shown = wallets.receipt(page.db, actor, receipt.transaction_id)
    return render_receipt(page, shown, 201)


def _paid_by(page: PageContext, actor: Principal, code: str) -> Response | None:
    """The receipt of a paid request, for the one who paid it (and whoever may read it: the
    shop, auditors); ``None`` for anyone else, who is told it is paid."""
    request = payment_requests.open_request(page.db, actor, code)
    if request.status != RequestStatus.PAID.value or request.transaction_id is None:
        return None
    return render_receipt(page, wallets.receipt(page.db, actor, request.transaction_id), paid=True)
