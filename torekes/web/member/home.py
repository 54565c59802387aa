"""The way in: signing in with a username and password or with a member card's number and PIN,
signing out, and the language switch. Every signed-in person uses them, whatever their role."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response
from starlette.datastructures import FormData

from torekes.api.client import client_address
from torekes.api.errors import status_of
from torekes.domain import errors
from torekes.identity import auth
from torekes.spending import card_sign_in
from torekes.web import i18n
from torekes.web.fields import MAX_CARD_NUMBER, MAX_NAME, MAX_TYPED_PIN, Secret
from torekes.web.form_pages import drawn_on
from torekes.web.session import (
    LANGUAGE_COOKIE_AGE,
    SESSION_COOKIE,
    CurrentPage,
    PageContext,
    safe_next,
    sent_form,
)

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=MAX_NAME)]
NextPath = Annotated[str | None, Query(alias="next", max_length=500)]
FormNextPath = Annotated[str, Form(alias="next", max_length=500)]
# Why signing in with a card failed, by the refusal's code, as the form says it: a wrong number
# and a wrong PIN are one refusal, so that the page tells a stranger nothing about the card.
CARD_FAILURES = {"invalid_credentials": "wrong", "too_many_attempts": "wait"}
SentForm = Annotated[FormData | None, Depends(sent_form)]
# Fields of a form the language switch never carries into an address: what makes the form
# act once and what proves it came from this site, and anything secret.
NEVER_KEPT = frozenset({"csrf_token", "key", "next"})
SECRET_FIELDS = ("password", "pin", "secret", "token")


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
    """The language switch's link: back to the same page, with its query."""
    if code in i18n.LANGUAGES:
        page.keep(i18n.LANGUAGE_COOKIE, code, LANGUAGE_COOKIE_AGE)
    return page.redirect(safe_next(next_path))


@router.post("/language/{code}")
def choose_language_keeping_typed(page: CurrentPage, code: str, form: SentForm) -> Response:
    """The language switch on a page with a form: its buttons send that form here (``formaction``,
    no script), and the page comes back in the other language with what was typed in its query,
    which the page fills in again. Nothing is written, so there is no one-time key; the form's
    key, CSRF token and anything secret (passwords, PINs) never go into the address."""
    if code in i18n.LANGUAGES:
        page.keep(i18n.LANGUAGE_COOKIE, code, LANGUAGE_COOKIE_AGE)
    fields = form or FormData()
    back = fields.get("next")
    return page.redirect(
        typed_values_kept(safe_next(back if isinstance(back, str) else None), fields)
    )


def typed_values_kept(target: str, form: FormData) -> str:
    """``target`` with the form's typed values in its query, in place of any it had already."""
    typed = [
        (name, value)
        for name, value in form.multi_items()
        if isinstance(value, str) and value and not _never_kept(name)
    ]
    if not typed:
        return target
    path, _, query = target.partition("?")
    names = {name for name, _value in typed}
    others = [(n, v) for n, v in parse_qsl(query, keep_blank_values=True) if n not in names]
    return f"{path}?{urlencode(others + typed)}"


def _never_kept(name: str) -> bool:
    lowered = name.lower()
    return lowered in NEVER_KEPT or any(secret in lowered for secret in SECRET_FIELDS)
