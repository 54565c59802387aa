"""Redeeming tokens for euros: each shop's available tokens and their euro value, where its euros
go (the IBAN and the holder's name, which the keeper sets), a form to ask for a redemption (held
at once, as ``POST /redemptions`` holds it), and the shop's redemptions with their state.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from babel.numbers import format_currency
from fastapi import APIRouter, Form
from fastapi.responses import Response

from torekes.api.schemas import RedemptionOut
from torekes.domain.accounts import AccountKind, can_redeem
from torekes.domain.redemption import euro_cents
from torekes.ledger import currencies
from torekes.ledger.read_models import AccountView
from torekes.redemption import payouts, redemptions
from torekes.redemption.read_models import RedemptionView
from torekes.redemption.redemptions import RedemptionQuery
from torekes.web import i18n
from torekes.web.fields import MAX_NAME, MAX_PAYOUT_NAME, FormId, Iban, Key, Memo, TypedAmount
from torekes.web.form_pages import drawn_on
from torekes.web.forms import minor_units
from torekes.web.problems import N_
from torekes.web.roles import SHOP_KEEPERS
from torekes.web.session import CurrentPage
from torekes.web.shop.forms import COUNTER_PROBLEM, at_the_counter
from torekes.web.shop.keepers import own_shop, shops
from torekes.web.writes import redirect_once, write_once_as_api

router = APIRouter(include_in_schema=False)

REDEEM_FORM = "/shop/redeem"
RECENT_REDEMPTIONS = 50

STATES = {
    "requested": N_("Requested"),
    "approved": N_("Approved"),
    "paid": N_("Paid"),
    "rejected": N_("Rejected"),
}
REDEEM_WORDS = {
    "insufficient_funds": N_("The shop does not have that many tokens available."),
}
NAME_REQUIRED = N_("Type the name of the bank account's holder.")


@dataclass(frozen=True, slots=True)
class ShopRedeem:
    """A shop account as the redeem page shows it: what it may redeem, where the euros go, and its
    redemptions."""

    shop: AccountView
    decimals: int
    rate: Decimal
    may_redeem: bool
    redemptions: list[RedemptionView]

    @property
    def payout_set(self) -> bool:
        return bool(self.shop.iban and self.shop.payout_name)


@router.get("/shop/redeem")
def redeem_page(page: CurrentPage) -> Response:
    """Each shop's available tokens and their euro value, where its euros go, a form to ask for a
    redemption, and its redemptions with their state."""
    actor = page.require(*SHOP_KEEPERS)
    known = {currency.code: currency for currency in currencies.list_currencies(page.db)}
    items = [
        ShopRedeem(
            shop=shop,
            decimals=known[shop.currency].decimals,
            rate=known[shop.currency].euro_rate,
            may_redeem=can_redeem(AccountKind(shop.kind), shop.redeemable),
            redemptions=redemptions.list_redemptions(
                page.db, actor, RedemptionQuery(account_id=shop.id, limit=RECENT_REDEMPTIONS)
            ).items,
        )
        for shop in shops(page, actor)
    ]
    return page.render(
        "shop/redeem.html",
        items=items,
        states=STATES,
        euros=lambda cents: _euros(page.lang, cents),
        euro_cents=euro_cents,
    )


@router.post("/shop/redeem")
@drawn_on(lambda page, _path: redeem_page(page))
def request_redemption(
    page: CurrentPage,
    account: FormId,
    key: Key = "",
    amount: TypedAmount = "",
    memo: Memo = "",
) -> Response:
    """Ask to redeem an amount, as ``POST /redemptions`` does; it is held at once."""
    memo = memo.strip()
    with at_the_counter(page, REDEEM_FORM, REDEEM_WORDS) as actor:
        shop = own_shop(page, actor, account)
        currency = page.currency_of(shop.currency)
        decimals = currency.decimals
        typed = minor_units(amount, currency, page.lang)
        done = write_once_as_api(
            page,
            actor,
            key,
            {"account": account, "amount": typed, "memo": memo},
            lambda ctx: redemptions.request(ctx, account, typed, memo),
            RedemptionOut,
        )
    return page.render("shop/redeemed.html", 201, redemption=done, decimals=decimals)


@router.post("/shop/redeem/payout")
@drawn_on(lambda page, _path: redeem_page(page))
def set_payout(
    page: CurrentPage,
    account: FormId,
    iban: Iban = "",
    payout_name: Annotated[str, Form(max_length=MAX_NAME)] = "",
    key: Key = "",
) -> Response:
    """Set the IBAN and the name the shop's euros are paid to, as ``PUT /accounts/{id}/payout``."""
    name = payout_name.strip()
    with at_the_counter(page, REDEEM_FORM) as actor:
        if not name or len(name) > MAX_PAYOUT_NAME or "\x00" in name:
            return page.refuse(
                NAME_REQUIRED, 422, COUNTER_PROBLEM, field="payout_name", back=REDEEM_FORM
            )
        return redirect_once(
            page,
            actor,
            key,
            {"account": account, "iban": iban, "payout_name": name},
            lambda ctx: payouts.set_payout_details(ctx, account, iban, name),
            f"{REDEEM_FORM}#shop-{account}",
        )


def _euros(lang: str, cents: int) -> str:
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=i18n.number_locale(lang))
