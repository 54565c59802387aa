"""The shopkeeper's pages beyond the till: today's payments with their refunds, charging a member
card (its number typed or its QR scanned with the camera, then the member types the PIN), and
asking to redeem tokens for euros.

A write that a double tap could repeat (a card payment, a refund, a redemption request) carries a
random key, made when its form was drawn, and runs through the same idempotent write as the API's
``Idempotency-Key``: a second tap shows the first outcome and changes nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_time
from babel.numbers import format_currency
from fastapi import APIRouter, Form, Path
from fastapi.responses import Response
from pydantic import BaseModel

from torekes.api.errors import status_of
from torekes.api.schemas import MAX_ID, ReceiptOut, RedemptionOut
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import PAYEE_KINDS, AccountKind, can_redeem
from torekes.domain.earning import LimitPeriod, period_start
from torekes.domain.redemption import euro_cents
from torekes.services import accounts, cards, clock, currencies, payments, payouts, redemptions
from torekes.services.accounts import AccountQuery
from torekes.services.cards import ChargeCommand
from torekes.services.pagination import MAX_PAGE_SIZE
from torekes.services.payments import PaymentQuery
from torekes.services.redemptions import RedemptionQuery
from torekes.services.unit_of_work import (
    StoredResponse,
    WriteContext,
    request_fingerprint,
    stored_response,
    write,
    write_idempotently,
)
from torekes.services.views import AccountView, ReceiptView, RedemptionView
from torekes.web.forms import minor_units
from torekes.web.problems import N_, plain_words
from torekes.web.session import Page

router = APIRouter(include_in_schema=False)

M = TypeVar("M", bound=BaseModel)

ShopId = Annotated[int, Form(ge=1, le=MAX_ID)]
Typed = Annotated[str, Form(max_length=30)]
Memo = Annotated[str, Form(max_length=200)]
Key = Annotated[str, Form(max_length=255)]
CardText = Annotated[str, Form(max_length=cards.MAX_CARD_INPUT_LENGTH)]

RECENT_REDEMPTIONS = 50
MAX_PAYOUT_NAME = 70

CHANNELS = {"request": N_("QR code"), "standing": N_("Shop QR code"), "card": N_("Card")}
STATES = {
    "requested": N_("Requested"),
    "approved": N_("Approved"),
    "paid": N_("Paid"),
    "rejected": N_("Rejected"),
}
# A card payment's refusals, said to the shopkeeper and the member at the counter: the wallet
# that falls short or is frozen is the card member's, not the reader's.
CARD_WORDS = {
    "insufficient_funds": N_("The card's wallet does not have enough tokens for this."),
    "no_member_account": N_("The card's member has no wallet in this currency."),
    "account_frozen": N_("A wallet of this payment is frozen. Ask at the neighbourhood counter."),
    "daily_limit_exceeded": N_("This would go over what the member may spend today."),
}
REFUND_WORDS = {
    "insufficient_funds": N_("The shop does not have enough tokens to refund this."),
}
REDEEM_WORDS = {
    "insufficient_funds": N_("The shop does not have that many tokens available."),
}
CARD_NOW_LOCKED = N_(
    "The PIN was wrong too often: the card is now locked. An administrator can unlock it."
)
NAME_REQUIRED = N_("Type the name of the bank account's holder.")


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


@dataclass(frozen=True, slots=True)
class ChargeForm:
    """What the card form asked, carried to the PIN page in hidden fields."""

    shop: AccountView
    card: str
    amount: str
    minor: int
    memo: str
    decimals: int

    def fingerprint(self) -> str:
        """The payment asked for, without the PIN: a retry with another PIN is the same payment."""
        asked = {"shop": self.shop.id, "card": self.card, "amount": self.minor, "memo": self.memo}
        return request_fingerprint("POST", "/shop/card/pay", json.dumps(asked).encode())


# --- payments today and refunds ---------------------------------------------------------------


@router.get("/shop")
def payments_today(page: Page) -> Response:
    """Each shop's payments of today (in the installation's time zone) and its day total."""
    actor = page.guard(Role.SHOPKEEPER)
    if isinstance(actor, Response):
        return actor
    days = [
        ShopDay(shop, page.decimals_of(shop.currency), _todays_receipts(page, actor, shop.id))
        for shop in _shops(page, actor)
    ]
    return page.render(
        "shop_payments.html",
        days=days,
        channels=CHANNELS,
        new_key=new_key,
        clock_time=lambda when: _clock_time(page.lang, page.settings.timezone, when),
    )


@router.post("/shop/payments/{transaction_id}/refund")
def refund(
    page: Page,
    transaction_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    key: Key = "",
    amount: Typed = "",
    reason: Memo = "",
) -> Response:
    """Give back all that is left of a payment, or the amount typed, as the API's refund does."""
    actor = _keeper(page, "/shop")
    if isinstance(actor, Response):
        return actor
    reason = reason.strip()
    try:
        payment = payments.receipt(page.db, actor, transaction_id)
        decimals = page.decimals_of(payment.currency)
        typed = minor_units(amount, decimals) if amount.strip() else None
        done = _once(
            page,
            actor,
            key,
            {"amount": typed, "reason": reason},
            lambda ctx: payments.refund(ctx, transaction_id, typed, reason),
            ReceiptOut,
        )
    except errors.TorekesError as error:
        return _refused(page, error, "/shop", REFUND_WORDS)
    return page.render("shop_refunded.html", 201, receipt=done, decimals=decimals)


