"""Amounts typed on the pages are read as the page's language writes them, and an amount above
the currency's ``confirm_above`` is asked to be confirmed before anything is written: at the
till, on the card counter and on a coordinator's new activity."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support import Actor, Ledger
from tests.web.conftest import form_fields, hidden_fields, new_form, signed_in
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.earning import projects
from torekes.earning.projects import ProjectCommand
from torekes.kit.unit_of_work import write
from torekes.ledger import currencies
from torekes.ledger.currencies import LimitsCommand
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings
from torekes.spending import cards

PIN = "2468"


@pytest.fixture
def shop(ledger: Ledger) -> AccountView:
    ledger.currency("TRK")
    return ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER, "bakker"), "TRK")


@pytest.fixture
def till(settings: Settings, shop: AccountView) -> Iterator[TestClient]:
    with signed_in(settings, "bakker") as client:
        yield client


def _confirm_above(ledger: Ledger, limit: int) -> None:
    write(
        ledger.db,
        ledger.admin.principal,
        lambda ctx: currencies.set_spending_limits(ctx, "TRK", LimitsCommand(confirm_above=limit)),
    )


def _in(client: TestClient, lang: str) -> TestClient:
    client.get(f"/language/{lang}")
    return client


def _ask(till: TestClient, shop: AccountView, amount: str) -> httpx2.Response:
    page = till.get("/till")
    form = {**new_form(page.text), "shop": str(shop.id), "amount": amount, "memo": "Brood"}
    return till.post("/till", data=form, follow_redirects=False)


def _requests(ledger: Ledger) -> list[int | None]:
    with ledger.db.read_session() as session:
        return list(session.scalars(select(m.PaymentRequest.amount)))


@pytest.mark.parametrize(("lang", "typed"), [("nl", "1.000"), ("en", "1,000")])
def test_a_thousand_at_the_till_is_written_as_the_language_writes_it(
    till: TestClient, ledger: Ledger, shop: AccountView, lang: str, typed: str
) -> None:
    asked = _ask(_in(till, lang), shop, typed)
    assert asked.status_code == 303, asked.text
    assert _requests(ledger) == [1000]
    shown = till.get(asked.headers["location"])
    assert ("1.000" if lang == "nl" else "1,000") in shown.text


@pytest.mark.parametrize(
    ("lang", "typed", "message"),
    [
        ("nl", "1e9", "Typ alleen cijfers, zoals 1.250."),
        ("en", "1e9", "Type only digits, like 1,250."),
        ("en", "1.000", "Only whole TRK tokens: type the amount without decimals."),
        ("nl", "1,5", "Alleen hele TRK tokens: typ het bedrag zonder decimalen."),
        ("nl", "12.50", "Alleen hele TRK tokens: typ het bedrag zonder decimalen."),
        ("nl", "1.00.000", "Groepeer duizendtallen per drie cijfers"),
        ("nl", "5 EUR", "Bedragen zijn hier in TRK tokens: typ het getal zonder “EUR”."),
        ("en", "-5", "Type the number without + or -."),
    ],
)
def test_an_amount_typed_wrongly_is_refused_saying_what_is_wrong(
    till: TestClient, ledger: Ledger, shop: AccountView, lang: str, typed: str, message: str
) -> None:
    refused = _ask(_in(till, lang), shop, typed)
    assert refused.status_code == 422
    assert message in refused.text
    assert _requests(ledger) == []


def test_above_the_currencys_limit_the_till_asks_first_and_writes_nothing(
    till: TestClient, ledger: Ledger, shop: AccountView
) -> None:
    _confirm_above(ledger, 500)
    asked = _ask(till, shop, "1.000")
    assert asked.status_code == 200
    assert "Weet je het zeker: 1.000 TRK?" in asked.text
    assert _requests(ledger) == []
    carried = form_fields(asked.text, "/till")
    assert (carried["amount"], carried["memo"], carried["shop"]) == ("1.000", "Brood", str(shop.id))
    confirmed = till.post("/till", data={**carried, "confirm": "1000"}, follow_redirects=False)
    assert confirmed.status_code == 303, confirmed.text
    again = till.post("/till", data={**carried, "confirm": "1000"}, follow_redirects=False)
    assert again.headers["location"] == confirmed.headers["location"]
    # The confirmed form sent once more without its tick is the same form: shown, not asked.
    unticked = till.post("/till", data=carried, follow_redirects=False)
    assert unticked.headers["location"] == confirmed.headers["location"]
    assert _requests(ledger) == [1000]


def test_a_confirmation_holds_only_for_the_amount_it_confirmed(
    till: TestClient, ledger: Ledger, shop: AccountView
) -> None:
    _confirm_above(ledger, 500)
    carried = form_fields(_ask(till, shop, "1.000").text, "/till")
    changed = {**carried, "amount": "10.000", "confirm": "1000"}
    asked_again = till.post("/till", data=changed, follow_redirects=False)
    assert asked_again.status_code == 200
    assert "Weet je het zeker: 10.000 TRK?" in asked_again.text
    assert _requests(ledger) == []


def test_at_or_below_the_limit_nothing_is_asked_and_in_english_too(
    till: TestClient, ledger: Ledger, shop: AccountView
) -> None:
    _confirm_above(ledger, 500)
    assert _ask(till, shop, "500").status_code == 303
    asked = _ask(_in(till, "en"), shop, "1,000")
    assert "Are you sure: 1,000 TRK?" in asked.text
    assert _requests(ledger) == [500]


def test_a_card_payment_above_the_limit_is_confirmed_before_the_pin(
    settings: Settings, till: TestClient, ledger: Ledger, shop: AccountView
) -> None:
    member = ledger.user(Role.MEMBER, "fatima")
    wallet = ledger.funded_member(member, 2000, "TRK")
    card = write(
        ledger.db,
        ledger.admin.principal,
        lambda ctx: cards.issue_card(ctx, settings, member.id, PIN),
    )
    _confirm_above(ledger, 500)
    page = till.get("/shop/card")
    typed = {"shop": str(shop.id), "amount": "1.200", "memo": "", "card": card.number}
    asked = till.post("/shop/card", data={**new_form(page.text), **typed})
    assert "Weet je het zeker: 1.200 TRK?" in asked.text
    assert 'name="pin"' not in asked.text
    carried = form_fields(asked.text, "/shop/card")
    pin_page = till.post("/shop/card", data={**carried, "confirm": "1200"})
    assert 'name="pin"' in pin_page.text
    paying = hidden_fields(pin_page.text)
    assert paying["confirm"] == "1200"
    # A PIN page's form without the confirmation is asked again; the PIN is not tried.
    unconfirmed = till.post("/shop/card/pay", data={**paying, "confirm": "", "pin": "0000"})
    assert "Weet je het zeker: 1.200 TRK?" in unconfirmed.text
    paid = till.post("/shop/card/pay", data={**paying, "pin": PIN})
    assert paid.status_code == 200, paid.text
    assert "Je nieuwe saldo" in paid.text  # the hand-over view, turned to the member
    with ledger.db.read_session() as session:
        account = session.get(m.Account, wallet.id)
        assert account is not None
        assert account.balance == 800
        held = session.get(m.MemberCard, card.id)
        assert held is not None
        assert held.pin_failures == 0  # the PIN sent without the confirmation was not tried


def test_a_large_reward_is_confirmed_before_the_activity_is_made(
    settings: Settings, ledger: Ledger
) -> None:
    ledger.currency("TRK")
    _confirm_above(ledger, 500)
    chris: Actor = ledger.user(Role.COORDINATOR, "chris")
    command = ProjectCommand("Garden", "TRK", [chris.id])
    garden = write(
        ledger.db, ledger.admin.principal, lambda ctx: projects.create_project(ctx, command)
    )
    with signed_in(settings, "chris") as client:
        page = client.get(f"/projects/{garden.id}")
        form = {
            **new_form(page.text),
            "title": "Weeding",
            "reward_kind": "fixed",
            "reward_amount": "2.500",
            "requires_approval": "1",
        }
        action = f"/projects/{garden.id}/activities"
        asked = client.post(action, data=form)
        assert "Weet je het zeker: 2.500 TRK?" in asked.text
        with ledger.db.read_session() as session:
            assert session.scalars(select(m.Activity)).all() == []
        carried = form_fields(asked.text, action)
        assert carried["title"] == "Weeding"
        made = client.post(action, data={**carried, "confirm": "2500"})
        assert made.status_code == 200, made.text
    with ledger.db.read_session() as session:
        assert session.scalars(select(m.Activity.reward_amount)).all() == [2500]
