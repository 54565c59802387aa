"""Codes are stored only as digests, in every table and record, the idempotency records included.

Every kind of code the service hands out (claim codes and their short codes, a payment request's
code, a member card's code and number, and the URLs holding them) is issued through the API with
and without an ``Idempotency-Key``, every retry is replayed with the same codes, a card pays with a
key, the card holder signs in at the counter (rightly, with a wrong PIN and with a wrong check
digit), and then every text column of every table is read and none of the codes is found, with or
without the dashes of a short code or the spaces of a card number.
Nor can a PIN be recovered from a stored request fingerprint by trying every PIN.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from tests.api.conftest import World
from tests.api.helpers import API
from tests.api.test_spending_api import keeper, ok, shop_of
from tests.apps import app_for
from tests.web.conftest import BASE, csrf_of
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.kit.unit_of_work import request_fingerprint
from torekes.settings import Settings

PIN = "2580"


def _issue(
    client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str], key: str | None
) -> list[Any]:
    """The response of a write, and with a key also its replay, which must show the same codes."""
    if key is None:
        return [ok(client.post(path, json=body, headers=headers), 201)]
    keyed = {**headers, "Idempotency-Key": key}
    first = ok(client.post(path, json=body, headers=keyed), 201)
    again = client.post(path, json=body, headers=keyed)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first
    return [first]


def _codes_shown(responses: list[Any]) -> set[str]:
    found: set[str] = set()
    for response in responses:
        for item in response.get("codes", [response]):
            for name in ("code", "url", "short_code"):
                if isinstance(item.get(name), str):
                    found.add(item[name])
            if isinstance(item.get("short_code"), str):
                found.add(item["short_code"].replace("-", ""))
            if isinstance(item.get("number"), str):  # a card's number, as printed and as typed
                found.update((item["number"], item["number"].replace(" ", "")))
    return found


def _sign_in_at_the_counter(settings: Settings, number: str, pin: str, status: int) -> None:
    with TestClient(app_for(settings), base_url=BASE) as browser:
        form = browser.get("/login/card")
        answer = browser.post(
            "/login/card",
            data={"number": number, "pin": pin, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert answer.status_code == status, answer.text


def _everything_stored(db: Database) -> str:
    """Every value of every table, as text."""
    metadata = MetaData()
    metadata.reflect(db.write_engine)
    texts: list[str] = []
    with db.write_engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                texts.extend(
                    value if isinstance(value, str) else json.dumps(value, default=str)
                    for value in row
                )
    return "\n".join(texts)


def test_no_code_is_stored_readable(
    client: TestClient, world: World, db: Database, settings: Settings
) -> None:
    admin = world.admin.headers
    member = world.actors[Role.MEMBER]
    shop = shop_of(world)
    activity = world.earning.activity.id
    responses: list[Any] = []
    for key in (None, "k-codes"):
        suffix = key or "plain"
        responses += _issue(
            client,
            f"{API}/activities/{activity}/code-batches",
            {"kind": "single", "count": 3},
            admin,
            key and f"{key}-batch",
        )
        responses += _issue(
            client,
            f"{API}/payment-requests",
            {"shop_account_id": shop.id, "amount": 5, "memo": suffix},
            keeper(world),
            key and f"{key}-request",
        )
        responses += _issue(
            client,
            f"{API}/payment-requests",
            {"shop_account_id": shop.id, "kind": "standing", "memo": suffix},
            keeper(world),
            key and f"{key}-standing",
        )
    card = _issue(client, f"{API}/cards", {"member_id": member.id, "pin": PIN}, admin, "k-card")
    replaced = _issue(
        client, f"{API}/cards/{card[0]['id']}/replace", {"pin": PIN}, admin, "k-replace"
    )
    unkeyed = _issue(
        client, f"{API}/cards", {"member_id": world.stranger.id, "pin": PIN}, admin, None
    )
    responses += card + replaced + unkeyed
    paid = _issue(
        client,
        f"{API}/card-payments",
        {
            "shop_account_id": shop.id,
            "card": replaced[0]["number"],
            "pin": PIN,
            "amount": 1,
            "memo": "soup",
        },
        keeper(world),
        "k-card-payment",
    )
    assert paid[0]["card_number"] == f"••• ••• {replaced[0]['number'][-4:]}"
    # At the counter: the right PIN on the new card, a wrong one on the blocked card, and a
    # number with a wrong check digit; the attempts are kept, but not the numbers typed.
    new_number, old_number = replaced[0]["number"], card[0]["number"]
    wrong_check_digit = new_number[:-1] + str((int(new_number[-1]) + 1) % 10)
    for number, pin, status in (
        (new_number, PIN, 303),
        (old_number, "0000", 401),
        (wrong_check_digit, PIN, 401),
    ):
        _sign_in_at_the_counter(settings, number, pin, status)
    responses.append({"number": wrong_check_digit})

    codes = _codes_shown(responses)
    assert len(codes) >= 2 * (3 * 4 + 2 * 2) + 3 * 4
    stored = _everything_stored(db)
    assert "k-codes-batch" in stored  # the idempotency records were read too
    assert [code for code in codes if code in stored] == []


def test_a_pin_cannot_be_read_back_from_a_stored_fingerprint(
    client: TestClient, world: World, db: Database
) -> None:
    member = world.actors[Role.MEMBER]
    body = {"member_id": member.id, "pin": PIN}
    headers = {**world.admin.headers, "Idempotency-Key": "k-pin"}
    ok(client.post(f"{API}/cards", json=body, headers=headers), 201)

    stored = _everything_stored(db)
    for guess in (f"{number:04d}" for number in range(10_000)):
        raw = json.dumps({"member_id": member.id, "pin": guess}).encode()
        assert request_fingerprint("POST", f"{API}/cards", raw) not in stored