# --- charging a member card ---------------------------------------------------------------------


@router.get("/shop/card")
def card_form(page: Page) -> Response:
    """The shop, the amount and the card (typed, or scanned where the browser can)."""
    actor = page.guard(Role.SHOPKEEPER)
    if isinstance(actor, Response):
        return actor
    return page.render("shop_card.html", shops=_shops(page, actor))


@router.post("/shop/card")
def pin_form(
    page: Page,
    shop: ShopId,
    card: CardText = "",
    amount: Typed = "",
    memo: Memo = "",
) -> Response:
    """The second step: the device goes to the member, who types the PIN. The card itself is
    looked up only with the PIN, where every unknown card counts against the shop."""
    actor = _keeper(page, "/shop/card")
    if isinstance(actor, Response):
        return actor
    try:
        form = _charge_form(page, actor, shop, card, amount, memo)
    except errors.TorekesError as error:
        return _refused(page, error, "/shop/card", CARD_WORDS)
    return _pin_page(page, form, new_key())


@router.post("/shop/card/pay")
def charge(
    page: Page,
    shop: ShopId,
    card: CardText = "",
    amount: Typed = "",
    memo: Memo = "",
    pin: Annotated[str, Form(max_length=20)] = "",
    key: Key = "",
) -> Response:
    """Charge the card with the PIN typed, as ``POST /card-payments`` does; a retry with the same
    key shows the first receipt without trying the PIN again."""
    actor = _keeper(page, "/shop/card")
    if isinstance(actor, Response):
        return actor
    try:
        form = _charge_form(page, actor, shop, card, amount, memo)
    except errors.TorekesError as error:
        return _refused(page, error, "/shop/card", CARD_WORDS)
    try:
        stored = _charge_once(page, actor, form, pin, key)
    except errors.WrongPin as error:
        left = int(error.extra.get("tries_left", 0))
        if left:
            return _pin_page(page, form, key, tries_left=left)
        return page.render("shop_problem.html", 409, message=CARD_NOW_LOCKED, back="/shop/card")
    except errors.TorekesError as error:
        return _refused(page, error, "/shop/card", CARD_WORDS)
    receipt = ReceiptOut.model_validate(stored.body)
    return page.render("shop_receipt.html", 201, receipt=receipt, decimals=form.decimals)


# --- redeeming tokens for euros -----------------------------------------------------------------


@router.get("/shop/redeem")
def redeem_page(page: Page) -> Response:
    """Each shop's available tokens and their euro value, where its euros go, a form to ask for a
    redemption, and its redemptions with their state."""
    actor = page.guard(Role.SHOPKEEPER)
    if isinstance(actor, Response):
        return actor
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
        for shop in _shops(page, actor)
    ]
    return page.render(
        "shop_redeem.html",
        items=items,
        states=STATES,
        new_key=new_key,
        euros=lambda cents: _euros(page.lang, cents),
        euro_cents=euro_cents,
    )


@router.post("/shop/redeem")
def request_redemption(
    page: Page,
    account: ShopId,
    key: Key = "",
    amount: Typed = "",
    memo: Memo = "",
) -> Response:
    """Ask to redeem an amount, as ``POST /redemptions`` does; it is held at once."""
    actor = _keeper(page, "/shop/redeem")
    if isinstance(actor, Response):
        return actor
    memo = memo.strip()
    try:
        shop = _own_shop(page, actor, account)
        decimals = page.decimals_of(shop.currency)
        typed = minor_units(amount, decimals)
        done = _once(
            page,
            actor,
            key,
            {"account": account, "amount": typed, "memo": memo},
            lambda ctx: redemptions.request(ctx, account, typed, memo),
            RedemptionOut,
        )
    except errors.TorekesError as error:
        return _refused(page, error, "/shop/redeem", REDEEM_WORDS)
    return page.render("shop_redeemed.html", 201, redemption=done, decimals=decimals)


