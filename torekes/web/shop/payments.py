"""A shop's payments of today, with what they add up to, and refunding one of them (all that is
left of it, or the amount typed), as the API's refund does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time
from fastapi import APIRouter
from fastapi.responses import Response

from torekes.api.schemas import ReceiptOut
from torekes.domain.access import Principal
from torekes.domain.periods import LimitPeriod, period_start
from torekes.kit import clock
from torekes.kit.pagination import MAX_PAGE_SIZE
from torekes.ledger.read_models import AccountView
from torekes.spending import payments
from torekes.spending.payments import PaymentQuery
from torekes.spending.read_models import ReceiptView
from torekes.web import i18n
from torekes.web.fields import Key, Memo, PathId, TypedAmount
from torekes.web.form_pages import drawn_on
from torekes.web.forms import minor_units
from torekes.web.problems import N_
from torekes.web.roles import SHOP_KEEPERS
from torekes.web.session import CurrentPage, PageContext
from torekes.web.shop.forms import at_the_counter
from torekes.web.shop.keepers import shops
from torekes.web.writes import write_once_as_api

router = APIRouter(include_in_schema=False)

CHANNELS = {"request": N_("QR code"), "standing": N_("Shop QR code"), "card": N_("Card")}
REFUND_WORDS = {
    "insufficient_funds": N_("The shop does not have enough tokens to refund this."),
}


@dataclass(frozen=True, slots=True)
class ShopDay:
    """A shop's payments of today, newest first, and what they add up to."""

    shop: AccountView
    decimals: int
    receipts: list[ReceiptView]

    @property
    def paid(self) -> int:
        return sum(r.payment_amount for r in self.receipts if not r.payment_reversed)

    @property
    def refunded(self) -> int:
        return sum(
            line.amount
            for r in self.receipts
            if not r.payment_reversed
            for line in r.refunds
            if not line.reversed
        )


@router.get("/shop")
def payments_today(page: CurrentPage) -> Response:
    """Each shop's payments of today (in the installation's time zone) and its day total."""
    actor = page.require(*SHOP_KEEPERS)
    days = [
        ShopDay(shop, page.decimals_of(shop.currency), _todays_receipts(page, actor, shop.id))
        for shop in shops(page, actor)
    ]
    return page.render(
        "shop/payments.html",
        days=days,
        channels=CHANNELS,
        clock_time=lambda when: _clock_time(page.lang, page.settings.timezone, when),
    )


@router.post("/shop/payments/{transaction_id}/refund")
@drawn_on(lambda page, _path: payments_today(page))
def refund(
    page: CurrentPage,
    transaction_id: PathId,
    key: Key = "",
    amount: TypedAmount = "",
    reason: Memo = "",
) -> Response:
    """Give back all that is left of a payment, or the amount typed, as the API's refund does."""
    reason = reason.strip()
    with at_the_counter(page, "/shop", REFUND_WORDS) as actor:
        payment = payments.receipt(page.db, actor, transaction_id)
        currency = page.currency_of(payment.currency)
        decimals = currency.decimals
        typed = minor_units(amount, currency, page.lang) if amount.strip() else None
        done = write_once_as_api(
            page,
            actor,
            key,
            {"amount": typed, "reason": reason},
            lambda ctx: payments.refund(ctx, transaction_id, typed, reason),
            ReceiptOut,
        )
    return page.render("shop/refunded.html", 201, receipt=done, decimals=decimals)


def _todays_receipts(page: PageContext, actor: Principal, shop_id: int) -> list[ReceiptView]:
    since = period_start(clock.now(), LimitPeriod.DAY, ZoneInfo(page.settings.timezone))
    found: list[int] = []
    cursor = None
    while True:
        query = PaymentQuery(shop_id, since=since, cursor=cursor, limit=MAX_PAGE_SIZE)
        batch = payments.list_payments(page.db, actor, query)
        found += [payment.transaction_id for payment in batch.items]
        if batch.next_cursor is None:
            return payments.receipts(page.db, actor, found)
        cursor = batch.next_cursor


def _clock_time(lang: str, zone: str, when: datetime) -> str:
    return format_time(when, format="short", tzinfo=ZoneInfo(zone), locale=i18n.locale_of(lang))
