"""Acting for a member through the API: a coordinator records a claim for a member with the
member's card and PIN (`POST /claims/on-behalf`), a shopkeeper or an administrator reads the
member's statement (`POST /members/statement`), and a coordinator sends an attendance list
(`POST /claims/attendance`) with each row's outcome. Each honours `Idempotency-Key`: a retry is
answered without trying the PIN again. Other roles are refused before the PIN is tried."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import API, assert_problem
from tests.api.test_spending_api import keeper, ok
from tests.api.test_spending_cards import PIN, UNKNOWN_NUMBER, WRONG, card_of, issue, the_member
from torekes.domain.access import Role

REPLAYED = "Idempotent-Replayed"


def _activity(world: World, **changes: Any) -> int:
    return world.new_activity(requires_approval=False, reward_amount=12, **changes).id


def _mistyped(number: str) -> str:
    digits = number.replace(" ", "")
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


def test_a_coordinator_records_a_claim_for_a_member_with_their_card_and_pin(
    client: TestClient, world: World
) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    activity_id = _activity(world)
    coordinator = {**world.headers(Role.COORDINATOR), "Idempotency-Key": "claim-for-1"}
    body = {"card": card["number"], "pin": PIN, "activity_id": activity_id}

    first = client.post(f"{API}/claims/on-behalf", json=body, headers=coordinator)
    recorded = ok(first, 201)
    assert recorded["claim"]["member_id"] == member.id
    assert recorded["claim"]["recorded_by_id"] == world.actors[Role.COORDINATOR].id
    assert recorded["claim"]["code_id"] is None
    assert recorded["claim"]["status"] == "paid"
    assert recorded["member_name"] == member.principal.username.title()

    again = client.post(f"{API}/claims/on-behalf", json=body, headers=coordinator)
    assert again.status_code == 201
    assert again.headers.get(REPLAYED) == "true"
    assert again.json() == recorded
    reward = ok(
        client.get(
            f"{API}/transactions/{recorded['claim']['transaction_id']}",
            headers=world.admin.headers,
        )
    )
    assert reward["metadata"]["by"] == world.actors[Role.COORDINATOR].id
    assert reward["metadata"]["for"] == member.id
    events = ok(
        client.get(
            f"{API}/audit/events",
            params={"action": "claim.recorded_for_member"},
            headers=world.admin.headers,
        )
    )["items"]
    assert [(e["after"]["by"], e["after"]["for"]) for e in events] == [
        (world.actors[Role.COORDINATOR].id, member.id)
    ]


def test_a_wrong_pin_for_a_claim_counts_and_a_retry_does_not_try_again(
    client: TestClient, world: World
) -> None:
    card = issue(client, world, the_member(world))
    headers = {**world.headers(Role.COORDINATOR), "Idempotency-Key": "claim-for-wrong"}
    body = {"card": card["number"], "pin": WRONG, "activity_id": _activity(world)}
    for _ in range(2):
        refused = client.post(f"{API}/claims/on-behalf", json=body, headers=headers)
        assert_problem(refused, 403, "wrong_pin")
        assert refused.json()["tries_left"] == 4
    assert card_of(client, world, card["id"])["tries_left"] == 4


def test_a_mistyped_number_is_refused_before_the_pin(client: TestClient, world: World) -> None:
    card = issue(client, world, the_member(world))
    body = {"card": _mistyped(card["number"]), "pin": WRONG, "activity_id": _activity(world)}
    refused = client.post(
        f"{API}/claims/on-behalf", json=body, headers=world.headers(Role.COORDINATOR)
    )
    assert_problem(refused, 422, "card_number_mistyped")
    assert card_of(client, world, card["id"])["tries_left"] == 5


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        (Role.MEMBER, 403, "role_not_allowed"),
        (Role.SHOPKEEPER, 403, "role_not_allowed"),
        (Role.AUDITOR, 403, "role_not_allowed"),
    ],
)
def test_others_may_not_record_claims_for_members(
    client: TestClient, world: World, role: Role, status: int, code: str
) -> None:
    card = issue(client, world, the_member(world))
    body = {"card": card["number"], "pin": WRONG, "activity_id": _activity(world)}
    refused = client.post(f"{API}/claims/on-behalf", json=body, headers=world.headers(role))
    assert_problem(refused, status, code)
    assert card_of(client, world, card["id"])["tries_left"] == 5


def test_a_coordinator_of_no_project_is_refused_before_the_pin(
    client: TestClient, world: World
) -> None:
    card = issue(client, world, the_member(world))
    body = {"card": card["number"], "pin": WRONG, "activity_id": _activity(world)}
    refused = client.post(f"{API}/claims/on-behalf", json=body, headers=world.outsider.headers)
    assert_problem(refused, 403, "not_project_coordinator")
    assert card_of(client, world, card["id"])["tries_left"] == 5


def test_a_shopkeeper_reads_a_members_statement_with_their_pin(
    client: TestClient, world: World
) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    headers = {**keeper(world), "Idempotency-Key": "statement-1"}
    shown = ok(
        client.post(
            f"{API}/members/statement", json={"card": card["number"], "pin": PIN}, headers=headers
        )
    )
    assert shown["member_id"] == member.id
    assert shown["by_id"] == world.actors[Role.SHOPKEEPER].id
    assert shown["card_number"].endswith(card["number"][-4:])
    own = world.own[Role.MEMBER]
    [wallet] = [w for w in shown["wallets"] if w["account_id"] == own.id]
    assert wallet["balance"] == OWN_FUNDS
    assert wallet["lines"]
    for role in (Role.MEMBER, Role.COORDINATOR, Role.AUDITOR):
        refused = client.post(
            f"{API}/members/statement",
            json={"card": card["number"], "pin": PIN},
            headers=world.headers(role),
        )
        assert_problem(refused, 403, "role_not_allowed")
    admin = client.post(
        f"{API}/members/statement",
        json={"card": card["number"], "pin": PIN},
        headers=world.admin.headers,
    )
    assert ok(admin)["by_id"] == world.admin.id


def test_an_attendance_list_records_a_card_listed_twice_once(
    client: TestClient, world: World
) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    activity_id = _activity(world)
    digits = card["number"].replace(" ", "")
    body = {
        "activity_id": activity_id,
        "cards": [digits, f"{digits[:3]} {digits[3:6]} {digits[6:]}"],
    }
    headers = {**world.headers(Role.COORDINATOR), "Idempotency-Key": "attendance-twice"}
    rows = ok(client.post(f"{API}/claims/attendance", json=body, headers=headers))
    assert [row["refusal"] for row in rows] == [None, "card_listed_twice"]
    assert rows[0]["claim"] is not None
    assert rows[1]["claim"] is None


def test_an_attendance_list_answers_each_rows_outcome(client: TestClient, world: World) -> None:
    member = the_member(world)
    card = issue(client, world, member)
    activity_id = _activity(world, per_member_limit=1)
    headers = {**world.headers(Role.COORDINATOR), "Idempotency-Key": "attendance-1"}
    body = {
        "activity_id": activity_id,
        "cards": [card["number"], card["number"], _mistyped(card["number"]), UNKNOWN_NUMBER],
    }
    rows = ok(client.post(f"{API}/claims/attendance", json=body, headers=headers))
    assert [row["refusal"] for row in rows] == [
        None,
        "card_listed_twice",
        "card_number_mistyped",
        "card_not_found",
    ]
    assert rows[0]["claim"]["recorded_by_id"] == world.actors[Role.COORDINATOR].id
    assert rows[0]["member_name"] == member.principal.username.title()
    again = client.post(f"{API}/claims/attendance", json=body, headers=headers)
    assert again.headers.get(REPLAYED) == "true"
    assert again.json() == rows
    assert_problem(
        client.post(
            f"{API}/claims/attendance", json={**body, "cards": []}, headers=world.admin.headers
        ),
        422,
    )
    assert_problem(
        client.post(f"{API}/claims/attendance", json=body, headers=world.outsider.headers),
        403,
        "not_project_coordinator",
    )
