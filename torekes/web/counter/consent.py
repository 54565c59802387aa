"""The two steps of an act done with a member's card and PIN: the card number, checked for its
form and check digit before any PIN is asked (no database, so nothing is learnt of which cards
exist); then the PIN page, handed to the member, whose form carries the first step's one-time key
(drawn into the first step's form), so the first step sent again (the back button) and the PIN
typed again find the first outcome. A wrong PIN asks again with a new key (the next PIN is a new
try); the fifth locks the card."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any

from fastapi import Form
from fastapi.responses import Response

from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.cards import check_typed_card
from torekes.spending.cards import MAX_CARD_INPUT_LENGTH
from torekes.web.problems import N_
from torekes.web.session import PageContext
from torekes.web.writes import (
    Outcome,
    StoredAs,
    committing_once,
    first_outcome,
    form_fingerprint,
)

# The page that says no on these forms, with the way back to the form (``back``).
PROBLEM = "counter/problem.html"
CardText = Annotated[str, Form(max_length=MAX_CARD_INPUT_LENGTH)]
Pin = Annotated[str, Form(max_length=20)]
CARD_NOW_LOCKED = N_(
    "The PIN was wrong too often: the card is now locked. An administrator can unlock it."
)


# The refusals said of the member rather than of the reader, who acts for them.
MEMBER_WORDS = {
    "member_limit_reached": N_("This member has already claimed this as often as they may."),
    "member_daily_limit_reached": N_("This member has already claimed this today."),
    "member_weekly_limit_reached": N_("This member has already claimed this this week."),
    "no_member_account": N_("This member has no wallet in this currency yet."),
    "account_frozen": N_("This member's wallet is frozen. Ask an administrator."),
}


def explaining(page: PageContext, back: str) -> AbstractContextManager[None]:
    """Inside, a refusal draws the form again (or this area's page in plain words, with the way
    back to ``back``), said of the member where it is about them."""
    return page.explaining(MEMBER_WORDS, PROBLEM, back=back)


def typed_card(card: str) -> str:
    """The card as typed, refused when empty or mistyped."""
    card = card.strip()
    if not card:
        raise errors.CardNotFound()
    check_typed_card(card)
    return card


def pin_page(
    page: PageContext,
    action: str,
    fields: dict[str, str],
    key: str,
    cancel: str,
    tries_left: int | None = None,
    **values: Any,
) -> Response:
    """The page handed to the member: the PIN, with the first step's ``fields`` carried along
    under ``key`` (the first step's, or a new one after a wrong PIN), and a way back to the
    first step's form (``cancel``); nothing else of the reader's (no menu, no sign-out)."""
    return page.render(
        "counter/pin.html",
        403 if tries_left else 200,
        action=action,
        cancel=cancel,
        fields=fields,
        key=key,
        tries_left=tries_left,
        **values,
    )


def consented_once(
    page: PageContext,
    actor: Principal,
    key: str,
    asked: dict[str, Any],
    stored_as: StoredAs[Any],
    act: Callable[[Callable[[Any], Outcome]], Outcome],
) -> Outcome:
    """The act, run once per ``key``: a repeat answers the first outcome without trying the PIN
    again (``asked`` holds the PIN, so the same form with another PIN is another request)."""
    fingerprint = form_fingerprint(page.request.url.path, asked)
    stored = first_outcome(page, actor, key, fingerprint)
    if stored is not None:
        return stored
    return act(committing_once(page, actor, key, fingerprint, stored_as))
