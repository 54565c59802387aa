"""The audit trail through the API: administrators and auditors filter it by action, subject,
actor and time; the events of a card's life read in order, newest first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.helpers import API, assert_invalid
from torekes.domain.access import Role
from torekes.kit import clock


def trail(client: TestClient, world: World, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/audit/events", params=params, headers=world.admin.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_cards_life_is_in_the_trail(client: TestClient, world: World) -> None:
    member = world.actors[Role.MEMBER]
    issued = client.post(
        f"{API}/cards", json={"member_id": member.id, "pin": "7391"}, headers=world.admin.headers
    )
    assert issued.status_code == 201, issued.text
    card_id = issued.json()["id"]
    blocked = client.post(
        f"{API}/cards/{card_id}/block", json={"reason": "lost"}, headers=member.headers
    )
    assert blocked.status_code == 200, blocked.text

    events = trail(client, world, subject_type="card", subject_id=str(card_id))
    assert [event["action"] for event in events] == ["card.blocked", "card.issued"]
    assert events[0]["actor_id"] == member.id
    assert events[1]["actor_id"] == world.admin.id
    assert events[1]["after"]["member_id"] == member.id
    assert "7391" not in str(events)
    by_member = trail(client, world, actor_id=member.id)
    assert [event["action"] for event in by_member] == ["card.blocked"]


def test_filters_by_time_and_action(client: TestClient, world: World) -> None:
    now = clock.now()
    opened = trail(client, world, action="account.opened")
    assert opened
    assert all(event["action"] == "account.opened" for event in opened)
    assert trail(client, world, action="account.opened", since=now.isoformat()) == []
    before = trail(client, world, action="account.opened", until=now.isoformat())
    assert [event["id"] for event in before] == [event["id"] for event in opened]
    later = (now + timedelta(days=1)).isoformat()
    assert trail(client, world, since=later) == []


def test_bad_filters_are_refused(client: TestClient, world: World) -> None:
    headers = world.headers(Role.AUDITOR)
    cases: list[tuple[dict[str, str | int], str | None]] = [
        ({"actor_id": 0}, "query.actor_id"),
        ({"since": "yesterday"}, "query.since"),
        ({"since": "2026-11-25T10:00:00"}, "query.since"),
        ({"action": "x" * 65}, "query.action"),
        ({"limit": 0}, "query.limit"),
        ({"cursor": "abc"}, None),
    ]
    for params, field in cases:
        response = client.get(f"{API}/audit/events", params=params, headers=headers)
        if field is None:
            assert response.status_code == 422, response.text
            assert response.json()["code"] == "invalid_cursor"
        else:
            assert_invalid(response, field)
