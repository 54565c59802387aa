"""Paying a shop's QR from the phone: the page shows whom and how much, one button pays, the
receipt shows the new balance, and every refusal is a page in plain words that changed nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.apps import app_for
from tests.support import PASSWORD, Actor, Ledger
from tests.web.conftest import BASE, csrf_of, hidden_fields, signed_in
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.spending import RequestKind
from torekes.kit import clock
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings
from torekes.spending import payment_requests
from torekes.spending.payment_requests import RequestCommand


@dataclass
class Shop:
    keeper: Actor
    account: AccountView
    member: Actor
    wallet: AccountView


@pytest.fixture
def shop(ledger: Ledger) -> Shop:
    ledger.currency("EUT", decimals=2)
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    account = ledger.account(AccountKind.SHOP, keeper, "EUT")
    member = ledger.user(Role.MEMBER, "fatima")
    wallet = ledger.funded_member(member, 2000, "EUT")
    return Shop(keeper, account, member, wallet)


@pytest.fixture
def phone(settings: Settings, shop: Shop) -> Iterator[TestClient]:
    with signed_in(settings, "fatima") as client:
        yield client


def _request(ledger: Ledger, shop: Shop, amount: int | None = 1250, **more: object) -> str:
    kind = RequestKind.ONE_OFF if amount is not None else RequestKind.STANDING
    command = RequestCommand(shop.account.id, kind, amount, "Bread", **more)  # type: ignore[arg-type]
    view = write(
        ledger.db,
        shop.keeper.principal,
        lambda ctx: payment_requests.create_request(ctx, ledger.settings, command),
    )
    assert view.code is not None
    return view.code


def _balance(ledger: Ledger, account_id: int) -> int:
    with ledger.db.read_session() as session:
        account = session.get(m.Account, account_id)
        assert account is not None
        return account.balance


def test_a_member_pays_a_request_with_one_tap(
    phone: TestClient, ledger: Ledger, shop: Shop
) -> None:
    code = _request(ledger, shop)
    page = phone.get(f"/p/{code}")
    assert page.status_code == 200
    assert "Betalen aan" in page.text
    assert shop.account.name in page.text
    assert "12,50" in page.text
    paid = phone.post(f"/p/{code}", data=hidden_fields(page.text))
    assert paid.status_code == 201, paid.text
    assert "Betaald" in paid.text
    assert "7,50" in paid.text  # the new balance: 20,00 - 12,50
    assert _balance(ledger, shop.wallet.id) == 750
    assert _balance(ledger, shop.account.id) == 1250
    # The same form again (a double tap, a reload) shows the first receipt and pays nothing.
    again = phone.post(f"/p/{code}", data=hidden_fields(page.text))
    assert again.status_code == 201, again.text
    assert "7,50" in again.text
    assert _balance(ledger, shop.wallet.id) == 750
    # The page opened anew (the back button) says it is paid, with the receipt.
    fresh = phone.get(f"/p/{code}")
    assert fresh.status_code == 200
    assert "Betaald" in fresh.text
    assert "7,50" in fresh.text
    assert _balance(ledger, shop.wallet.id) == 750


def test_a_standing_qr_takes_the_typed_amount(
    phone: TestClient, ledger: Ledger, shop: Shop
) -> None:
    code = _request(ledger, shop, amount=None)
    page = phone.get(f"/p/{code}")
    assert '<label for="amount">' in page.text
    for typed in ("", "abc", "-1", "0", "1,005"):
        refused = phone.post(f"/p/{code}", data={**hidden_fields(page.text), "amount": typed})
        assert refused.status_code == 422, typed
        assert 'role="alert"' in refused.text
    assert _balance(ledger, shop.wallet.id) == 2000
    paid = phone.post(f"/p/{code}", data={**hidden_fields(page.text), "amount": "3,25"})
    assert paid.status_code == 201, paid.text
    assert _balance(ledger, shop.wallet.id) == 2000 - 325


def test_a_double_tap_on_a_standing_qr_pays_once(
    phone: TestClient, ledger: Ledger, shop: Shop
) -> None:
    """A standing QR takes a new payment each time, so only the form's one-time key tells a
    second tap from a second payment."""
    code = _request(ledger, shop, amount=None)
    form = {**hidden_fields(phone.get(f"/p/{code}").text), "amount": "2"}
    first = phone.post(f"/p/{code}", data=form)
    second = phone.post(f"/p/{code}", data=form)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert _balance(ledger, shop.wallet.id) == 2000 - 200
    # Paying again is a new form with a key of its own.
    form = {**hidden_fields(phone.get(f"/p/{code}").text), "amount": "2"}
    assert phone.post(f"/p/{code}", data=form).status_code == 201
    assert _balance(ledger, shop.wallet.id) == 2000 - 400
    # The same key with another amount is refused, and pays nothing.
    refused = phone.post(f"/p/{code}", data={**form, "amount": "3"})
    assert refused.status_code == 409
    assert _balance(ledger, shop.wallet.id) == 2000 - 400


def test_not_enough_tokens_is_explained_and_nothing_moves(
    phone: TestClient, ledger: Ledger, shop: Shop
) -> None:
    code = _request(ledger, shop, amount=5000)
    page = phone.get(f"/p/{code}")
    refused = phone.post(f"/p/{code}", data=hidden_fields(page.text))
    assert refused.status_code == 409
    assert "niet genoeg" in refused.text
    assert _balance(ledger, shop.wallet.id) == 2000


def test_an_expired_or_cancelled_request_says_so(
    phone: TestClient, ledger: Ledger, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancelled = _request(ledger, shop)
    write(
        ledger.db,
        shop.keeper.principal,
        lambda ctx: payment_requests.cancel(ctx, ledger.settings, cancelled),
    )
    assert "geannuleerd" in phone.get(f"/p/{cancelled}").text
    expiring = _request(ledger, shop, lifetime=timedelta(minutes=1))
    later = clock.now() + timedelta(minutes=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    page = phone.get(f"/p/{expiring}")
    assert page.status_code == 409
    assert "verlopen" in page.text


def test_an_unknown_code_is_a_plain_not_found(phone: TestClient) -> None:
    page = phone.get("/p/not-a-real-code")
    assert page.status_code == 404
    assert "kennen we niet" in page.text


def test_signed_out_the_page_asks_to_sign_in_and_comes_back(
    settings: Settings, ledger: Ledger, shop: Shop
) -> None:
    code = _request(ledger, shop)
    with TestClient(app_for(settings), base_url=BASE) as client:
        away = client.get(f"/p/{code}", follow_redirects=False)
        assert away.headers["location"] == f"/login?next=/p/{code}"
        form = client.get(away.headers["location"])
        back = client.post(
            "/login",
            data={
                "username": "fatima",
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": f"/p/{code}",
            },
            follow_redirects=False,
        )
        assert back.headers["location"] == f"/p/{code}"


def test_paying_without_the_pages_csrf_token_is_refused(
    phone: TestClient, ledger: Ledger, shop: Shop
) -> None:
    code = _request(ledger, shop)
    refused = phone.post(f"/p/{code}", data={"csrf_token": "0" * 64})
    assert refused.status_code == 403
    assert _balance(ledger, shop.wallet.id) == 2000


def test_the_english_page(phone: TestClient, ledger: Ledger, shop: Shop) -> None:
    code = _request(ledger, shop)
    phone.get("/language/en")
    page = phone.get(f"/p/{code}")
    assert "Pay " in page.text
    assert "12.50" in page.text  # English: a decimal point
    paid = phone.post(f"/p/{code}", data=hidden_fields(page.text))
    assert "Your new balance" in paid.text
