"""Your account: changing your own password with the current one, and a member the PIN of their
card with the current PIN, on the phone, as ``POST /me/password`` and ``POST /cards/{id}/pin``
do.

A password change keeps this page's sign-in and signs every other out; a wrong current password
counts as a failed sign-in. A wrong current PIN counts against the card like one at a shop. Each
form carries a one-time key: a double tap or a reload shows the first outcome without trying the
old password or PIN again; the same form with other passwords or PINs is refused as reused. What
the form asked is kept only as a digest keyed with the secret key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.api.client import client_address
from torekes.domain.access import Role
from torekes.domain.cards import CardStatus
from torekes.identity import lifecycle
from torekes.spending import card_pins, cards
from torekes.web.fields import FormId, Key, Secret
from torekes.web.form_pages import drawn_on
from torekes.web.problems import N_
from torekes.web.session import CurrentPage, PageContext
from torekes.web.writes import (
    Operation,
    committing_once,
    first_outcome,
    form_fingerprint,
    new_key,
)

router = APIRouter(include_in_schema=False)

T = TypeVar("T")
ACCOUNT_PAGE = "/account"
DONE = {"password", "pin"}
ACCOUNT_PROBLEM = "member/account_problem.html"
NOT_THE_SAME = N_("The two new ones are not the same. Type them again.")


@router.get(ACCOUNT_PAGE)
def account_page(page: CurrentPage, done: str | None = None) -> Response:
    """The forms to change your password and, with a card, its PIN."""
    who = page.require()
    card = None
    if who.role == Role.MEMBER:
        found = cards.list_cards(
            page.db, page.settings, who, who.user_id, CardStatus.ACTIVE, None, 1
        )
        card = found.items[0] if found.items else None
    return page.render(
        "member/account.html",
        card=card,
        done=done if done in DONE else None,
        password_key=new_key(),
        pin_key=new_key(),
    )


@router.post(f"{ACCOUNT_PAGE}/password")
@drawn_on(lambda page, _path: account_page(page))
def change_password(
    page: CurrentPage,
    current_password: Secret = "",
    new_password: Secret = "",
    repeat_password: Secret = "",
    key: Key = "",
) -> Response:
    who = page.require(back=ACCOUNT_PAGE)
    if new_password != repeat_password:
        return page.refuse(NOT_THE_SAME, 422, ACCOUNT_PROBLEM, field="repeat_password")
    assert page.token is not None  # a signed-in page has its token
    token = page.token
    with page.explaining(None, ACCOUNT_PROBLEM):
        _once(
            page,
            key,
            # The passwords too, so the same form with others is refused, not answered by the
            # first outcome (the fingerprint is keyed with the secret key).
            {"user": who.user_id, "current": current_password, "new": new_password},
            lambda commit: lifecycle.change_own_password(
                page.db,
                page.settings,
                who,
                token,
                current_password,
                new_password,
                client_address(page.request),
                commit,
            ),
        )
    return page.redirect(f"{ACCOUNT_PAGE}?done=password")


@router.post(f"{ACCOUNT_PAGE}/pin")
@drawn_on(lambda page, _path: account_page(page))
def change_pin(
    page: CurrentPage,
    card: FormId,
    current_pin: Secret = "",
    new_pin: Secret = "",
    repeat_pin: Secret = "",
    key: Key = "",
) -> Response:
    who = page.require(back=ACCOUNT_PAGE)
    if new_pin.strip() != repeat_pin.strip():
        return page.refuse(NOT_THE_SAME, 422, ACCOUNT_PROBLEM, field="repeat_pin")
    with page.explaining(None, ACCOUNT_PROBLEM):
        _once(
            page,
            key,
            {"card": card, "current": current_pin.strip(), "new": new_pin.strip()},
            lambda commit: card_pins.change_pin(
                page.db,
                page.settings,
                who,
                card,
                current_pin.strip(),
                new_pin.strip(),
                commit,
            ),
        )
    return page.redirect(f"{ACCOUNT_PAGE}?done=pin")


def _once(
    page: PageContext,
    key: str,
    asked: dict[str, Any],
    change: Callable[[Callable[[Operation[object]], object]], object],
) -> None:
    """Run ``change`` once per form key: a repeat of the form is answered by the stored outcome
    before the old password or PIN is tried again."""
    who = page.require()
    fingerprint = form_fingerprint(page.request.url.path, asked)
    if first_outcome(page, who, key, fingerprint) is not None:
        return
    change(committing_once(page, who, key, fingerprint, lambda _done: (200, {})))
