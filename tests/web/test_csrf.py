"""The CSRF token fits only the session it was drawn for: a token an attacker got from their own
browser (signed in or not), even with the CSRF cookie that goes with it planted in the victim's
browser, is refused on the victim's forms with a page, and nothing is written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.apps import app_for
from tests.support import PASSWORD, Actor, Ledger
from tests.web.conftest import BASE, csrf_of, hidden_fields, signed_in
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.spending import RequestKind
from torekes.kit.unit_of_work import write
from torekes.settings import Settings
from torekes.spending import payment_requests
from torekes.spending.payment_requests import RequestCommand
from torekes.web.csrf import PRE_SESSION_COOKIE


@pytest.fixture
def standing_code(ledger: Ledger) -> str:
    """A shop's standing QR, which a signed-in member can pay with any amount."""
    ledger.currency("EUT", decimals=2)
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    shop = ledger.account(AccountKind.SHOP, keeper, "EUT")
    for name in ("fatima", "jonas"):
        member: Actor = ledger.user(Role.MEMBER, name)
        ledger.funded_member(member, 2000, "EUT")
    command = RequestCommand(shop.id, RequestKind.STANDING, None, "Poster")
    made = write(
        ledger.db,
        keeper.principal,
        lambda ctx: payment_requests.create_request(ctx, ledger.settings, command),
    )
    return made.code


def _payments(ledger: Ledger) -> int:
    with ledger.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(m.Transaction)) or 0


def _refused(response_status: int, text: str, content_type: str) -> None:
    assert response_status == 403
    assert "text/html" in content_type
    assert "kwam niet van deze site" in text


def test_a_planted_cookie_and_its_token_do_not_fit_the_victims_session(
    settings: Settings, ledger: Ledger, standing_code: str
) -> None:
    # The attacker visits the site without signing in: a pre-session cookie and its token.
    with TestClient(app_for(settings), base_url=BASE) as attacker:
        token = csrf_of(attacker.get("/login").text)
        planted = attacker.cookies[PRE_SESSION_COOKIE]
    before = _payments(ledger)
    with signed_in(settings, "fatima") as victim:
        fields = hidden_fields(victim.get(f"/p/{standing_code}").text)
        victim.cookies.delete(PRE_SESSION_COOKIE)
        victim.cookies.set(PRE_SESSION_COOKIE, planted)
        forged = victim.post(
            f"/p/{standing_code}", data={**fields, "csrf_token": token, "amount": "5"}
        )
        _refused(forged.status_code, forged.text, forged.headers["content-type"])
        assert _payments(ledger) == before
        # The victim's own form, drawn for the victim's session, still works.
        paid = victim.post(f"/p/{standing_code}", data={**fields, "amount": "5"})
        assert paid.status_code == 201, paid.text
    assert _payments(ledger) == before + 1


def test_a_token_from_the_attackers_session_is_refused_on_the_victims(
    settings: Settings, ledger: Ledger, standing_code: str
) -> None:
    with signed_in(settings, "jonas") as attacker:
        stolen = hidden_fields(attacker.get(f"/p/{standing_code}").text)
    before = _payments(ledger)
    with signed_in(settings, "fatima") as victim:
        victim.get("/")
        forged = victim.post(f"/p/{standing_code}", data={**stolen, "amount": "5"})
        _refused(forged.status_code, forged.text, forged.headers["content-type"])
    assert _payments(ledger) == before


def test_signing_in_changes_the_token_and_the_one_before_no_longer_fits(
    settings: Settings, ledger: Ledger, standing_code: str
) -> None:
    with TestClient(app_for(settings), base_url=BASE) as browser:
        form = browser.get("/login")
        before_sign_in = csrf_of(form.text)
        signed = browser.post(
            "/login",
            data={"username": "fatima", "password": PASSWORD, "csrf_token": before_sign_in},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        assert PRE_SESSION_COOKIE not in browser.cookies
        after = hidden_fields(browser.get(f"/p/{standing_code}").text)
        assert after["csrf_token"] != before_sign_in
        refused = browser.post(
            f"/p/{standing_code}", data={**after, "csrf_token": before_sign_in, "amount": "5"}
        )
        assert refused.status_code == 403
