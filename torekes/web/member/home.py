"""A member's home and the way in: signing in with a username and password or with a member
card's number and PIN, signing out, the language switch, the landing page (``/``: a member's
wallet, another role's own work, see ``roles.landing``) and everyone's wallet (``/wallet``).
Every signed-in person uses them, whatever their role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from torekes.api.client import client_address
from torekes.api.errors import status_of
from torekes.documents import qr
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.cards import CardStatus
from torekes.identity import auth
from torekes.ledger import accounts
from torekes.ledger.accounts import AccountQuery
from torekes.spending import card_sign_in, cards
from torekes.spending.read_models import CardView
from torekes.web import i18n
from torekes.web.fields import MAX_CARD_NUMBER, MAX_NAME, MAX_TYPED_PIN, Secret
from torekes.web.form_pages import drawn_on
from torekes.web.roles import WALLET, landing
from torekes.web.session import (
    LANGUAGE_COOKIE_AGE,
    SESSION_COOKIE,
    CurrentPage,
    PageContext,
    safe_next,
)

router = APIRouter(include_in_schema=False)

RECENT_ENTRIES = 10
Text = Annotated[str, Form(max_length=MAX_NAME)]
NextPath = Annotated[str | None, Query(alias="next", max_length=500)]
FormNextPath = Annotated[str, Form(alias="next", max_length=500)]
# Why signing in with a card failed, by the refusal's code, as the form says it: a wrong number
# and a wrong PIN are one refusal, so that the page tells a stranger nothing about the card.
CARD_FAILURES = {"invalid_credentials": "wrong", "too_many_attempts": "wait"}


@router.get("/login")
def login_form(page: CurrentPage, next_path: NextPath = None) -> Response:
    return _sign_in_form(page, "member/login.html", next_path)


@router.post("/login")
@drawn_on(lambda page, _path: login_form(page, _sent_next(page)))
def login(
    page: CurrentPage,
    username: Text,
    password: Secret,
    next_path: FormNextPath = "/",
) -> Response:
    try:
        issued = auth.sign_in(
            page.db, page.settings, username.strip(), password, client_address(page.request)
        )
    except (errors.InvalidCredentials, errors.RateLimited) as error:
        failed = "wait" if isinstance(error, errors.RateLimited) else "wrong"
        return _sign_in_again(page, "member/login.html", error, next_path, failed)
    return _signed_in(
        page, issued.access_token, next_path, page.settings.token_lifetime_days * 86400
    )


@router.get("/login/card")
def card_login_form(page: CurrentPage, next_path: NextPath = None) -> Response:
    """Signing in at the neighbourhood counter with a member card's number and its PIN."""
    return _sign_in_form(page, "member/login_card.html", next_path)


@router.post("/login/card")
@drawn_on(lambda page, _path: card_login_form(page, _sent_next(page)))
def card_login(
    page: CurrentPage,
    number: Annotated[str, Form(max_length=MAX_CARD_NUMBER)],
    pin: Annotated[str, Form(max_length=MAX_TYPED_PIN)],
    next_path: FormNextPath = "/",
) -> Response:
    try:
        issued = card_sign_in.sign_in_with_card(
            page.db, page.settings, number, pin, client_address(page.request)
        )
    except errors.TorekesError as error:
        failed = CARD_FAILURES.get(error.code)
        if failed is None:
            return page.problem(error)
        return _sign_in_again(page, "member/login_card.html", error, next_path, failed)
    # At a shared counter: a short session whose cookie ends with the browser.
    return _signed_in(page, issued.access_token, next_path, None)


def _sent_next(page: PageContext) -> str | None:
    """Where a sign-in form sent was to lead, for drawing it again."""
    sent = page.sent.get("next") if page.sent is not None else None
    return sent if isinstance(sent, str) else None


def _sign_in_form(page: PageContext, template: str, next_path: str | None) -> Response:
    """A way to sign in; someone signed in already goes straight on to where they were going."""
    if page.principal is not None:
        return page.redirect(safe_next(next_path))
    return page.render(template, next_path=safe_next(next_path))


def _sign_in_again(
    page: PageContext,
    template: str,
    error: errors.TorekesError,
    next_path: str,
    failed: str,
) -> Response:
    """The way to sign in once more, with the refusal's status, saying why it failed (``failed``)
    and keeping what was typed (but never the password or PIN)."""
    response = page.render(
        template, status_of(error), next_path=safe_next(next_path), failed=failed
    )
    if isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _signed_in(
    page: PageContext, access_token: str, next_path: str, max_age: int | None
) -> Response:
    """Keep the new session in its cookie (``None``: until the browser closes) and go on to where
    the person was going."""
    page.keep(SESSION_COOKIE, access_token, max_age)
    return page.redirect(safe_next(next_path))


@router.post("/logout")
def logout(
    page: CurrentPage,
) -> Response:
    if page.principal is not None and page.token is not None:
        auth.sign_out(page.db, page.settings, page.principal, page.token)
    page.keep(SESSION_COOKIE, "", None)
    return page.redirect("/login")


@router.get("/language/{code}")
def choose_language(page: CurrentPage, code: str, next_path: NextPath = None) -> Response:
    if code in i18n.LANGUAGES:
        page.keep(i18n.LANGUAGE_COOKIE, code, LANGUAGE_COOKIE_AGE)
    return page.redirect(safe_next(next_path))


@router.get("/")
def home(page: CurrentPage) -> Response:
    """Where each role lands: a member's wallet, another role's own work (``next=`` after
    signing in still wins: it leads past this page)."""
    actor = page.require(back="/")
    target = landing(actor.role)
    if target != "/":
        return page.redirect(target)
    return _wallet(page)


@router.get(WALLET)
def wallet(page: CurrentPage) -> Response:
    """The signed-in person's own wallet, whatever their role."""
    page.require(back=WALLET)
    return _wallet(page)


def _wallet(page: PageContext) -> Response:
    """Each of the person's accounts: the balance in large type and the latest entries."""
    actor = page.require()
    own = accounts.list_accounts(page.db, actor, AccountQuery(owner_id=actor.user_id)).items
    wallets = [
        (
            account,
            page.decimals_of(account.currency),
            accounts.statement(page.db, actor, account.id, None, RECENT_ENTRIES).items,
        )
        for account in own
    ]
    card = _active_card(page)
    return page.render(
        "member/wallet.html",
        wallets=wallets,
        card=card,
        card_svg=None if card is None else qr.inline_svg(card.url),
    )


def _active_card(page: PageContext) -> CardView | None:
    """A member's card, whose QR a shop can scan from the phone as from the printed card."""
    actor = page.principal
    if actor is None or actor.role is not Role.MEMBER:
        return None
    found = cards.list_cards(
        page.db, page.settings, actor, actor.user_id, CardStatus.ACTIVE, None, 1
    )
    return found.items[0] if found.items else None