@router.post("/shop/redeem/payout")
def set_payout(
    page: Page,
    account: ShopId,
    iban: Annotated[str, Form(max_length=42)] = "",
    payout_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set the IBAN and the name the shop's euros are paid to, as ``PUT /accounts/{id}/payout``."""
    actor = _keeper(page, "/shop/redeem")
    if isinstance(actor, Response):
        return actor
    name = payout_name.strip()
    if not name or len(name) > MAX_PAYOUT_NAME or "\x00" in name:
        return page.render("shop_problem.html", 422, message=NAME_REQUIRED, back="/shop/redeem")
    try:
        write(
            page.db,
            actor,
            lambda ctx: payouts.set_payout_details(ctx, account, iban, name),
        )
    except errors.TorekesError as error:
        return _refused(page, error, "/shop/redeem", {})
    return page.redirect(f"/shop/redeem#shop-{account}")


# --- helpers ------------------------------------------------------------------------------------


def _keeper(page: Page, form_path: str) -> Principal | Response:
    """The signed-in shopkeeper; signed out, sign in and come back to the form (a POST's own
    path cannot be opened again)."""
    if page.principal is None:
        return page.redirect(f"/login?next={form_path}")
    return page.guard(Role.SHOPKEEPER)


def new_key() -> str:
    """A fresh idempotency key for one form: 192 random bits."""
    return secrets.token_urlsafe(24)


def _shops(page: Page, actor: Principal) -> list[AccountView]:
    """The shop and partner accounts the signed-in keeper keeps (as the till finds them)."""
    query = AccountQuery(owner_id=actor.user_id, limit=MAX_PAGE_SIZE)
    owned = accounts.list_accounts(page.db, actor, query).items
    return [account for account in owned if account.kind in PAYEE_KINDS]


def _own_shop(page: Page, actor: Principal, account_id: int) -> AccountView:
    """One of the keeper's shops; another keeper's is refused as the API refuses it."""
    account = accounts.get_account(page.db, actor, account_id)
    if account.kind not in PAYEE_KINDS:
        raise errors.AccountKindNotAllowed(account_id=account_id)
    return account


def _todays_receipts(page: Page, actor: Principal, shop_id: int) -> list[ReceiptView]:
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


def _charge_form(
    page: Page, actor: Principal, shop_id: int, card: str, amount: str, memo: str
) -> ChargeForm:
    shop = _own_shop(page, actor, shop_id)
    decimals = page.decimals_of(shop.currency)
    minor = minor_units(amount, decimals)
    card = card.strip()
    if not card:
        raise errors.CardNotFound()
    return ChargeForm(shop, card, amount.strip(), minor, memo.strip(), decimals)


def _charge_once(
    page: Page, actor: Principal, form: ChargeForm, pin: str, key: str
) -> StoredResponse:
    fingerprint = form.fingerprint()
    stored = stored_response(page.db, actor, key, fingerprint)
    if stored is not None:  # a second tap: the first outcome, without trying the PIN again
        return stored
    command = ChargeCommand(form.shop.id, form.card, pin, form.minor, form.memo)
    return cards.charge(
        page.db,
        page.settings,
        actor,
        command,
        lambda operation: write_idempotently(
            page.db, actor, key, fingerprint, operation, _rendered(ReceiptOut)
        ),
    )


def _pin_page(page: Page, form: ChargeForm, key: str, tries_left: int | None = None) -> Response:
    return page.render(
        "shop_pin.html",
        403 if tries_left else 200,
        form=form,
        key=key,
        decimals=form.decimals,
        tries_left=tries_left,
    )


def _once(
    page: Page,
    actor: Principal,
    key: str,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], object],
    schema: type[M],
) -> M:
    """Run a write once for its form's key: a repeat with the key shows the first outcome."""
    fingerprint = request_fingerprint("POST", page.request.url.path, json.dumps(asked).encode())
    stored = write_idempotently(page.db, actor, key, fingerprint, operation, _rendered(schema))
    return schema.model_validate(stored.body)


def _rendered(schema: type[BaseModel]) -> Callable[[object], tuple[int, Any]]:
    """How an outcome is stored: as the API stores it, so a replay reads the same."""
    return lambda result: (201, schema.model_validate(result).model_dump(mode="json"))


def _refused(page: Page, error: errors.TorekesError, back: str, words: dict[str, str]) -> Response:
    message = words.get(error.code) or plain_words(error)
    return page.render("shop_problem.html", status_of(error), message=message, back=back)


def _clock_time(lang: str, zone: str, when: datetime) -> str:
    return format_time(when, format="short", tzinfo=ZoneInfo(zone), locale=lang)


def _euros(lang: str, cents: int) -> str:
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=lang)
