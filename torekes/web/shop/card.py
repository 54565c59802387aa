"""Charging a member card at the counter: the shopkeeper picks the shop, types the amount and the
card's number (or scans its QR with the camera); a number whose check digit does not fit is
refused as mistyped there, before any PIN is asked. Then the device goes to the member, who types
the PIN. The payment is ``POST /card-payments``'s, with the card form's one-time key, drawn into
the card form and carried on to the PIN page: a second tap, or the card form sent again by the
back button and the PIN typed again, shows the first outcome, or the first wrong PIN's page,
without trying the PIN again; the page that asks for the PIN again after a wrong one carries a
new key, since the next PIN is a new try.

A payment made leads to the hand-over view (``/shop/card/paid/{key}``), turned towards the member:
their new balance as the payment's write left it (kept with the form's outcome, never read
again), and nothing of the shop's (no menu, no shop balance, no other customer), with a printable
slip. Only the shopkeeper who sent the form finds its outcome under its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import Response
from pydantic import ValidationError

from torekes.api.schemas import ReceiptOut
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.cards import check_typed_card
from torekes.domain.entries import TransactionKind
from torekes.domain.spending import PaymentChannel
from torekes.ledger.read_models import AccountView
from torekes.spending import cards
from torekes.spending.cards import ChargeCommand
from torekes.web.confirming import ask_to_confirm
from torekes.web.fields import FormId, Key, Memo, TypedAmount
from torekes.web.form_pages import drawn_on
from torekes.web.forms import minor_units
from torekes.web.problems import N_
from torekes.web.session import CurrentPage, PageContext
from torekes.web.shop.forms import COUNTER_PROBLEM, at_the_counter
from torekes.web.shop.keepers import own_shop, shops_form
from torekes.web.writes import (
    Confirmation,
    Outcome,
    Unconfirmed,
    as_api,
    carried_key,
    check_confirmed,
    committing_once,
    first_outcome,
    form_fingerprint,
    new_key,
    outcome_of,
)

router = APIRouter(include_in_schema=False)

CARD_FORM = "/shop/card"
PAID = "/shop/card/paid"
MAX_KEY = 64
# The one-time key of the card form whose payment the hand-over view shows; a longer one names
# no page.
PaidKey = Annotated[str, Path(min_length=1, max_length=MAX_KEY)]
CardText = Annotated[str, Form(max_length=cards.MAX_CARD_INPUT_LENGTH)]
Pin = Annotated[str, Form(max_length=20)]

# A card payment's refusals, said to the shopkeeper and the member at the counter: the wallet
# that falls short or is frozen is the card member's, not the reader's.
CARD_WORDS = {
    "insufficient_funds": N_("The card's wallet does not have enough tokens for this."),
    "no_member_account": N_("The card's member has no wallet in this currency."),
    "account_frozen": N_("A wallet of this payment is frozen. Ask at the neighbourhood counter."),
    "daily_limit_exceeded": N_("This would go over what the member may spend today."),
}
CARD_NOW_LOCKED = N_(
    "The PIN was wrong too often: the card is now locked. An administrator can unlock it."
)


@dataclass(frozen=True, slots=True)
class SentCharge:
    """What the card form sends, as typed; the PIN page sends it again in hidden fields."""

    shop: int
    card: str
    amount: str
    memo: str
    confirm: str = ""


def sent_charge(
    shop: FormId,
    card: CardText = "",
    amount: TypedAmount = "",
    memo: Memo = "",
    confirm: TypedAmount = "",
) -> SentCharge:
    """The card form's fields, which both of its steps read."""
    return SentCharge(shop, card, amount, memo, confirm)


SentChargeForm = Annotated[SentCharge, Depends(sent_charge)]


@dataclass(frozen=True, slots=True)
class ChargeForm:
    """What the card form asked, carried to the PIN page in hidden fields."""

    shop: AccountView
    card: str
    amount: str
    minor: int
    memo: str
    decimals: int
    # The amount above which the card form asks to confirm it, and the amount it confirmed.
    confirmation: Confirmation

    def fingerprint(self, pin: str) -> str:
        """The payment asked for with this PIN: the same form sent again with the same PIN is a
        repeat (answered by its first outcome), with another PIN it is another request, refused
        as such (the page asking for the PIN again carries a new key). The fingerprint is keyed
        with the secret key, so the PIN cannot be read back from it."""
        asked = {
            "shop": self.shop.id,
            "card": self.card,
            "amount": self.minor,
            "memo": self.memo,
            "pin": pin,
        }
        return form_fingerprint("/shop/card/pay", asked)


@router.get(CARD_FORM)
def card_form(page: CurrentPage) -> Response:
    """The shop, the amount and the card (typed, or scanned where the browser can)."""
    return shops_form(page, "shop/card.html")


