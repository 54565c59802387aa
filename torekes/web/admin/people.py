"""Users and member cards: the users with their roles, and administrators making new ones; the
member cards, issuing one to a member with a PIN (shown once, on the answer to the form, and
never again: the same form sent again leads to the card, not to its PIN), blocking, unlocking,
and the printable card the API prints too."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from torekes.api.schemas import MAX_ID
from torekes.approvals import four_eyes
from torekes.documents.sheets import Reader, render_card
from torekes.domain.access import Role
from torekes.identity import users
from torekes.identity.users import UserCommand
from torekes.spending import cards
from torekes.web.admin.approvals import filed_or
from torekes.web.admin.forms import Reason, write_and_redirect
from torekes.web.admin.rendering import render
from torekes.web.fields import MAX_NAME, Key, PathId, Secret
from torekes.web.form_pages import drawn_on
from torekes.web.problems import N_
from torekes.web.roles import ADMIN_ACTORS, ADMIN_READERS
from torekes.web.session import CurrentPage
from torekes.web.writes import new_key, run_once

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
PIN_DIGITS = 6
Cursor = Annotated[str | None, Query(max_length=20)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Field = Annotated[str, Form(max_length=MAX_NAME)]


@router.get("/admin/users")
def user_list(page: CurrentPage, cursor: Cursor = None, created: OptionalId = None) -> Response:
    who = page.require(*ADMIN_READERS)
    with page.explaining():
        found = users.list_users(page.db, who, cursor, PAGE_SIZE)
        made = None if created is None else users.get_user(page.db, created)
    return render(
        page,
        "admin/users.html",
        who,
        users=found.items,
        next_cursor=found.next_cursor,
        created=made,
        roles=[role.value for role in Role],
    )


@router.post("/admin/users")
@drawn_on(lambda page, _path: user_list(page))
def create_user(
    page: CurrentPage,
    username: Field = "",
    display_name: Field = "",
    role: Field = "",
    password: Secret = "",
    key: Key = "",
) -> Response:
    if role not in {member.value for member in Role}:
        refusal, field = N_("Choose a role from the list."), "role"
    elif not display_name.strip():
        refusal, field = N_("Type the person's name."), "display_name"
    else:
        refusal, field = None, None
    return write_and_redirect(
        page,
        key,
        {"username": username.strip(), "display_name": display_name.strip(), "role": role},
        lambda ctx: four_eyes.create_user(
            ctx, UserCommand(username.strip(), display_name.strip(), Role(role), password)
        ),
        lambda made: filed_or(f"/admin/users?created={made.id}")(made),
        refusal,
        field,
    )


@router.get("/admin/cards")
def card_list(
    page: CurrentPage,
    cursor: Cursor = None,
    member: OptionalId = None,
    pin_reset: OptionalId = None,
) -> Response:
    who = page.require(*ADMIN_READERS)
    with page.explaining():
        found = cards.list_cards(page.db, page.settings, who, None, None, cursor, PAGE_SIZE)
    return render(
        page,
        "admin/cards.html",
        who,
        cards=found.items,
        next_cursor=found.next_cursor,
        member=member,
        pin_reset=pin_reset,
        new_key=new_key,
    )


@router.post("/admin/cards")
@drawn_on(lambda page, _path: card_list(page))
def issue_card(
    page: CurrentPage,
    member_id: Annotated[str, Form(max_length=20)] = "",
    pin: Annotated[str, Form(max_length=20)] = "",
    key: Key = "",
) -> Response:
    """Issue the member a card; without a PIN typed, a random one. The answer shows the PIN
    once; it is not kept anywhere but as a hash, so reloading cannot show it again: the same
    form sent again leads to the card issued the first time."""
    who = page.require(*ADMIN_ACTORS)
    number = member_id.strip()
    if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= MAX_ID:
        return page.refuse(N_("Type the member's number (see Users)."), field="member_id")
    chosen = pin.strip() or "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    with page.explaining():
        # What is kept for a repeat names the card, never its PIN or code.
        made = run_once(
            page,
            who,
            key,
            {"member_id": int(number)},
            lambda ctx: cards.issue_card(ctx, page.settings, int(number), chosen),
            lambda card: (201, {"card_id": card.id}),
        )
        card_id = int(made.body["card_id"])
        if made.replayed:
            return page.redirect(f"/admin/cards#card-{card_id}")
        issued = cards.get_card(page.db, page.settings, who, card_id)
    shown = page.render("admin/card_issued.html", 201, card=issued, pin=chosen)
    shown.headers["Cache-Control"] = "no-store"
    return shown


@router.post("/admin/cards/{card_id}/block")
@drawn_on(lambda page, _path: card_list(page))
def block_card(page: CurrentPage, card_id: PathId, reason: Reason = "", key: Key = "") -> Response:
    """Block a card for good: its code and number stop working; the balance stays."""
    return write_and_redirect(
        page,
        key,
        {"reason": reason.strip()},
        lambda ctx: cards.block_card(ctx, page.settings, card_id, reason.strip()),
        f"/admin/cards#card-{card_id}",
    )


@router.post("/admin/cards/{card_id}/unlock")
@drawn_on(lambda page, _path: card_list(page))
def unlock_card(page: CurrentPage, card_id: PathId, key: Key = "") -> Response:
    """Unlock a card locked after five wrong PINs."""
    return write_and_redirect(
        page,
        key,
        {},
        lambda ctx: cards.unlock_card(ctx, page.settings, card_id),
        f"/admin/cards#card-{card_id}",
    )


@router.get("/admin/cards/{card_id}/print")
def print_card(page: CurrentPage, card_id: PathId) -> Response:
    """The card at bank-card size, as ``GET /api/v1/cards/{id}/print`` prints it."""
    who = page.require(*ADMIN_READERS)
    with page.explaining():
        card = cards.get_card(page.db, page.settings, who, card_id)
    return page.finish(HTMLResponse(render_card(card, Reader(page.lang, page.settings.timezone))))
