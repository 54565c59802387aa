"""Idempotency-Key: a retried write takes effect once.

Same principal, same key, same request: the stored response is replayed (same status and body,
``Idempotent-Replayed: true``) and nothing more is written. Same key with another request: 409
``idempotency_key_reused``. Keys are per principal. A refusal once the write has begun is stored
and replayed like any outcome; a request refused before (422 validation, 401) is judged again.
Malformed keys are refused with 422 ``invalid_idempotency_key``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import API, assert_problem, snapshot
from tests.support import PASSWORD
from torekes.domain.access import Role


@dataclass(frozen=True)
class Write:
    name: str
    path: Callable[[World], str]
    body: Callable[[World], dict[str, Any] | None]
    other_body: Callable[[World], dict[str, Any] | None]
    status: int = 201
    ledger: bool = True  # appends a transaction to the journal

    def __str__(self) -> str:
        return self.name


def _transfer(world: World, amount: int = 10) -> dict[str, Any]:
    return {
        "from_account_id": world.budget.id,
        "to_account_id": world.stranger_account.id,
        "amount": amount,
    }


def _entry(world: World, amount: int = 10) -> dict[str, Any]:
    return {
        "currency": "TRK",
        "kind": "reward",
        "postings": [
            {"account_id": world.budget.id, "amount": -amount},
            {"account_id": world.stranger_account.id, "amount": amount},
        ],
    }


WRITES = [
    Write(
        "currencies",
        lambda _w: f"{API}/currencies",
        lambda _w: {"code": "NEW", "name": "New", "decimals": 0, "euro_rate": "0.10"},
        lambda _w: {"code": "NEW", "name": "New", "decimals": 2, "euro_rate": "0.10"},
        ledger=False,
    ),
    Write(
        "accounts",
        lambda _w: f"{API}/accounts",
        lambda w: {"currency": "TRK", "kind": "member", "name": "Ann", "owner_id": w.stranger.id},
        lambda w: {"currency": "TRK", "kind": "member", "name": "Bob", "owner_id": w.stranger.id},
        ledger=False,
    ),
    Write(
        "issuances",
        lambda _w: f"{API}/issuances",
        lambda w: {"to_account_id": w.budget.id, "amount": 500, "memo": "grant"},
        lambda w: {"to_account_id": w.budget.id, "amount": 501, "memo": "grant"},
    ),
    Write("transfers", lambda _w: f"{API}/transfers", _transfer, lambda w: _transfer(w, 11)),
    Write("transactions", lambda _w: f"{API}/transactions", _entry, lambda w: _entry(w, 11)),
    Write(
        "reverse",
        lambda w: f"{API}/transactions/{w.stranger_tx}/reverse",
        lambda _w: {"reason": "paid twice"},
        lambda _w: {"reason": "another reason"},
    ),
    Write(
        "freeze",
        lambda w: f"{API}/accounts/{w.stranger_account.id}/freeze",
        lambda _w: None,
        lambda _w: {"unexpected": "body"},
        status=200,
        ledger=False,
    ),
    Write(
        "deactivate",
        lambda w: f"{API}/users/{w.stranger.id}/deactivate",
        lambda _w: None,
        lambda _w: {"unexpected": "body"},
        status=200,
        ledger=False,
    ),
    Write(
        "set password",
        lambda w: f"{API}/users/{w.stranger.id}/password",
        lambda _w: {"password": "set-by-the-desk"},
        lambda _w: {"password": "another-by-the-desk"},
        status=200,
        ledger=False,
    ),
    Write(
        "revoke tokens",
        lambda w: f"{API}/users/{w.stranger.id}/revoke-tokens",
        lambda _w: None,
        lambda _w: {"unexpected": "body"},
        status=200,
        ledger=False,
    ),
]


def _key(key: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_same_request_is_replayed(client: TestClient, world: World, write: Write) -> None:
    headers = _key("retry-1", world.admin.headers)
    path, body = write.path(world), write.body(world)

    first = client.post(path, json=body, headers=headers)
    assert first.status_code == write.status, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = snapshot(client, world.admin.headers)

    again = client.post(path, json=body, headers=headers)
    assert again.status_code == first.status_code, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"].startswith("application/json")
    assert snapshot(client, world.admin.headers) == after_first

    if write.ledger:
        assert first.json()["idempotency_key"] == "retry-1"
        stored = client.get(f"{API}/transactions/{first.json()['id']}", headers=world.admin.headers)
        assert stored.json()["idempotency_key"] == "retry-1"


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_same_key_with_another_request_is_refused(
    client: TestClient, world: World, write: Write
) -> None:
    headers = _key("retry-2", world.admin.headers)
    path = write.path(world)
    first = client.post(path, json=write.body(world), headers=headers)
    assert first.status_code == write.status, first.text
    before = snapshot(client, world.admin.headers)

    other = client.post(path, json=write.other_body(world), headers=headers)
    assert_problem(other, 409, "idempotency_key_reused")
    elsewhere = client.post(
        f"{API}/issuances", json={"to_account_id": world.budget.id, "amount": 7}, headers=headers
    )
    assert_problem(elsewhere, 409, "idempotency_key_reused")
    assert snapshot(client, world.admin.headers) == before


def test_the_ledger_has_one_transaction_per_key(client: TestClient, world: World) -> None:
    member = world.actors[Role.MEMBER]
    body = {
        "from_account_id": world.own[Role.MEMBER].id,
        "to_account_id": world.stranger_account.id,
        "amount": 30,
    }
    headers = _key("pay-shop-0001", member.headers)
    responses = [client.post(f"{API}/transfers", json=body, headers=headers) for _ in range(5)]
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1

    feed = client.get(
        f"{API}/transactions", params={"currency": "TRK"}, headers=world.admin.headers
    ).json()["items"]
    assert [tx["idempotency_key"] for tx in feed].count("pay-shop-0001") == 1
    account = client.get(f"{API}/accounts/{world.own[Role.MEMBER].id}", headers=member.headers)
    assert account.json()["balance"] == OWN_FUNDS - 30


def test_body_is_compared_as_json_not_as_bytes(client: TestClient, world: World) -> None:
    headers = {**_key("k-json", world.admin.headers), "Content-Type": "application/json"}
    body = _transfer(world)
    first = client.post(f"{API}/transfers", content=json.dumps(body), headers=headers)
    assert first.status_code == 201, first.text
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = client.post(f"{API}/transfers", content=reordered, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_keys_belong_to_their_principal(client: TestClient, world: World) -> None:
    """The same key used by two people is two requests."""
    ids = []
    for role in (Role.MEMBER, Role.SHOPKEEPER, Role.COORDINATOR, Role.ADMIN):
        body = {
            "from_account_id": world.own[role].id,
            "to_account_id": world.stranger_account.id,
            "amount": 10,
        }
        response = client.post(
            f"{API}/transfers", json=body, headers=_key("shared-key", world.headers(role))
        )
        assert response.status_code == 201, response.text
        assert "idempotent-replayed" not in response.headers
        ids.append(response.json()["id"])
    assert len(set(ids)) == 4
    stranger = client.get(
        f"{API}/accounts/{world.stranger_account.id}", headers=world.admin.headers
    )
    assert stranger.json()["balance"] == OWN_FUNDS + 40


def test_another_principal_cannot_replay_a_response(client: TestClient, world: World) -> None:
    """A stored response is not handed to someone else who guesses the key."""
    member = world.actors[Role.MEMBER]
    body = {
        "from_account_id": world.own[Role.MEMBER].id,
        "to_account_id": world.stranger_account.id,
        "amount": 10,
    }
    first = client.post(f"{API}/transfers", json=body, headers=_key("k-mine", member.headers))
    assert first.status_code == 201, first.text
    thief = client.post(
        f"{API}/transfers", json=body, headers=_key("k-mine", world.headers(Role.SHOPKEEPER))
    )
    assert_problem(thief, 403, "not_account_owner")


def test_same_user_with_another_token_replays(client: TestClient, world: World) -> None:
    member = world.actors[Role.MEMBER]
    body = {
        "from_account_id": world.own[Role.MEMBER].id,
        "to_account_id": world.stranger_account.id,
        "amount": 10,
    }
    first = client.post(f"{API}/transfers", json=body, headers=_key("k-device", member.headers))
    assert first.status_code == 201, first.text
    token = client.post(
        f"{API}/auth/token", data={"username": member.principal.username, "password": PASSWORD}
    ).json()["access_token"]
    second_device = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-device"}
    again = client.post(f"{API}/transfers", json=body, headers=second_device)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_a_refusal_once_begun_is_stored(client: TestClient, world: World) -> None:
    """The same key gets the same outcome: a payment refused for want of funds stays refused
    after the account is topped up, and a retry changes nothing."""
    member = world.actors[Role.MEMBER]
    account = world.own[Role.MEMBER].id
    body = {"from_account_id": account, "to_account_id": world.stranger_account.id, "amount": 150}
    headers = _key("k-refused", member.headers)
    before = snapshot(client, world.admin.headers)

    refused = client.post(f"{API}/transfers", json=body, headers=headers)
    assert_problem(refused, 409, "insufficient_funds")
    assert "idempotent-replayed" not in refused.headers
    assert snapshot(client, world.admin.headers) == before

    funding = {"from_account_id": world.budget.id, "to_account_id": account, "amount": 100}
    assert (
        client.post(f"{API}/transfers", json=funding, headers=world.admin.headers).status_code
        == 201
    )
    after_funding = snapshot(client, world.admin.headers)
    for _ in range(2):
        again = client.post(f"{API}/transfers", json=body, headers=headers)
        assert again.status_code == 409, again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"].startswith("application/problem+json")
        assert again.json() == refused.json()
    assert snapshot(client, world.admin.headers) == after_funding
    balance = client.get(f"{API}/accounts/{account}/balance", headers=member.headers).json()
    assert balance["balance"] == OWN_FUNDS + 100

    other = client.post(f"{API}/transfers", json={**body, "amount": 149}, headers=headers)
    assert_problem(other, 409, "idempotency_key_reused")
    fresh = client.post(f"{API}/transfers", json=body, headers=_key("k-new", member.headers))
    assert fresh.status_code == 201, fresh.text


def test_a_refusal_before_any_change_keeps_its_extra_members(
    client: TestClient, world: World
) -> None:
    """A stored refusal replays every member of its problem, context included."""
    headers = _key("k-frozen", world.admin.headers)
    world.set_status(world.stranger_account.id, "freeze")
    refused = client.post(f"{API}/transfers", json=_transfer(world), headers=headers)
    assert_problem(refused, 409, "account_frozen")
    world.set_status(world.stranger_account.id, "unfreeze")
    again = client.post(f"{API}/transfers", json=_transfer(world), headers=headers)
    assert again.status_code == 409
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == refused.json()


def test_a_refusal_for_the_caller_is_not_stored(client: TestClient, world: World) -> None:
    """401 is about the caller at that moment, not the request: a retry is judged again."""
    body = _transfer(world)
    anonymous = client.post(
        f"{API}/transfers", json=body, headers={"Idempotency-Key": "k-who", "Authorization": ""}
    )
    assert_problem(anonymous, 401, "not_authenticated")
    signed_in = client.post(
        f"{API}/transfers", json=body, headers=_key("k-who", world.admin.headers)
    )
    assert signed_in.status_code == 201, signed_in.text
    assert "idempotent-replayed" not in signed_in.headers


def test_an_invalid_request_does_not_use_up_the_key(client: TestClient, world: World) -> None:
    headers = _key("k-typo", world.admin.headers)
    bad = client.post(f"{API}/transfers", json={**_transfer(world), "amount": -5}, headers=headers)
    assert_problem(bad, 422, "validation_error")
    good = client.post(f"{API}/transfers", json=_transfer(world), headers=headers)
    assert good.status_code == 201, good.text
    assert "idempotent-replayed" not in good.headers


def test_a_replay_is_not_judged_again(client: TestClient, world: World) -> None:
    """Once stored, the outcome stands even if the request would now be refused."""
    headers = _key("k-before-freeze", world.admin.headers)
    first = client.post(f"{API}/transfers", json=_transfer(world), headers=headers)
    assert first.status_code == 201, first.text
    world.set_status(world.stranger_account.id, "freeze")
    again = client.post(f"{API}/transfers", json=_transfer(world), headers=headers)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    fresh = client.post(
        f"{API}/transfers",
        json=_transfer(world),
        headers=_key("k-after-freeze", world.admin.headers),
    )
    assert_problem(fresh, 409, "account_frozen")


@pytest.mark.parametrize(
    "key",
    [
        b"",
        b"x" * 256,
        b"has space",
        b" leading",
        "cl\u00e9".encode(),
        "\u043a\u043b\u044e\u0447".encode(),
        b"tab\there",
        b"del\x7f",
    ],
    ids=repr,
)
def test_malformed_keys_are_refused(client: TestClient, world: World, key: bytes) -> None:
    before = snapshot(client, world.admin.headers)
    headers: dict[str, Any] = {**world.admin.headers, "Idempotency-Key": key}
    for path, body in [
        (f"{API}/transfers", _transfer(world)),
        (f"{API}/issuances", {"to_account_id": world.budget.id, "amount": 5}),
        (f"{API}/accounts", {"currency": "TRK", "kind": "member", "name": "Ann"}),
    ]:
        response = client.post(path, json=body, headers=headers)
        assert_problem(response, 422, "invalid_idempotency_key")
    assert snapshot(client, world.admin.headers) == before


@pytest.mark.parametrize("key", ["x" * 255, "a", "!~#$%&'*+-.^_`|", "0b2f6c1e-8f0a-4d5b"])
def test_well_formed_keys_are_accepted(client: TestClient, world: World, key: str) -> None:
    headers = _key(key, world.admin.headers)
    first = client.post(f"{API}/transfers", json=_transfer(world), headers=headers)
    assert first.status_code == 201, first.text
    again = client.post(f"{API}/transfers", json=_transfer(world), headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["idempotency_key"] == key
