"""Member cards through the API: issued by an admin with a PIN, read and printed by their member,
charged at a shop with the PIN, locked after five wrong PINs in a row until an admin unlocks them,
blocked when lost and replaced with a new code, number and PIN; and the limit on wrong PINs per
shop (429 with Retry-After).

Every refusal is an RFC 9457 problem with its stable ``code`` and changes nothing but the PIN
attempt counters."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import API, HttpResponse, assert_invalid, assert_problem
from tests.api.test_spending_api import (
    HUGE,
    MISSING,
    assert_png_holds,
    assert_svg,
    at,
    balance,
    funded_member,
    keeper,
    listing,
    nothing_changes,
    ok,
    other_shop,
    set_limits,
    shop_of,
)
from tests.support import PASSWORD, Actor
from torekes.app import create_app
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.cards import luhn_digit
from torekes.kit import clock
from torekes.settings import Settings

PIN = "2580"
WRONG = "1111"
CARD_NUMBER = re.compile(r"^[0-9]{3} [0-9]{3} [0-9]{4}$")
CARD_CODE = re.compile(r"^[A-Za-z0-9_-]{27}$")
SHOP_MAX_FAILURES = 3
# Not 4 to 6 ASCII digits (the fifth is 1234 in full-width digits).
BAD_PINS = ("123", "1234567", "12a4", "", " 1234", "\uff11\uff12\uff13\uff14", "12.4", "-123")
UNKNOWN_NUMBER = "000 000 0000"  # a valid number (its check digit is 0) that is never drawn


def issue(client: TestClient, world: World, member: Actor, pin: str = PIN) -> Any:
    response = client.post(
        f"{API}/cards", json={"member_id": member.id, "pin": pin}, headers=world.admin.headers
    )
    return ok(response, 201)


def charge(
    client: TestClient,
    world: World,
    card: str,
    pin: str = PIN,
    amount: int = 10,
    headers: dict[str, str] | None = None,
    shop_id: int | None = None,
    **more: Any,
) -> HttpResponse:
    body = {
        "shop_account_id": shop_id or shop_of(world).id,
        "card": card,
        "pin": pin,
        "amount": amount,
        **more,
    }
    return client.post(f"{API}/card-payments", json=body, headers=headers or keeper(world))


def card_of(client: TestClient, world: World, card_id: int) -> Any:
    return ok(client.get(f"{API}/cards/{card_id}", headers=world.admin.headers))


def the_member(world: World) -> Actor:
    return world.actors[Role.MEMBER]


# --- issuing, reading, printing -----------------------------------------------------------------


def test_an_admin_issues_a_card(client: TestClient, world: World) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    assert card["member_id"] == member.id
    assert card["member_name"] == member.principal.username.title()
    assert CARD_NUMBER.match(card["number"]), card["number"]
    digits = card["number"].replace(" ", "")
    assert luhn_digit(digits[:-1]) == digits[-1]
    assert CARD_CODE.match(card["code"]), card["code"]
    assert card["url"] == f"{world.ledger.settings.public_base_url}/k/{card['code']}"
    assert card["status"] == "active"
    assert card["locked"] is False
    assert card["tries_left"] == 5
    assert card["blocked_at"] is None
    assert card["replaces_id"] is None
    assert PIN not in str(card)

    assert ok(client.get(f"{API}/cards/{card['id']}", headers=member.headers)) == card
    other = issue(client, world, world.stranger)
    assert other["number"] != card["number"]
    assert other["code"] != card["code"]
    assert [c["id"] for c in listing(client, "/cards", member.headers)] == [card["id"]]
    assert [c["id"] for c in listing(client, "/cards", world.stranger.headers)] == [other["id"]]
    everyone = listing(client, "/cards", world.headers(Role.AUDITOR))
    assert [c["id"] for c in everyone] == [other["id"], card["id"]]
    by_member = listing(client, "/cards", world.admin.headers, member_id=member.id)
    assert [c["id"] for c in by_member] == [card["id"]]
    assert listing(client, "/cards", world.admin.headers, status="blocked") == []
    assert listing(client, "/cards", keeper(world)) == []
    assert_problem(
        client.get(f"{API}/cards", headers=member.headers, params={"member_id": world.stranger.id}),
        403,
        "role_not_allowed",
    )


def test_refused_card_issues_change_nothing(client: TestClient, world: World) -> None:
    member = the_member(world)
    issue(client, world, member)
    fresh = world.ledger.user(Role.MEMBER)
    admin = world.admin.headers

    def post(body: Any) -> HttpResponse:
        return client.post(f"{API}/cards", json=body, headers=admin)

    with nothing_changes(client, world):
        for pin in BAD_PINS:
            assert_problem(post({"member_id": fresh.id, "pin": pin}), 422, "invalid_pin")
        for body, field in [
            ({"member_id": fresh.id, "pin": "1" * 65}, "body.pin"),
            ({"member_id": fresh.id, "pin": 1234}, "body.pin"),
            ({"member_id": fresh.id, "pin": "12\x0034"}, "body.pin"),
            ({"member_id": fresh.id}, "body.pin"),
            ({"member_id": 0, "pin": PIN}, "body.member_id"),
            ({"member_id": str(fresh.id), "pin": PIN}, "body.member_id"),
            ({"member_id": fresh.id, "pin": PIN, "number": "1"}, "body.number"),
        ]:
            assert_invalid(post(body), field)
        assert_problem(post({"member_id": member.id, "pin": PIN}), 409, "member_has_card")
        assert_problem(post({"member_id": MISSING, "pin": PIN}), 404, "user_not_found")
        shopkeeper = world.actors[Role.SHOPKEEPER].id
        assert_problem(post({"member_id": shopkeeper, "pin": PIN}), 409, "not_a_member")
    assert listing(client, "/cards", admin, member_id=fresh.id) == []
    assert issue(client, world, fresh, "135790")["status"] == "active"


def test_the_printable_card(client: TestClient, world: World) -> None:
    name = "Anne & <Marie>"
    created = client.post(
        f"{API}/users",
        json={"username": "anne", "display_name": name, "role": "member", "password": PASSWORD},
        headers=world.admin.headers,
    )
    member = ok(created, 201)
    pin = "864209"
    card = ok(
        client.post(
            f"{API}/cards",
            json={"member_id": member["id"], "pin": pin},
            headers=world.admin.headers,
        ),
        201,
    )
    response = client.get(f"{API}/cards/{card['id']}/print", headers=world.headers(Role.AUDITOR))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert html.escape(name) in page
    assert "<Marie>" not in page
    assert card["number"] in page
    assert page.count("<svg") == 1
    assert re.search(r"@page\s*\{[^}]*\bsize\s*:\s*85\.6mm", page), "bank-card size"
    svg = client.get(f"{API}/cards/{card['id']}/qr.svg", headers=world.admin.headers).text
    assert svg[svg.index("<svg") :] in page, "the card's own QR"
    outside_svg = re.sub(r"<svg.*?</svg>", "", page, flags=re.DOTALL)
    assert pin not in outside_svg
    assert "argon2" not in page

    blocked = ok(client.post(f"{API}/cards/{card['id']}/block", headers=world.admin.headers))
    reprinted = client.get(
        f"{API}/cards/{blocked['id']}/print",
        headers={**world.admin.headers, "Accept-Language": "en"},
    )
    assert "Blocked" in reprinted.text


def test_the_card_qr_images(client: TestClient, world: World) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    svg = client.get(f"{API}/cards/{card['id']}/qr.svg", headers=member.headers)
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert_svg(svg.content)
    image = client.get(f"{API}/cards/{card['id']}/qr.png", headers=member.headers)
    assert image.status_code == 200, image.text
    assert image.headers["content-type"] == "image/png"
    assert_png_holds(image.content, card["url"])
    assert_invalid(
        client.get(f"{API}/cards/{card['id']}/qr.jpeg", headers=member.headers),
        "path.image_format",
    )
    for suffix in ("", "/print", "/qr.svg", "/qr.png"):
        missing = client.get(f"{API}/cards/{MISSING}{suffix}", headers=world.admin.headers)
        assert_problem(missing, 404, "card_not_found")
        assert_invalid(client.get(f"{API}/cards/0{suffix}", headers=member.headers), "path.card_id")


# --- charging a card ----------------------------------------------------------------------------


def test_a_shop_charges_a_card_by_number_code_or_url(client: TestClient, world: World) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    digits = card["number"].replace(" ", "")
    spellings = [
        card["number"],
        digits,
        f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        f"  {card['number']} ",
        card["code"],
        card["url"],
    ]
    receipts = []
    for spelling in spellings:
        receipts.append(ok(charge(client, world, spelling, amount=5, memo="Soup"), 201))
    first = receipts[0]
    assert first["channel"] == "card"
    assert first["card_number"] == f"••• ••• {digits[-4:]}"
    assert first["memo"] == "Soup"
    assert first["payer"]["account_id"] == world.own[Role.MEMBER].id
    # The member who typed the PIN sees their new balance on the shop's device, as the payment's
    # write left it; the shop reading the receipt later does not.
    assert [r["payer"]["balance_after"] for r in receipts] == [
        OWN_FUNDS - 5 * paid for paid in range(1, len(spellings) + 1)
    ]
    shop_view = ok(
        client.get(f"{API}/transactions/{first['transaction_id']}/receipt", headers=keeper(world))
    )
    assert shop_view["payer"]["balance_after"] is None
    assert first["shop"]["balance_after"] == OWN_FUNDS + 5
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS - 5 * len(spellings)
    payments = listing(client, "/payments", keeper(world), channel="card")
    assert len(payments) == len(spellings)
    assert {p["card_id"] for p in payments} == {card["id"]}
    member_view = ok(
        client.get(f"{API}/transactions/{first['transaction_id']}/receipt", headers=member.headers)
    )
    assert member_view["payer"]["balance_after"] == OWN_FUNDS - 5
    assert card_of(client, world, card["id"])["tries_left"] == 5

    by_admin = charge(client, world, card["number"], headers=world.admin.headers)
    assert ok(by_admin, 201)["amount"] == 10


def test_a_wrong_pin_says_how_many_tries_are_left(client: TestClient, world: World) -> None:
    card = issue(client, world, the_member(world))
    with nothing_changes(client, world, with_cards=False):
        for left in (4, 3, 2, 1):
            body = assert_problem(charge(client, world, card["number"], WRONG), 403, "wrong_pin")
            assert body["tries_left"] == left
            assert body["locked"] is False
            assert card_of(client, world, card["id"])["tries_left"] == left
    ok(charge(client, world, card["number"]), 201)
    assert card_of(client, world, card["id"])["tries_left"] == 5, "a right PIN clears the count"
    malformed = charge(client, world, card["number"], "12")
    assert assert_problem(malformed, 403, "wrong_pin")["tries_left"] == 4


def test_a_wrong_pin_retried_with_its_key_is_answered_again_and_counted_once(
    client: TestClient, world: World
) -> None:
    card = issue(client, world, the_member(world))
    keyed = {**keeper(world), "Idempotency-Key": "pin-try-1"}
    first = assert_problem(
        charge(client, world, card["number"], WRONG, headers=keyed), 403, "wrong_pin"
    )
    again = charge(client, world, card["number"], WRONG, headers=keyed)
    assert again.headers["idempotent-replayed"] == "true"
    assert assert_problem(again, 403, "wrong_pin") == first
    assert card_of(client, world, card["id"])["tries_left"] == 4
    right = {**keeper(world), "Idempotency-Key": "pin-try-2"}
    ok(charge(client, world, card["number"], headers=right), 201)


def test_five_wrong_pins_lock_the_card_until_an_admin_unlocks_it(
    client: TestClient, world: World
) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    number = card["number"]
    with nothing_changes(client, world, with_cards=False):
        for _attempt in range(4):
            assert_problem(charge(client, world, number, WRONG), 403, "wrong_pin")
        fifth = assert_problem(charge(client, world, number, WRONG), 403, "wrong_pin")
        assert fifth["tries_left"] == 0
        assert fifth["locked"] is True
        locked = card_of(client, world, card["id"])
        assert (locked["locked"], locked["tries_left"], locked["status"]) == (True, 0, "active")
        for pin in (PIN, WRONG):
            assert_problem(charge(client, world, number, pin), 409, "card_locked")
            assert_problem(charge(client, world, card["code"], pin), 409, "card_locked")
        for headers in (member.headers, keeper(world), world.headers(Role.AUDITOR)):
            refused = client.post(f"{API}/cards/{card['id']}/unlock", headers=headers)
            assert_problem(refused, 403, "role_not_allowed")
        assert card_of(client, world, card["id"])["locked"] is True

    unlocked = ok(client.post(f"{API}/cards/{card['id']}/unlock", headers=world.admin.headers))
    assert (unlocked["locked"], unlocked["tries_left"]) == (False, 5)
    ok(charge(client, world, number), 201)
    with nothing_changes(client, world):
        again = client.post(f"{API}/cards/{card['id']}/unlock", headers=world.admin.headers)
        assert_problem(again, 409, "card_not_locked")
        missing = client.post(f"{API}/cards/{MISSING}/unlock", headers=world.admin.headers)
        assert_problem(missing, 404, "card_not_found")


def test_a_lost_card_is_blocked_by_its_member(client: TestClient, world: World) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    stranger_card = issue(client, world, world.stranger)
    with nothing_changes(client, world):
        for headers in (keeper(world), world.headers(Role.AUDITOR), world.stranger.headers):
            refused = client.post(f"{API}/cards/{card['id']}/block", headers=headers)
            assert_problem(refused, 403, "role_not_allowed")
    blocked = client.post(
        f"{API}/cards/{card['id']}/block",
        json={"reason": "lost on the tram"},
        headers=member.headers,
    )
    body = ok(blocked)
    assert body["status"] == "blocked"
    assert body["block_reason"] == "lost on the tram"
    assert body["blocked_at"] is not None
    with nothing_changes(client, world):
        for spelling in (card["number"], card["code"], card["url"]):
            assert_problem(charge(client, world, spelling), 409, "card_blocked")
        again = client.post(f"{API}/cards/{card['id']}/block", headers=world.admin.headers)
        assert_problem(again, 409, "card_blocked")
        unlock = client.post(f"{API}/cards/{card['id']}/unlock", headers=world.admin.headers)
        assert_problem(unlock, 409, "card_blocked")
        for reason, field in [({"reason": "r" * 501}, "body.reason"), ({"why": "x"}, "body.why")]:
            response = client.post(
                f"{API}/cards/{stranger_card['id']}/block", json=reason, headers=world.admin.headers
            )
            assert_invalid(response, field)
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS
    assert card_of(client, world, stranger_card["id"])["status"] == "active"
    assert listing(client, "/cards", world.admin.headers, status="blocked")[0]["id"] == card["id"]
    new = issue(client, world, member, "9876")
    paid = ok(charge(client, world, new["number"], "9876"), 201)
    assert paid["card_number"] == f"••• ••• {new['number'][-4:]}"


def test_a_lost_card_is_replaced(client: TestClient, world: World) -> None:
    member = the_member(world)
    old = issue(client, world, member)
    path = f"{API}/cards/{old['id']}/replace"
    with nothing_changes(client, world):
        for pin in ("12", "abcd", "1234567"):
            response = client.post(path, json={"pin": pin}, headers=world.admin.headers)
            assert_problem(response, 422, "invalid_pin")
        assert_invalid(client.post(path, json={}, headers=world.admin.headers), "body.pin")
        assert_invalid(
            client.post(path, json={"pin": "1357", "color": "red"}, headers=world.admin.headers),
            "body.color",
        )
        for headers in (member.headers, keeper(world), world.headers(Role.AUDITOR)):
            refused = client.post(path, json={"pin": "1357"}, headers=headers)
            assert_problem(refused, 403, "role_not_allowed")
        missing = client.post(
            f"{API}/cards/{MISSING}/replace", json={"pin": "1357"}, headers=world.admin.headers
        )
        assert_problem(missing, 404, "card_not_found")
    assert card_of(client, world, old["id"])["status"] == "active"

    with nothing_changes(client, world, with_cards=False):
        new = ok(
            client.post(
                path, json={"pin": "1357", "reason": "stolen"}, headers=world.admin.headers
            ),
            201,
        )
    assert new["replaces_id"] == old["id"]
    assert new["member_id"] == member.id
    assert new["status"] == "active"
    assert new["number"] != old["number"]
    assert new["code"] != old["code"]
    retired = card_of(client, world, old["id"])
    assert (retired["status"], retired["block_reason"]) == ("blocked", "stolen")
    with nothing_changes(client, world, with_cards=False):
        for spelling in (old["number"], old["code"], old["url"]):
            assert_problem(charge(client, world, spelling), 409, "card_blocked")
        assert_problem(charge(client, world, new["number"], PIN), 403, "wrong_pin")
        twice = client.post(path, json={"pin": "2468"}, headers=world.admin.headers)
        assert_problem(twice, 409, "member_has_card")
    assert ok(charge(client, world, new["number"], "1357"), 201)["amount"] == 10
    assert [c["id"] for c in listing(client, "/cards", member.headers)] == [new["id"], old["id"]]


def test_refused_card_payments_change_nothing(client: TestClient, world: World) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    without_account = world.ledger.user(Role.MEMBER)
    bare_card = issue(client, world, without_account)
    frozen_member, frozen_account = funded_member(world)
    frozen_card = issue(client, world, frozen_member)
    world.set_status(frozen_account.id, "freeze")
    frozen_shop = world.ledger.account(AccountKind.SHOP, world.actors[Role.SHOPKEEPER])
    world.set_status(frozen_shop.id, "freeze")
    _elsewhere_keeper, elsewhere = other_shop(world)
    world.ledger.currency("EUX")
    _eux_keeper, eux_shop = other_shop(world, "EUX")
    number = card["number"]

    with nothing_changes(client, world):
        checks: list[tuple[str, HttpResponse, int, str]] = [
            (
                "funds",
                charge(client, world, number, amount=OWN_FUNDS + 1),
                409,
                "insufficient_funds",
            ),
            ("no account", charge(client, world, bare_card["number"]), 409, "no_member_account"),
            (
                "no account in the currency",
                charge(client, world, number, shop_id=eux_shop.id, headers=world.admin.headers),
                409,
                "no_member_account",
            ),
            ("frozen payer", charge(client, world, frozen_card["number"]), 409, "account_frozen"),
            (
                "frozen shop",
                charge(client, world, number, shop_id=frozen_shop.id),
                409,
                "account_frozen",
            ),
            (
                "another's shop",
                charge(client, world, number, shop_id=elsewhere.id),
                403,
                "not_account_owner",
            ),
            (
                "not a shop",
                charge(client, world, number, shop_id=world.own[Role.MEMBER].id),
                409,
                "account_kind_not_allowed",
            ),
            (
                "missing shop",
                charge(client, world, number, shop_id=MISSING),
                404,
                "account_not_found",
            ),
            (
                "member",
                charge(client, world, number, headers=member.headers),
                403,
                "role_not_allowed",
            ),
            (
                "auditor",
                charge(client, world, number, headers=world.headers(Role.AUDITOR)),
                403,
                "role_not_allowed",
            ),
        ]
        failures = {}
        for label, response, status, code in checks:
            try:
                assert_problem(response, status, code)
            except AssertionError as error:
                failures[label] = str(error)[:400]
        assert failures == {}
    assert card_of(client, world, card["id"])["tries_left"] == 5, "the right PIN was given"

    with nothing_changes(client, world):
        for spelling in (
            UNKNOWN_NUMBER,
            "x" * 27,
            "https://example.org/k/abc",
            "x" * 300,
        ):
            assert_problem(charge(client, world, spelling), 404, "card_not_found")
        # Ten digits whose check digit does not fit, or too few or too many digits: mistyped,
        # refused before any PIN is tried (a check digit needs no database, so it tells nothing).
        for spelling in ("1234567890", "123 456 789", "12345678903"):
            assert_problem(charge(client, world, spelling), 422, "card_number_mistyped")


def test_bad_card_payment_input_is_a_validation_error(client: TestClient, world: World) -> None:
    card = issue(client, world, the_member(world))
    base: dict[str, Any] = {
        "shop_account_id": shop_of(world).id,
        "card": card["number"],
        "pin": PIN,
        "amount": 10,
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({"amount": 0}, "body.amount"),
        ({"amount": -10}, "body.amount"),
        ({"amount": HUGE}, "body.amount"),
        ({"amount": "10"}, "body.amount"),
        ({"amount": 10.0}, "body.amount"),
        ({"amount": True}, "body.amount"),
        ({"amount": None}, "body.amount"),
        ({"pin": "1" * 65}, "body.pin"),
        ({"pin": 2580}, "body.pin"),
        ({"card": ""}, "body.card"),
        ({"card": "1" * 301}, "body.card"),
        ({"card": 1234567890}, "body.card"),
        ({"memo": "m" * 201}, "body.memo"),
        ({"shop_account_id": 0}, "body.shop_account_id"),
        ({"tip": 1}, "body.tip"),
    ]
    with nothing_changes(client, world):
        for change, field in cases:
            response = client.post(
                f"{API}/card-payments", json={**base, **change}, headers=keeper(world)
            )
            assert_invalid(response, field)
    assert card_of(client, world, card["id"])["tries_left"] == 5


def test_card_payments_keep_to_the_spending_limits(client: TestClient, world: World) -> None:
    card = issue(client, world, the_member(world))
    set_limits(client, world, {"max_payment": 30, "daily_spend_limit": 50})
    with nothing_changes(client, world):
        body = assert_problem(
            charge(client, world, card["number"], amount=31), 409, "payment_limit_exceeded"
        )
        assert body["limit"] == 30
    ok(charge(client, world, card["number"], amount=30), 201)
    with nothing_changes(client, world):
        over = assert_problem(
            charge(client, world, card["number"], amount=21), 409, "daily_limit_exceeded"
        )
        assert over["remaining"] == 20
    ok(charge(client, world, card["number"], amount=20), 201)


def test_a_retried_card_payment_is_charged_once(client: TestClient, world: World) -> None:
    card = issue(client, world, the_member(world))
    headers = {**keeper(world), "Idempotency-Key": "till-1-0042"}
    first = charge(client, world, card["number"], amount=12, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = charge(client, world, card["number"], amount=12, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS - 12
    assert len(listing(client, "/payments", keeper(world))) == 1
    reused = charge(client, world, card["number"], amount=13, headers=headers)
    assert_problem(reused, 409, "idempotency_key_reused")
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS - 12
    assert card_of(client, world, card["id"])["tries_left"] == 5


# --- wrong PINs per shop ------------------------------------------------------------------------


@pytest.fixture
def strict_client(settings: Settings) -> Iterator[TestClient]:
    """A service that tolerates only ``SHOP_MAX_FAILURES`` wrong PINs per shop in its window."""
    strict = settings.model_copy(update={"pin_shop_max_failures": SHOP_MAX_FAILURES})
    with TestClient(create_app(strict)) as test_client:
        yield test_client


def test_too_many_wrong_pins_at_one_shop_are_refused_for_a_while(
    strict_client: TestClient,
    world: World,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = strict_client
    start = clock.now()
    at(monkeypatch, start)
    first = issue(client, world, the_member(world))
    second = issue(client, world, world.stranger)
    assert_problem(charge(client, world, UNKNOWN_NUMBER), 404, "card_not_found")
    assert_problem(charge(client, world, first["number"], WRONG), 403, "wrong_pin")
    assert_problem(charge(client, world, second["number"], WRONG), 403, "wrong_pin")

    with nothing_changes(client, world):
        for card in (first, second):
            refused = charge(client, world, card["number"], PIN)
            assert_problem(refused, 429, "too_many_attempts")
            retry_after = int(refused.headers["retry-after"])
            assert 0 < retry_after <= settings.pin_window_seconds + 1
        assert_problem(charge(client, world, UNKNOWN_NUMBER), 429, "too_many_attempts")
    assert card_of(client, world, first["id"])["tries_left"] == 4, "refusals are not attempts"

    _elsewhere_keeper, elsewhere = other_shop(world)
    other_shop_charge = charge(
        client, world, first["number"], shop_id=elsewhere.id, headers=world.admin.headers
    )
    assert ok(other_shop_charge, 201)["amount"] == 10, "another shop is not held back"

    at(monkeypatch, start + timedelta(seconds=retry_after - 2))
    assert_problem(charge(client, world, second["number"]), 429, "too_many_attempts")
    at(monkeypatch, start + timedelta(seconds=retry_after))
    assert ok(charge(client, world, second["number"]), 201)["amount"] == 10


def test_a_retried_card_payment_is_replayed_even_after_the_card_is_blocked(
    client: TestClient, world: World
) -> None:
    """The first attempt charged the card; the till did not hear back and retries with the same
    key after the member has reported the card lost. The payment happened, so the retry must
    replay it (README: same principal, key and request replay the stored response).

    Shows a bug: ``services.cards.charge`` checks the card (``_begin_attempt``) before
    ``Writer.run`` looks the key up, so the retry is refused with 409 ``card_blocked`` (and, in
    the same way, 409 ``card_locked`` or 429 ``too_many_attempts``) instead of being replayed."""
    member = the_member(world)
    card = issue(client, world, member)
    headers = {**keeper(world), "Idempotency-Key": "till-1-0043"}
    first = charge(client, world, card["number"], amount=12, headers=headers)
    assert first.status_code == 201, first.text
    ok(client.post(f"{API}/cards/{card['id']}/block", headers=member.headers))
    again = charge(client, world, card["number"], amount=12, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
