"""A user's life cycle on the administrator's pages: a user's page with deactivating,
reactivating and setting a new password, and a card's PIN reset (a new PIN the member chose, at
the desk) on the cards page; the same services as the API's.

Every form carries a one-time key and writes through ``write_and_redirect``, so a double tap or
a reload shows the first outcome instead of a refusal; what the form asked (the user or card,
and the password or PIN typed, so that the same form with another is refused as reused) is kept
only as a digest keyed with the secret key. Deactivating, reactivating or
setting the password of another administrator, while there is more than one, is filed for a
second administrator (four eyes), and the form leads to the filed request in the approvals
queue.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.approvals import four_eyes
from torekes.domain.access import Role
from torekes.identity import lifecycle
from torekes.identity.lifecycle import NewPassword
from torekes.spending import card_pins, cards
from torekes.spending.card_pins import NewPin
from torekes.web.admin.approvals import filed_or
from torekes.web.admin.forms import write_and_redirect
from torekes.web.admin.people import card_list
from torekes.web.admin.rendering import render
from torekes.web.fields import Key, PathId, Secret
from torekes.web.form_pages import drawn_on
from torekes.web.roles import ADMIN_ACTORS, ADMIN_READERS
from torekes.web.session import CurrentPage
from torekes.web.writes import new_key

router = APIRouter(include_in_schema=False)

CARDS_OF_A_USER = 20
DONE = {"deactivated", "reactivated", "password"}


@router.get("/admin/users/{user_id}")
def user_page(page: CurrentPage, user_id: PathId, done: str | None = None) -> Response:
    """One user: their role and state, their cards, and (for administrators) the life cycle's
    forms."""
    who = page.require(*ADMIN_READERS)
    with page.explaining():
        user = lifecycle.get_user(page.db, who, user_id)
        their_cards = (
            cards.list_cards(page.db, page.settings, who, user_id, None, None, CARDS_OF_A_USER)
            if user.role == Role.MEMBER
            else None
        )
    return render(
        page,
        "admin/user.html",
        who,
        person=user,
        cards=None if their_cards is None else their_cards.items,
        done=done if done in DONE else None,
        is_self=user.id == who.user_id,
        new_key=new_key,
    )


@router.post("/admin/users/{user_id}/deactivate")
@drawn_on(lambda page, path: user_page(page, int(path["user_id"])))
def deactivate(page: CurrentPage, user_id: PathId, key: Key = "") -> Response:
    """Deactivate the user: their tokens are revoked, sign-in and card payments refused."""
    return write_and_redirect(
        page,
        key,
        {"user": user_id},
        lambda ctx: four_eyes.deactivate_user(ctx, user_id),
        filed_or(f"/admin/users/{user_id}?done=deactivated"),
    )


@router.post("/admin/users/{user_id}/reactivate")
@drawn_on(lambda page, path: user_page(page, int(path["user_id"])))
def reactivate(page: CurrentPage, user_id: PathId, key: Key = "") -> Response:
    """Let a deactivated user sign in again."""
    return write_and_redirect(
        page,
        key,
        {"user": user_id},
        lambda ctx: four_eyes.reactivate_user(ctx, user_id),
        filed_or(f"/admin/users/{user_id}?done=reactivated"),
    )


@router.post("/admin/users/{user_id}/password")
@drawn_on(lambda page, path: user_page(page, int(path["user_id"])))
def set_password(
    page: CurrentPage, user_id: PathId, password: Secret = "", key: Key = ""
) -> Response:
    """Give the user a new password; every token of theirs is revoked."""
    page.require(*ADMIN_ACTORS)
    with page.explaining():
        chosen = NewPassword.of(password)
    return write_and_redirect(
        page,
        key,
        # The password too (the fingerprint is keyed with the secret key): the same form sent
        # with another one is refused as reused, not answered by the first.
        {"user": user_id, "password": password},
        lambda ctx: four_eyes.set_password(ctx, user_id, chosen, page.settings.four_eyes_above),
        filed_or(f"/admin/users/{user_id}?done=password"),
    )


@router.post("/admin/cards/{card_id}/reset-pin")
@drawn_on(lambda page, _path: card_list(page))
def reset_pin(page: CurrentPage, card_id: PathId, pin: Secret = "", key: Key = "") -> Response:
    """Give the card the new PIN its member chose; its wrong PINs and lock are cleared."""
    page.require(*ADMIN_ACTORS)
    with page.explaining():
        chosen = NewPin.of(page.settings, pin.strip())
    return write_and_redirect(
        page,
        key,
        {"card": card_id, "pin": pin.strip()},
        lambda ctx: card_pins.reset_pin(ctx, page.settings, card_id, chosen),
        f"/admin/cards?pin_reset={card_id}#card-{card_id}",
    )
