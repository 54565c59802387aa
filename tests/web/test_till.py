"""The shop's till: an amount typed becomes a full-screen QR of the request's URL, and the status
the page's script long-polls turns to "paid" as soon as a member pays it, from anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.apps import app_for
from tests.support import Actor, Ledger
from tests.web.conftest import BASE, hidden_fields, new_form, signed_in
from torekes.db import models as m
from torekes.documents import qr
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings


@pytest.fixture
def shop(ledger: Ledger) -> AccountView:
    ledger.currency("EUT", decimals=2)
    return ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER, "bakker"), "EUT")


@pytest.fixture
def member(ledger: Ledger, shop: AccountView) -> Actor:
    actor = ledger.user(Role.MEMBER, "fatima")
    ledger.funded_member(actor, 2000, "EUT")
    return actor


@pytest.fixture
def till(settings: Settings, shop: AccountView) -> Iterator[TestClient]:
    with signed_in(settings, "bakker") as client:
        yield client


def _ask(till: TestClient, shop: AccountView, amount: str) -> str:
    page = till.get("/till")
    asked = till.post(
        "/till",
        data={**new_form(page.text), "shop": str(shop.id), "amount": amount},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    location: str = asked.headers["location"]
    assert location.startswith("/till/")
    return location.removeprefix("/till/")


def test_the_till_shows_a_qr_and_turns_paid_when_the_member_pays(
    settings: Settings, till: TestClient, ledger: Ledger, shop: AccountView, member: Actor
) -> None:
    page = till.get("/till")
    assert shop.name in page.text
    code = _ask(till, shop, "4,50")
    shown = till.get(f"/till/{code}")
    assert "<svg" in shown.text
    assert "4,50" in shown.text
    assert "Wachten op de betaling" in shown.text
    assert till.get(f"/till/{code}/status").json() == {"status": "open"}
    with signed_in(settings, "fatima") as phone:
        pay_page = phone.get(f"/p/{code}")
        paid = phone.post(f"/p/{code}", data=hidden_fields(pay_page.text))
        assert paid.status_code == 201, paid.text
    assert till.get(f"/till/{code}/status?wait=5").json() == {"status": "paid"}
    again = till.get(f"/till/{code}")
    assert "Betaald" in again.text
    assert "<svg" not in again.text
    with ledger.db.read_session() as session:
        account = session.get(m.Account, shop.id)
        assert account is not None
        assert account.balance == 450


def test_the_qr_holds_the_requests_public_url(
    settings: Settings, till: TestClient, shop: AccountView
) -> None:
    code = _ask(till, shop, "1")
    shown = till.get(f"/till/{code}").text
    assert shown.count("<svg") == 1
    assert qr.inline_svg(f"{settings.public_base_url}/p/{code}") in shown


@pytest.mark.parametrize("typed", ["", "nul", "-2", "0,001"])
def test_a_wrong_amount_is_refused_in_plain_words(
    till: TestClient, ledger: Ledger, shop: AccountView, typed: str
) -> None:
    page = till.get("/till")
    refused = till.post(
        "/till", data={**new_form(page.text), "shop": str(shop.id), "amount": typed}
    )
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    with ledger.db.read_session() as session:
        assert session.query(m.PaymentRequest).count() == 0


def test_only_the_shops_keeper_uses_its_till(
    settings: Settings, ledger: Ledger, shop: AccountView, member: Actor
) -> None:
    with signed_in(settings, "fatima") as phone:
        assert phone.get("/till").status_code == 403
        page = phone.get("/")
        refused = phone.post(
            "/till", data={**new_form(page.text), "shop": str(shop.id), "amount": "1"}
        )
        assert refused.status_code == 403
    with ledger.db.read_session() as session:
        assert session.query(m.PaymentRequest).count() == 0


def test_asking_without_the_pages_csrf_token_is_refused(
    till: TestClient, shop: AccountView
) -> None:
    till.get("/till")
    refused = till.post("/till", data={"csrf_token": "", "shop": str(shop.id), "amount": "1"})
    assert refused.status_code == 403


def test_the_status_of_a_request_needs_a_session(
    settings: Settings, till: TestClient, shop: AccountView
) -> None:
    code = _ask(till, shop, "2")
    with TestClient(app_for(settings), base_url=BASE) as stranger:
        assert stranger.get(f"/till/{code}/status").status_code == 401
    assert till.get("/till/unknown-code/status").status_code == 404


@pytest.mark.parametrize("shop_id", ["0", str(10**30), "shop"])
def test_a_shop_id_out_of_range_is_a_422_not_a_server_error(till: TestClient, shop_id: str) -> None:
    page = till.get("/till")
    refused = till.post("/till", data={**new_form(page.text), "shop": shop_id, "amount": "1"})
    assert refused.status_code == 422


def test_a_nul_in_any_form_field_is_refused_on_a_page_before_anything_is_written(
    till: TestClient, shop: AccountView, ledger: Ledger
) -> None:
    """PostgreSQL cannot store a NUL: every page form refuses one with a page naming no SQL, on
    both databases, and asks nothing of the services."""
    page = till.get("/till")
    asked = till.post(
        "/till",
        data={
            **new_form(page.text),
            "shop": str(shop.id),
            "amount": "1",
            "memo": "cof\x00fee",
        },
        follow_redirects=False,
    )
    assert asked.status_code == 422, asked.text
    assert asked.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in asked.text
    with ledger.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(m.PaymentRequest)) == 0
