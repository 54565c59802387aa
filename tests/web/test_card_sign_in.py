"""Signing in at the counter with a member card and its PIN, and the card's QR in the wallet:
the same five-try lock as at a shop, failures counted per card number, nothing granted on a
wrong PIN."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.apps import app_for
from tests.support import PASSWORD, Actor, Ledger
from tests.web.conftest import BASE, csrf_of
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.kit.unit_of_work import write
from torekes.settings import Settings
from torekes.spending import cards
from torekes.spending.read_models import CardView
from torekes.web.session import SESSION_COOKIE

PIN = "2580"


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app_for(settings), base_url=BASE) as client:
        yield client


@pytest.fixture
def member(ledger: Ledger) -> Actor:
    ledger.currency()
    actor = ledger.user(Role.MEMBER, "elif")
    ledger.funded_member(actor, 120)
    return actor


@pytest.fixture
def card(ledger: Ledger, settings: Settings, member: Actor) -> CardView:
    admin = ledger.admin.principal
    return write(ledger.db, admin, lambda ctx: cards.issue_card(ctx, settings, member.id, PIN))


def _with_card(browser: TestClient, number: str, pin: str, next_path: str = "/") -> httpx2.Response:
    form = browser.get("/login/card")
    return browser.post(
        "/login/card",
        data={"number": number, "pin": pin, "next": next_path, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )


def _tokens(ledger: Ledger) -> int:
    with ledger.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(m.ApiToken)) or 0


def test_the_sign_in_page_offers_the_card(browser: TestClient) -> None:
    page = browser.get("/login?next=/c/abc")
    assert 'href="/login/card?next=/c/abc"' in page.text
    card_page = browser.get("/login/card", headers={"Accept-Language": "en"})
    assert '<label for="number">Card number</label>' in card_page.text
    assert '<label for="pin">PIN</label>' in card_page.text


def test_a_card_and_its_pin_sign_the_member_in(
    browser: TestClient, card: CardView, ledger: Ledger
) -> None:
    response = _with_card(browser, card.number, PIN, "/c/abc")
    assert response.status_code == 303
    assert response.headers["location"] == "/c/abc"
    wallet = browser.get("/")
    assert "Elif" in wallet.text or "120" in wallet.text
    assert ">120<" in wallet.text


def test_a_card_session_lasts_minutes_and_ends_with_the_browser(
    browser: TestClient, card: CardView, ledger: Ledger, settings: Settings
) -> None:
    """A counter's computer is shared: the session must not outlive the visit."""
    response = _with_card(browser, card.number, PIN)
    assert response.status_code == 303
    [cookie] = [
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith(f"{SESSION_COOKIE}=")
    ]
    assert "max-age" not in cookie.lower()
    assert "expires" not in cookie.lower()
    with ledger.db.read_session() as session:
        token = session.scalars(select(m.ApiToken).where(m.ApiToken.name == "card sign-in")).one()
        lifetime = token.expires_at - token.created_at
    assert lifetime <= timedelta(minutes=settings.card_session_minutes, seconds=5)
    assert lifetime >= timedelta(minutes=settings.card_session_minutes - 1)


def test_a_password_session_is_kept_for_the_token_lifetime(
    browser: TestClient, member: Actor, settings: Settings
) -> None:
    form = browser.get("/login")
    response = browser.post(
        "/login",
        data={"username": "elif", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert (
        f"max-age={settings.token_lifetime_days * 86400}" in response.headers["set-cookie"].lower()
    )


def test_a_wrong_pin_says_how_many_tries_are_left_and_grants_nothing(
    browser: TestClient, card: CardView, ledger: Ledger, settings: Settings
) -> None:
    before = _tokens(ledger)
    response = _with_card(browser, card.number.replace(" ", ""), "1111")
    assert response.status_code == 403
    assert "nog 4 keer" in response.text
    assert SESSION_COOKIE not in browser.cookies
    assert _tokens(ledger) == before
    right = _with_card(browser, card.number, PIN)
    assert right.status_code == 303
    shown = cards.get_card(ledger.db, settings, ledger.admin.principal, card.id)
    assert shown.tries_left == 5  # a right PIN clears the count


def test_five_wrong_pins_lock_the_card_for_the_counter_too(
    browser: TestClient, card: CardView, ledger: Ledger, settings: Settings
) -> None:
    statuses = [_with_card(browser, card.number, f"{1000 + n}").status_code for n in range(5)]
    assert statuses == [403, 403, 403, 403, 409]
    assert cards.get_card(ledger.db, settings, ledger.admin.principal, card.id).locked
    locked = _with_card(browser, card.number, PIN)
    assert locked.status_code in (409, 429)  # locked, and the number's failures are counted too
    assert SESSION_COOKIE not in browser.cookies


@pytest.mark.parametrize("typed", ["1234567890", "12345", "not a number", "9" * 40])
def test_a_number_that_is_no_card_is_refused(
    browser: TestClient, card: CardView, ledger: Ledger, typed: str
) -> None:
    before = _tokens(ledger)
    response = _with_card(browser, typed, PIN)
    assert response.status_code == 401
    assert "geen kaartnummer" in response.text
    assert _tokens(ledger) == before


def test_failures_on_one_number_are_rate_limited(browser: TestClient, member: Actor) -> None:
    statuses = [_with_card(browser, "1234567897", PIN).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_a_blocked_card_cannot_sign_in(
    browser: TestClient, card: CardView, ledger: Ledger, settings: Settings
) -> None:
    admin = ledger.admin.principal
    write(ledger.db, admin, lambda ctx: cards.block_card(ctx, settings, card.id, "lost"))
    response = _with_card(browser, card.number, PIN)
    assert response.status_code == 409
    assert SESSION_COOKIE not in browser.cookies


def test_the_card_form_needs_the_csrf_token(browser: TestClient, card: CardView) -> None:
    browser.get("/login/card")
    response = browser.post(
        "/login/card", data={"number": card.number, "pin": PIN, "csrf_token": "0" * 64}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in browser.cookies


def test_the_wallet_shows_the_members_card_qr(browser: TestClient, card: CardView) -> None:
    _with_card(browser, card.number, PIN)
    wallet = browser.get("/")
    assert 'aria-labelledby="my-card"' in wallet.text
    assert card.number in wallet.text
    assert "<svg" in wallet.text
