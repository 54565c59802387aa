"""A member's statement at the counter: a shopkeeper (or an administrator at the desk) types the
member's card number, the member types the PIN, and the page turned towards the member shows
their balance and latest entries, each said as the member's own wallet says it (a reward names its
activity, a payment its shop, a refund says so), ready to print, as shown by the actor for the
member."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.api.schemas import MemberStatementOut
from torekes.counter import acts
from torekes.domain import errors
from torekes.reporting import descriptions
from torekes.web.counter.consent import (
    CARD_NOW_LOCKED,
    PROBLEM,
    CardText,
    Pin,
    consented_once,
    explaining,
    pin_page,
    typed_card,
)
from torekes.web.fields import Key
from torekes.web.form_pages import drawn_on
from torekes.web.roles import MEMBER_SERVERS
from torekes.web.session import CurrentPage
from torekes.web.writes import as_api, carried_key, new_key

router = APIRouter(include_in_schema=False)

FORM = "/counter/member"
SHOW = "/counter/member/show"


@router.get(FORM)
def card_form(page: CurrentPage) -> Response:
    """The member's card number, typed by the person at the counter."""
    page.require(*MEMBER_SERVERS, back=FORM)
    return page.render("counter/member.html")


@router.post(FORM)
@drawn_on(lambda page, _path: card_form(page))
def asks_pin(page: CurrentPage, card: CardText = "", key: Key = "") -> Response:
    """The number checked for its form and check digit; then the device goes to the member,
    with the form's key."""
    page.require(*MEMBER_SERVERS, back=FORM)
    with explaining(page, FORM):
        key = carried_key(key)
        typed = typed_card(card)
    return pin_page(page, SHOW, {"card": typed}, key, FORM)


@router.post(SHOW)
@drawn_on(lambda page, _path: card_form(page))
def show(page: CurrentPage, card: CardText = "", pin: Pin = "", key: Key = "") -> Response:
    """The statement, with the PIN as the member's consent; a repeat of the form shows it again
    without trying the PIN again."""
    actor = page.require(*MEMBER_SERVERS, back=FORM)
    with explaining(page, FORM):
        typed = typed_card(card)
        try:
            stored = consented_once(
                page,
                actor,
                key,
                {"card": typed, "pin": pin},
                as_api(MemberStatementOut),
                lambda commit: acts.show_statement(
                    page.db, page.settings, actor, typed, pin, commit
                ),
            )
        except errors.WrongPin as error:
            left = int(error.extra.get("tries_left", 0))
            if left:
                return pin_page(page, SHOW, {"card": typed}, new_key(), FORM, tries_left=left)
            return page.refuse(CARD_NOW_LOCKED, 409, PROBLEM, back=FORM)
    shown = MemberStatementOut.model_validate(stored.body)
    decimals = {wallet.currency: page.decimals_of(wallet.currency) for wallet in shown.wallets}
    # Each line said as the member's own wallet says it, from its kind and parameters.
    listed = [line.transaction_id for wallet in shown.wallets for line in wallet.lines]
    about = descriptions.descriptions(page.db, listed)
    return page.render("counter/statement.html", shown=shown, decimals=decimals, about=about)
