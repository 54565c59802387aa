"""Users' life cycle through the API: an administrator deactivates a user (every token revoked,
sign-in and card payments refused, accounts and history kept and still audited) and reactivates
them, and sets a new password; a person changes their own password with the current one; a
card's member changes its PIN and an administrator resets it. Each is in the audit trail, never
with a secret, and each refusal has its stable code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import API, assert_problem
from tests.support import PASSWORD, Actor, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.ledger.read_models import AccountView

PIN = "2580"
NEW_PIN = "97531"
NEW_PASSWORD = "a-brand-new-secret"


@dataclass
class People:
    ledger: Ledger
    admin: Actor
    member: Actor
    wallet: AccountView
    keeper: Actor
    shop: AccountView


@pytest.fixture
def people(ledger: Ledger) -> People:
    ledger.currency("TRK")
    member = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(member, 100)
    keeper = ledger.user(Role.SHOPKEEPER)
    shop = ledger.account(AccountKind.SHOP, keeper)
    return People(ledger, ledger.admin, member, wallet, keeper, shop)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post(f"{API}/auth/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def events(client: TestClient, people: People, action: str) -> list[dict[str, Any]]:
    response = client.get(
        f"{API}/audit/events", params={"action": action}, headers=people.admin.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def issue_card(client: TestClient, people: People) -> dict[str, Any]:
    response = client.post(
        f"{API}/cards",
        json={"member_id": people.member.id, "pin": PIN},
        headers=people.admin.headers,
    )
    assert response.status_code == 201, response.text
    card: dict[str, Any] = response.json()
    return card


def charge(client: TestClient, people: People, card: dict[str, Any], pin: str) -> Any:
    body = {"shop_account_id": people.shop.id, "card": card["number"], "pin": pin, "amount": 5}
    return client.post(f"{API}/card-payments", json=body, headers=people.keeper.headers)


# --- deactivating and reactivating ----------------------------------------------------------


def test_a_deactivated_user_is_refused_everywhere_but_keeps_accounts_and_history(
    client: TestClient, people: People
) -> None:
    member = people.member
    second = sign_in(client, member.principal.username).json()["access_token"]
    card = issue_card(client, people)
    assert charge(client, people, card, PIN).status_code == 201

    response = client.post(f"{API}/users/{member.id}/deactivate", headers=people.admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False

    for token in (member.token, second):
        assert_problem(client.get(f"{API}/users/me", headers=bearer(token)), 401, "invalid_token")
    assert_problem(sign_in(client, member.principal.username), 401, "invalid_credentials")
    assert_problem(charge(client, people, card, PIN), 409, "user_inactive")
    # Even a wrong PIN is refused as the member's, before it is tried: nothing is counted.
    assert_problem(charge(client, people, card, "0000"), 409, "user_inactive")
    card_id = client.get(f"{API}/cards", headers=people.admin.headers).json()["items"][0]["id"]
    tries = client.get(f"{API}/cards/{card_id}", headers=people.admin.headers).json()
    assert tries["tries_left"] == 5

    wallet = client.get(f"{API}/accounts/{people.wallet.id}", headers=people.admin.headers)
    assert wallet.status_code == 200
    assert wallet.json()["balance"] == 95
    entries = client.get(
        f"{API}/accounts/{people.wallet.id}/entries", headers=people.admin.headers
    ).json()["items"]
    assert len(entries) == 2
    verify = client.get(f"{API}/audit/verify", headers=people.admin.headers)
    assert verify.json()["ok"] is True
    listed = client.get(f"{API}/users/{member.id}", headers=people.admin.headers).json()
    assert listed["is_active"] is False

    (event,) = events(client, people, "user.deactivated")
    assert event["subject_id"] == str(member.id)
    assert event["actor_id"] == people.admin.id
    assert event["before"] == {"is_active": True}
    assert event["after"] == {"is_active": False, "tokens_revoked": 2}


def test_reactivating_restores_sign_in_but_no_token(client: TestClient, people: People) -> None:
    member, headers = people.member, people.admin.headers
    assert client.post(f"{API}/users/{member.id}/deactivate", headers=headers).status_code == 200
    assert_problem(
        client.post(f"{API}/users/{member.id}/deactivate", headers=headers),
        409,
        "user_already_inactive",
    )

    response = client.post(f"{API}/users/{member.id}/reactivate", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is True
    assert_problem(client.get(f"{API}/users/me", headers=member.headers), 401, "invalid_token")
    fresh = sign_in(client, member.principal.username)
    assert fresh.status_code == 200, fresh.text
    assert_problem(
        client.post(f"{API}/users/{member.id}/reactivate", headers=headers),
        409,
        "user_already_active",
    )
    (event,) = events(client, people, "user.reactivated")
    assert (event["before"], event["after"]) == ({"is_active": False}, {"is_active": True})


def test_nobody_deactivates_themself_and_administrators_deactivate_another_with_four_eyes(
    client: TestClient, people: People
) -> None:
    admin = people.admin
    assert_problem(
        client.post(f"{API}/users/{admin.id}/deactivate", headers=admin.headers),
        409,
        "own_user_not_deactivatable",
    )
    other = people.ledger.user(Role.ADMIN)
    third = people.ledger.user(Role.ADMIN)
    response = client.post(f"{API}/users/{other.id}/deactivate", headers=admin.headers)
    assert response.status_code == 202, response.text
    approved = client.post(
        f"{API}/approvals/{response.json()['id']}/approve", headers=third.headers
    )
    assert approved.status_code == 201, approved.text
    assert_problem(client.get(f"{API}/users/me", headers=other.headers), 401, "invalid_token")
    assert client.get(f"{API}/users/me", headers=admin.headers).status_code == 200


def test_lifecycle_writes_refuse_others_and_unknown_users(
    client: TestClient, people: People
) -> None:
    target = people.keeper.id
    auditor = people.ledger.user(Role.AUDITOR)
    for actor in (people.member, auditor):
        for action in ("deactivate", "reactivate"):
            refused = client.post(f"{API}/users/{target}/{action}", headers=actor.headers)
            assert_problem(refused, 403, "role_not_allowed")
        refused = client.post(
            f"{API}/users/{target}/password",
            json={"password": NEW_PASSWORD},
            headers=actor.headers,
        )
        assert_problem(refused, 403, "role_not_allowed")
    assert_problem(
        client.get(f"{API}/users/{target}", headers=people.member.headers), 403, "role_not_allowed"
    )
    assert client.get(f"{API}/users/{target}", headers=auditor.headers).status_code == 200
    for action in ("deactivate", "reactivate"):
        missing = client.post(f"{API}/users/999999/{action}", headers=people.admin.headers)
        assert_problem(missing, 404, "user_not_found")
    assert client.get(f"{API}/users/me", headers=people.keeper.headers).status_code == 200


def test_deactivating_with_a_key_replays_the_first_answer(
    client: TestClient, people: People
) -> None:
    headers = {**people.admin.headers, "Idempotency-Key": "deactivate-1"}
    path = f"{API}/users/{people.member.id}/deactivate"
    first = client.post(path, headers=headers)
    again = client.post(path, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(events(client, people, "user.deactivated")) == 1


# --- passwords -------------------------------------------------------------------------------


def test_an_administrator_sets_a_new_password_and_every_token_is_revoked(
    client: TestClient, people: People
) -> None:
    member = people.member
    path = f"{API}/users/{member.id}/password"
    assert_problem(
        client.post(path, json={"password": "short"}, headers=people.admin.headers),
        422,
    )
    response = client.post(path, json={"password": NEW_PASSWORD}, headers=people.admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"revoked": 1}
    assert_problem(client.get(f"{API}/users/me", headers=member.headers), 401, "invalid_token")
    assert_problem(sign_in(client, member.principal.username), 401, "invalid_credentials")
    assert sign_in(client, member.principal.username, NEW_PASSWORD).status_code == 200
    (event,) = events(client, people, "user.password_set")
    assert event["after"] == {"tokens_revoked": 1}
    assert NEW_PASSWORD not in json.dumps(event)


def test_a_person_changes_their_password_and_only_this_token_survives(
    client: TestClient, people: People
) -> None:
    member = people.member
    other = sign_in(client, member.principal.username).json()["access_token"]
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = client.post(f"{API}/me/password", json=body, headers=member.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"revoked": 1}
    assert client.get(f"{API}/users/me", headers=member.headers).status_code == 200
    assert_problem(client.get(f"{API}/users/me", headers=bearer(other)), 401, "invalid_token")
    assert_problem(sign_in(client, member.principal.username), 401, "invalid_credentials")
    assert sign_in(client, member.principal.username, NEW_PASSWORD).status_code == 200
    (event,) = events(client, people, "user.password_changed")
    assert event["actor_id"] == member.id
    assert event["after"] == {"tokens_revoked": 1}
    assert PASSWORD not in json.dumps(event)
    assert NEW_PASSWORD not in json.dumps(event)


def test_a_wrong_current_password_is_refused_and_counts_as_a_failed_sign_in(
    client: TestClient, people: People
) -> None:
    member = people.member
    wrong = {"current_password": "not-my-password", "new_password": NEW_PASSWORD}
    weak = {"current_password": PASSWORD, "new_password": "short"}
    assert_problem(client.post(f"{API}/me/password", json=weak, headers=member.headers), 422)
    for _ in range(people.ledger.settings.login_max_failures):
        refused = client.post(f"{API}/me/password", json=wrong, headers=member.headers)
        assert_problem(refused, 403, "wrong_password")
    # The limit of failed sign-ins is reached: the right password is refused too, for now.
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    limited = client.post(f"{API}/me/password", json=right, headers=member.headers)
    assert_problem(limited, 429, "too_many_attempts")
    assert_problem(sign_in(client, member.principal.username), 429, "too_many_attempts")
    assert events(client, people, "user.password_changed") == []


def test_a_password_change_with_a_key_is_replayed_not_tried_again(
    client: TestClient, people: People
) -> None:
    headers = {**people.member.headers, "Idempotency-Key": "new-password"}
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    first = client.post(f"{API}/me/password", json=body, headers=headers)
    assert first.status_code == 200, first.text
    again = client.post(f"{API}/me/password", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert len(events(client, people, "user.password_changed")) == 1


# --- PINs ------------------------------------------------------------------------------------


def test_a_member_changes_their_cards_pin_with_the_current_one(
    client: TestClient, people: People
) -> None:
    card = issue_card(client, people)
    path = f"{API}/cards/{card['id']}/pin"
    wrong = client.post(
        path, json={"current_pin": "1111", "new_pin": NEW_PIN}, headers=people.member.headers
    )
    body = assert_problem(wrong, 403, "wrong_pin")
    assert body["tries_left"] == 4
    bad = client.post(
        path, json={"current_pin": PIN, "new_pin": "12"}, headers=people.member.headers
    )
    assert_problem(bad, 422, "invalid_pin")
    stranger = people.ledger.user(Role.MEMBER)
    theirs = client.post(
        path, json={"current_pin": PIN, "new_pin": NEW_PIN}, headers=stranger.headers
    )
    assert_problem(theirs, 403, "role_not_allowed")

    done = client.post(
        path, json={"current_pin": PIN, "new_pin": NEW_PIN}, headers=people.member.headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["tries_left"] == 5
    assert_problem(charge(client, people, card, PIN), 403, "wrong_pin")
    assert charge(client, people, card, NEW_PIN).status_code == 201
    (event,) = events(client, people, "card.pin_changed")
    assert event["actor_id"] == people.member.id
    assert event["after"] == {"by": "member"}


def test_five_wrong_current_pins_lock_the_card_and_a_reset_unlocks_it(
    client: TestClient, people: People
) -> None:
    card = issue_card(client, people)
    path = f"{API}/cards/{card['id']}/pin"
    body = {"current_pin": "1111", "new_pin": NEW_PIN}
    for left in (4, 3, 2, 1, 0):
        refused = client.post(path, json=body, headers=people.member.headers)
        assert assert_problem(refused, 403, "wrong_pin")["tries_left"] == left
    right = {"current_pin": PIN, "new_pin": NEW_PIN}
    assert_problem(client.post(path, json=right, headers=people.member.headers), 409, "card_locked")
    assert_problem(charge(client, people, card, PIN), 409, "card_locked")

    reset = f"{API}/cards/{card['id']}/reset-pin"
    assert_problem(
        client.post(reset, json={"pin": "12a4"}, headers=people.admin.headers), 422, "invalid_pin"
    )
    assert_problem(
        client.post(reset, json={"pin": NEW_PIN}, headers=people.member.headers),
        403,
        "role_not_allowed",
    )
    response = client.post(reset, json={"pin": NEW_PIN}, headers=people.admin.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["locked"], response.json()["tries_left"]) == (False, 5)
    assert response.json()["number"] == card["number"]
    assert_problem(charge(client, people, card, PIN), 403, "wrong_pin")
    assert charge(client, people, card, NEW_PIN).status_code == 201
    (event,) = events(client, people, "card.pin_reset")
    assert event["before"] == {"locked": True, "pin_failures": 5}
    assert event["after"] == {"locked": False, "pin_failures": 0}


def test_a_blocked_cards_pin_is_neither_reset_nor_changed(
    client: TestClient, people: People
) -> None:
    card = issue_card(client, people)
    blocked = client.post(f"{API}/cards/{card['id']}/block", headers=people.admin.headers)
    assert blocked.status_code == 200
    reset = client.post(
        f"{API}/cards/{card['id']}/reset-pin", json={"pin": NEW_PIN}, headers=people.admin.headers
    )
    assert_problem(reset, 409, "card_blocked")
    change = client.post(
        f"{API}/cards/{card['id']}/pin",
        json={"current_pin": PIN, "new_pin": NEW_PIN},
        headers=people.member.headers,
    )
    assert_problem(change, 409, "card_blocked")
    missing = client.post(
        f"{API}/cards/999999/reset-pin", json={"pin": NEW_PIN}, headers=people.admin.headers
    )
    assert_problem(missing, 404, "card_not_found")
