"""Signing in at the counter with a member card and its PIN, and the card's QR in the wallet:
failures throttled per card number and client address, per client address and past a ceiling
only for new addresses, never locking the card; one answer for every wrong number or PIN; nothing
granted on a wrong PIN."""

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
from torekes.kit import security
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


def _from(settings: Settings, host: str) -> TestClient:
    """Another browser, at another client address, on the same application."""
    return TestClient(app_for(settings), base_url=BASE, client=(host, 40000))


def _wrong_number_of(card: CardView) -> str:
    digits = card.number.replace(" ", "")
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


@pytest.mark.parametrize("case", ["wrong pin", "no such card", "wrong check digit", "no number"])
def test_no_card_a_wrong_check_digit_and_a_wrong_pin_answer_alike(
    browser: TestClient,
    card: CardView,
    ledger: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    """The same status, the same words and one argon2 check each, so that neither the answer
    nor its time tells a stranger whether a number is a card."""
    typed, pin = {
        "wrong pin": (card.number, "1111"),
        "no such card": ("1234567897", PIN),
        "wrong check digit": (_wrong_number_of(card), PIN),
        "no number": ("not a number", PIN),
    }[case]
    checks: list[str] = []
    real_verify = security.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counted)
    before = _tokens(ledger)
    response = _with_card(browser, typed, pin)
    assert response.status_code == 401
    assert "Het kaartnummer of de pincode klopt niet" in response.text
    assert "keer proberen" not in response.text
    assert len(checks) == 1
    assert SESSION_COOKIE not in browser.cookies
    assert _tokens(ledger) == before


def test_wrong_pins_at_the_counter_never_lock_the_card(
    browser: TestClient, card: CardView, ledger: Ledger, settings: Settings
) -> None:
    """A stranger's five wrong PINs slow only the stranger down; the card stays usable at the
    counter from elsewhere and at the shops."""
    statuses = [_with_card(browser, card.number, f"{1000 + n}").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert _with_card(browser, card.number, PIN).status_code == 429
    shown = cards.get_card(ledger.db, settings, ledger.admin.principal, card.id)
    assert not shown.locked
    assert shown.tries_left == 5
    elsewhere = _from(settings, "198.51.100.20")
    assert _with_card(elsewhere, card.number, PIN).status_code == 303


def test_a_sweep_across_numbers_from_one_address_is_stopped(
    browser: TestClient, card: CardView, settings: Settings
) -> None:
    limit = settings.card_sign_in_client_max_failures
    numbers = [f"{body:09d}" for body in range(100_000_000, 100_000_000 + limit)]
    statuses = {_with_card(browser, number + "0", "1234").status_code for number in numbers}
    assert statuses == {401}
    refused = _with_card(browser, card.number, PIN)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Te veel pogingen" in refused.text
    assert _with_card(_from(settings, "198.51.100.21"), card.number, PIN).status_code == 303


def test_past_the_cards_ceiling_the_counter_it_signed_in_from_still_works(
    browser: TestClient, card: CardView, settings: Settings
) -> None:
    counter = _from(settings, "198.51.100.30")
    assert _with_card(counter, card.number, PIN).status_code == 303
    ceiling = settings.card_sign_in_card_ceiling
    per_address = settings.card_sign_in_max_failures
    for index in range(-(-ceiling // per_address)):
        guesser = _from(settings, f"203.0.113.{index + 1}")
        for attempt in range(per_address):
            assert _with_card(guesser, card.number, f"{2000 + attempt}").status_code == 401
    newcomer = _from(settings, "198.51.100.31")
    assert _with_card(newcomer, card.number, PIN).status_code == 429
    again = _from(settings, "198.51.100.30")
    assert _with_card(again, card.number, PIN).status_code == 303


def test_a_card_locked_at_shops_says_so_only_to_the_right_pin(
    browser: TestClient, card: CardView, ledger: Ledger
) -> None:
    with ledger.db.write_session() as session:
        row = session.get(m.MemberCard, card.id)
        assert row is not None
        row.pin_failures = 5
        row.locked_at = row.issued_at
        session.commit()
    assert _with_card(browser, card.number, "1111").status_code == 401
    assert _with_card(browser, card.number, PIN).status_code == 409
    assert SESSION_COOKIE not in browser.cookies


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
    assert "••• ••• " + card.number[-4:] in wallet.text
    assert card.number not in wallet.text
    assert "<svg" in wallet.text