@router.post(CARD_FORM)
@drawn_on(lambda page, _path: card_form(page))
def pin_form(page: CurrentPage, sent: SentChargeForm, key: Key = "") -> Response:
    """The second step: the device goes to the member, who types the PIN. The card itself is
    looked up only with the PIN, where every unknown card counts against the shop. The PIN page
    carries the card form's own key: the card form sent again (the back button after paying)
    leads to the same payment, which a repeat finds made."""
    with at_the_counter(page, CARD_FORM, CARD_WORDS) as actor:
        key = carried_key(key)
        form = _asked(page, actor, sent)
        try:
            check_confirmed(form.confirmation, None)
        except Unconfirmed as unconfirmed:
            return _ask_to_confirm(page, unconfirmed, form)
    return _pin_page(page, form, key)


@router.post("/shop/card/pay")
@drawn_on(lambda page, _path: card_form(page))
def charge(page: CurrentPage, sent: SentChargeForm, pin: Pin = "", key: Key = "") -> Response:
    """Charge the card with the PIN typed, as ``POST /card-payments`` does; a retry with the same
    key shows the first receipt without trying the PIN again."""
    with at_the_counter(page, CARD_FORM, CARD_WORDS) as actor:
        form = _asked(page, actor, sent)
        try:
            _charge_once(page, actor, form, pin, key)
        except Unconfirmed as unconfirmed:  # a PIN page drawn without the confirmed amount
            return _ask_to_confirm(page, unconfirmed, form)
        except errors.WrongPin as error:
            left = int(error.extra.get("tries_left", 0))
            if left:
                return _pin_page(page, form, new_key(), tries_left=left)
            return page.refuse(CARD_NOW_LOCKED, 409, COUNTER_PROBLEM, back=CARD_FORM)
    return page.redirect(f"{PAID}/{key}")


@router.get(PAID + "/{key}")
def handed_over(page: CurrentPage, key: PaidKey) -> Response:
    """The hand-over view: what the member paid and their new balance, for the member to read."""
    receipt = _paid(page, key)
    return page.render(
        "shop/handover.html", receipt=receipt, decimals=page.decimals_of(receipt.currency), key=key
    )


@router.get(PAID + "/{key}/slip")
def slip(page: CurrentPage, key: PaidKey) -> Response:
    """The payment's slip for the member to take away, laid out for a receipt printer or A4."""
    receipt = _paid(page, key)
    decimals = page.decimals_of(receipt.currency)
    return page.render("shop/slip.html", receipt=receipt, decimals=decimals)


def _paid(page: PageContext, key: str) -> ReceiptOut:
    """The card payment the signed-in shopkeeper made with the form sent under ``key``."""
    with at_the_counter(page, CARD_FORM) as actor:
        body = outcome_of(page, actor, key).body
        try:
            receipt = ReceiptOut.model_validate(body)
        except ValidationError:  # the outcome of another of the keeper's forms
            raise errors.NotFound() from None
        paid = receipt.kind == TransactionKind.PAYMENT and receipt.channel == PaymentChannel.CARD
        if not paid or receipt.payer.balance_after is None:
            raise errors.NotFound()
        return receipt


def _asked(page: PageContext, actor: Principal, sent: SentCharge) -> ChargeForm:
    """The payment the card form asked for, as the keeper's shop, its amount and the card."""
    shop = own_shop(page, actor, sent.shop)
    currency = page.currency_of(shop.currency)
    minor = minor_units(sent.amount, currency, page.lang)
    card = sent.card.strip()
    if not card:
        raise errors.CardNotFound()
    check_typed_card(card)
    confirmation = Confirmation(minor, currency.confirm_above, sent.confirm)
    amount, memo = sent.amount.strip(), sent.memo.strip()
    return ChargeForm(shop, card, amount, minor, memo, currency.decimals, confirmation)


def _ask_to_confirm(page: PageContext, unconfirmed: Unconfirmed, form: ChargeForm) -> Response:
    """The card form's amount, asked to be confirmed before the device goes to the member."""
    return ask_to_confirm(page, unconfirmed, form.shop.currency, CARD_FORM)


def _charge_once(
    page: PageContext, actor: Principal, form: ChargeForm, pin: str, key: str
) -> Outcome:
    fingerprint = form.fingerprint(pin)
    stored = first_outcome(page, actor, key, fingerprint)
    check_confirmed(form.confirmation, stored)
    if stored is not None:  # a second tap: the first outcome, without trying the PIN again
        return stored
    command = ChargeCommand(form.shop.id, form.card, pin, form.minor, form.memo)
    return cards.charge(
        page.db,
        page.settings,
        actor,
        command,
        committing_once(page, actor, key, fingerprint, as_api(ReceiptOut)),
    )


def _pin_page(
    page: CurrentPage, form: ChargeForm, key: str, tries_left: int | None = None
) -> Response:
    return page.render(
        "shop/pin.html",
        403 if tries_left else 200,
        form=form,
        key=key,
        decimals=form.decimals,
        tries_left=tries_left,
    )
