"""Earning through the API: projects and their budgets, activities and their states, batches of
claim codes with their sheet and QR images, claims paid at once or held for approval, the
coordinators' decisions, listings and summaries, and retries with Idempotency-Key.

Every refusal is an RFC 9457 problem with its stable ``code`` and changes nothing; expiry and
calendar limits move ``torekes.kit.clock`` instead of sleeping."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import png  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    OWN_FUNDS,
    PROJECT_FUNDS,
    REWARD,
    World,
    new_activity,
    new_batch,
    new_project,
)
from tests.api.helpers import (
    API,
    Attempt,
    HttpResponse,
    assert_invalid,
    assert_problem,
    earning_snapshot,
    invalid,
    problem_of,
    refuse_all,
    snapshot,
)
from tests.support import Actor
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.domain.periods import LimitPeriod
from torekes.kit import clock
from torekes.settings import Settings

CODE = re.compile(r"^[A-Za-z0-9_-]{27}$")  # 27 base64url characters: 162 bits
SHORT_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
QUIET_ZONE_PIXELS = 4 * 8  # four modules of eight pixels
MISSING = 123_456
MONDAY = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)  # 11:00 in Brussels


# --- helpers ------------------------------------------------------------------------------------


def ok(response: HttpResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    return ok(client.get(f"{API}{path}", headers=headers, params=params))


def post(
    client: TestClient, path: str, headers: dict[str, str], body: Any = None, status: int = 200
) -> Any:
    response = client.post(f"{API}{path}", headers=headers, json=body)
    return ok(response, status)


@contextmanager
def nothing_changes(client: TestClient, world: World, *batch_ids: int) -> Iterator[None]:
    """The ledger, the projects, activities and claims, and the named batches stay the same."""
    headers = world.admin.headers
    batches = [world.earning.batch.id, *batch_ids]
    before = (snapshot(client, headers), earning_snapshot(client, headers, batches))
    yield
    assert (snapshot(client, headers), earning_snapshot(client, headers, batches)) == before


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)


def project_of(client: TestClient, world: World, project_id: int | None = None) -> Any:
    return get(client, f"/projects/{project_id or world.earning.project.id}", world.admin.headers)


def balance(client: TestClient, world: World, account_id: int) -> int:
    return int(get(client, f"/accounts/{account_id}", world.admin.headers)["balance"])


def member_with_account(world: World) -> tuple[Actor, int]:
    member = world.ledger.user(Role.MEMBER)
    return member, world.ledger.account(AccountKind.MEMBER, member).id


def claim_as(
    client: TestClient, actor: Actor, code: str, hours: str | None = None, **more: Any
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, **more}
    if hours is not None:
        body["hours"] = hours
    return client.post(f"{API}/claims", json=body, headers=actor.headers)


def canonical(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity with its moments and hours as values, not as the text that spelled them."""
    moments = {
        name: None if activity[name] is None else datetime.fromisoformat(activity[name])
        for name in ("valid_from", "valid_until", "created_at")
    }
    hours = None if activity["max_hours"] is None else Decimal(activity["max_hours"])
    return {**activity, **moments, "max_hours": hours}


def reward_transactions(client: TestClient, world: World) -> list[Any]:
    feed = get(client, "/transactions", world.admin.headers, currency="TRK", limit=500)
    return [tx for tx in feed["items"] if tx["kind"] == "reward"]


def immediate(world: World, **changes: Any) -> Any:
    """A further activity of the world's project paying at once, without approval."""
    return world.new_activity(requires_approval=False, **changes)


# --- projects -----------------------------------------------------------------------------------


def test_create_and_fund_a_project(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    coordinator = world.actors[Role.COORDINATOR]
    body = {
        "name": "  Restaurant  ",
        "currency": "TRK",
        "coordinator_ids": [world.outsider.id, coordinator.id, world.outsider.id],
    }
    project = post(client, "/projects", admin, body, 201)
    assert project["name"] == "Restaurant"
    assert project["currency"] == "TRK"
    assert project["coordinator_ids"] == sorted([coordinator.id, world.outsider.id])
    assert (project["budget_balance"], project["budget_held"], project["budget_available"]) == (
        0,
        0,
        0,
    )
    budget = get(client, f"/accounts/{project['budget_account_id']}", admin)
    assert (budget["kind"], budget["balance"], budget["owner_id"]) == ("budget", 0, None)
    assert get(client, f"/projects/{project['id']}", admin) == project

    issued = post(
        client,
        "/issuances",
        admin,
        {"to_account_id": project["budget_account_id"], "amount": 500},
        201,
    )
    assert issued["kind"] == "issuance"
    funded = get(client, f"/projects/{project['id']}", coordinator.headers)
    assert (funded["budget_balance"], funded["budget_held"], funded["budget_available"]) == (
        500,
        0,
        500,
    )
    seen = [item["id"] for item in get(client, "/projects", world.outsider.headers)]
    assert seen == [project["id"]]
    listed = [item["id"] for item in get(client, "/projects", world.headers(Role.AUDITOR))]
    assert listed == [world.earning.project.id, project["id"]]


def test_add_a_coordinator(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    path = f"/projects/{world.earning.project.id}/coordinators"
    added = post(client, path, admin, {"user_id": world.outsider.id})
    expected = sorted([world.actors[Role.COORDINATOR].id, world.outsider.id])
    assert added["coordinator_ids"] == expected
    again = post(client, path, admin, {"user_id": world.outsider.id})
    assert again["coordinator_ids"] == expected
    # The new coordinator may now act in the project.
    activity = post(
        client,
        f"/projects/{world.earning.project.id}/activities",
        world.outsider.headers,
        {"title": "Cooking", "reward_kind": "fixed", "reward_amount": 3},
        201,
    )
    assert activity["project_id"] == world.earning.project.id


def test_project_coordinators_must_be_coordinators(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    project_id = world.earning.project.id
    not_coordinators = [Role.MEMBER, Role.SHOPKEEPER, Role.AUDITOR, Role.ADMIN]
    attempts = [
        Attempt(
            "POST",
            f"{API}/projects",
            problem_of(422, "invalid_input"),
            {"json": {"name": "P", "currency": "TRK", "coordinator_ids": [world.actors[role].id]}},
        )
        for role in not_coordinators
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/projects/{project_id}/coordinators",
            problem_of(422, "invalid_input"),
            {"json": {"user_id": world.actors[role].id}},
        )
        for role in not_coordinators
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/projects",
            problem_of(404, "user_not_found"),
            {"json": {"name": "P", "currency": "TRK", "coordinator_ids": [MISSING]}},
        ),
        Attempt(
            "POST",
            f"{API}/projects/{project_id}/coordinators",
            problem_of(404, "user_not_found"),
            {"json": {"user_id": MISSING}},
        ),
        Attempt(
            "POST",
            f"{API}/projects/{MISSING}/coordinators",
            problem_of(404, "project_not_found"),
            {"json": {"user_id": world.outsider.id}},
        ),
        Attempt(
            "POST",
            f"{API}/projects",
            problem_of(404, "currency_not_found"),
            {"json": {"name": "P", "currency": "XYZ"}},
        ),
        Attempt("POST", f"{API}/projects", invalid("body.currency"), {"json": {"name": "P"}}),
        Attempt(
            "POST",
            f"{API}/projects",
            invalid("body.name"),
            {"json": {"name": "  ", "currency": "TRK"}},
        ),
        Attempt(
            "POST",
            f"{API}/projects",
            invalid("body.coordinator_ids"),
            {"json": {"name": "P", "currency": "TRK", "coordinator_ids": [0]}},
        ),
        Attempt(
            "POST",
            f"{API}/projects",
            invalid("body.budget_account_id"),
            {"json": {"name": "P", "currency": "TRK", "budget_account_id": 1}},
        ),
        Attempt("GET", f"{API}/projects/{MISSING}", problem_of(404, "project_not_found")),
        Attempt(
            "GET", f"{API}/projects/{MISSING}/activities", problem_of(404, "project_not_found")
        ),
        Attempt("GET", f"{API}/projects/0", invalid("path.project_id")),
    ]
    with nothing_changes(client, world):
        refuse_all(client, attempts, admin, admin)
        assert len(get(client, "/projects", admin)) == 1


# --- activities ---------------------------------------------------------------------------------


def test_create_fixed_and_per_hour_activities(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    path = f"/projects/{world.earning.project.id}/activities"
    fixed_body: dict[str, Any] = {
        "title": "Street cleaning",
        "description": "Bring gloves",
        "reward_kind": "fixed",
        "reward_amount": 20,
        "capacity": 30,
        "per_member_limit": 2,
        "period_limit": 1,
        "period": "week",
        "valid_from": "2030-01-01T08:00:00+01:00",
        "valid_until": "2030-12-31T18:00:00Z",
    }
    fixed = post(client, path, coordinator, fixed_body, 201)
    expected: dict[str, Any] = {
        **fixed_body,
        "project_id": world.earning.project.id,
        "max_hours": None,
        "requires_approval": False,
        "status": "active",
        "claims_count": 0,
    }
    moments = ("valid_from", "valid_until")
    assert {name: fixed[name] for name in expected if name not in moments} == {
        name: value for name, value in expected.items() if name not in moments
    }
    for name in moments:
        assert datetime.fromisoformat(fixed[name]) == datetime.fromisoformat(str(expected[name]))

    per_hour_body = {
        "title": "Kitchen shift",
        "reward_kind": "per_hour",
        "reward_amount": 25,
        "max_hours": "4.5",
        "requires_approval": True,
    }
    per_hour = post(client, path, coordinator, per_hour_body, 201)
    assert (per_hour["reward_kind"], per_hour["reward_amount"]) == ("per_hour", 25)
    assert Decimal(per_hour["max_hours"]) == Decimal("4.5")
    assert per_hour["requires_approval"] is True
    assert per_hour["description"] == ""

    assert canonical(get(client, f"/activities/{fixed['id']}", coordinator)) == canonical(fixed)
    listed = get(client, path, coordinator)
    assert [item["id"] for item in listed] == [
        world.earning.activity.id,
        fixed["id"],
        per_hour["id"],
    ]
    assert canonical(listed[2]) == canonical(per_hour)


ACTIVITY = {"title": "Weeding", "reward_kind": "fixed", "reward_amount": 10}
PER_HOUR = {"title": "Weeding", "reward_kind": "per_hour", "reward_amount": 10, "max_hours": "2"}

BAD_ACTIVITIES: list[tuple[dict[str, Any], str, str]] = [
    ({**PER_HOUR, "max_hours": None}, "invalid_activity", ""),
    ({**ACTIVITY, "period": "day"}, "invalid_activity", ""),
    ({**ACTIVITY, "period_limit": 2}, "invalid_activity", ""),
    (
        {**ACTIVITY, "valid_from": "2030-02-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"},
        "invalid_activity",
        "",
    ),
    (
        {**ACTIVITY, "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"},
        "invalid_activity",
        "",
    ),
    ({**ACTIVITY, "valid_from": "2030-01-01T00:00:00"}, "validation_error", "body.valid_from"),
    ({**ACTIVITY, "valid_until": "2030-01-01T10:00"}, "validation_error", "body.valid_until"),
    ({**ACTIVITY, "valid_from": "2030-01-01"}, "validation_error", "body.valid_from"),
    ({**ACTIVITY, "valid_from": "soon"}, "validation_error", "body.valid_from"),
    # A number is no date and time (lax parsing would read it as seconds since 1970).
    ({**ACTIVITY, "valid_from": 123}, "validation_error", "body.valid_from"),
    ({**ACTIVITY, "valid_until": 1_900_000_000.5}, "validation_error", "body.valid_until"),
    ({**PER_HOUR, "max_hours": "1.125"}, "validation_error", "body.max_hours"),
    ({**PER_HOUR, "max_hours": "24.01"}, "validation_error", "body.max_hours"),
    ({**PER_HOUR, "max_hours": "0"}, "validation_error", "body.max_hours"),
    ({**PER_HOUR, "max_hours": "-1"}, "validation_error", "body.max_hours"),
    ({**PER_HOUR, "max_hours": "NaN"}, "validation_error", "body.max_hours"),
    ({**ACTIVITY, "reward_amount": 0}, "validation_error", "body.reward_amount"),
    ({**ACTIVITY, "reward_amount": -5}, "validation_error", "body.reward_amount"),
    ({**ACTIVITY, "reward_amount": "10"}, "validation_error", "body.reward_amount"),
    ({**ACTIVITY, "reward_amount": 1.5}, "validation_error", "body.reward_amount"),
    ({**ACTIVITY, "reward_amount": 10**16}, "validation_error", "body.reward_amount"),
    ({**ACTIVITY, "reward_kind": "per_day"}, "validation_error", "body.reward_kind"),
    ({**ACTIVITY, "title": "   "}, "validation_error", "body.title"),
    ({**ACTIVITY, "title": "x" * 201}, "validation_error", "body.title"),
    ({**ACTIVITY, "title": "nul\x00"}, "validation_error", "body.title"),
    ({**ACTIVITY, "description": "x" * 4001}, "validation_error", "body.description"),
    ({**ACTIVITY, "capacity": 0}, "validation_error", "body.capacity"),
    ({**ACTIVITY, "per_member_limit": -1}, "validation_error", "body.per_member_limit"),
    ({**ACTIVITY, "period": "month", "period_limit": 1}, "validation_error", "body.period"),
    ({**ACTIVITY, "requires_approval": "maybe"}, "validation_error", "body.requires_approval"),
    ({**ACTIVITY, "status": "paused"}, "validation_error", "body.status"),
    ({**ACTIVITY, "claims_count": 5}, "validation_error", "body.claims_count"),
    ({"reward_kind": "fixed", "reward_amount": 10}, "validation_error", "body.title"),
]


def test_bad_activities(client: TestClient, world: World) -> None:
    path = f"{API}/projects/{world.earning.project.id}/activities"
    attempts = [
        Attempt("POST", path, invalid(field) if field else problem_of(422, code), {"json": body})
        for body, code, field in BAD_ACTIVITIES
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/projects/{MISSING}/activities",
            problem_of(404, "project_not_found"),
            {"json": ACTIVITY},
        ),
        Attempt("GET", f"{API}/activities/{MISSING}", problem_of(404, "activity_not_found")),
        Attempt(
            "GET", f"{API}/activities/{MISSING}/summary", problem_of(404, "activity_not_found")
        ),
        Attempt("POST", f"{API}/activities/{MISSING}/pause", problem_of(404, "activity_not_found")),
        Attempt("GET", f"{API}/activities/{2**31}", invalid("path.activity_id")),
    ]
    with nothing_changes(client, world):
        refuse_all(client, attempts, world.headers(Role.COORDINATOR), world.admin.headers)


def test_pause_resume_and_close(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    activity = immediate(world)
    code = world.new_code(activity.id)
    member = world.actors[Role.MEMBER]

    def change(action: str) -> HttpResponse:
        return client.post(f"{API}/activities/{activity.id}/{action}", headers=coordinator)

    assert ok(change("pause"))["status"] == "paused"
    with nothing_changes(client, world):
        assert_problem(change("pause"), 409, "activity_status_unchanged")
        assert_problem(claim_as(client, member, code.code), 409, "activity_paused")
    assert ok(change("resume"))["status"] == "active"
    with nothing_changes(client, world):
        assert_problem(change("resume"), 409, "activity_status_unchanged")
    assert ok(change("close"))["status"] == "closed"
    with nothing_changes(client, world):
        for action in ("pause", "resume", "close"):
            assert_problem(change(action), 409, "activity_status_unchanged")
        assert_problem(claim_as(client, member, code.code), 409, "activity_closed")
        batch = client.post(
            f"{API}/activities/{activity.id}/code-batches",
            json={"kind": "single"},
            headers=coordinator,
        )
        assert_problem(batch, 409, "activity_closed")
    assert get(client, f"/activities/{activity.id}", coordinator)["status"] == "closed"

    paused = world.new_activity("pause")
    closed = ok(client.post(f"{API}/activities/{paused.id}/close", headers=coordinator))
    assert closed["status"] == "closed"


def test_a_resumed_activity_pays_again(client: TestClient, world: World) -> None:
    activity = immediate(world)
    code = world.new_code(activity.id)
    for action in ("pause", "resume"):
        post(client, f"/activities/{activity.id}/{action}", world.headers(Role.COORDINATOR))
    paid = ok(claim_as(client, world.actors[Role.MEMBER], code.code), 201)
    assert paid["status"] == "paid"


# --- code batches -------------------------------------------------------------------------------


def test_a_batch_of_single_use_codes(client: TestClient, world: World, settings: Settings) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    activity_id = world.earning.activity.id
    batch = post(
        client,
        f"/activities/{activity_id}/code-batches",
        coordinator,
        {"kind": "single", "count": 5},
        201,
    )
    assert (batch["kind"], batch["count"], batch["max_uses"], batch["expires_at"]) == (
        "single",
        5,
        1,
        None,
    )
    assert batch["activity_id"] == activity_id
    codes = batch["codes"]
    assert [code["position"] for code in codes] == [1, 2, 3, 4, 5]
    for code in codes:
        assert CODE.match(code["code"]), code
        assert SHORT_CODE.match(code["short_code"]), code
        assert code["url"] == f"{settings.public_base_url.rstrip('/')}/c/{code['code']}"
        assert (code["uses"], code["max_uses"], code["revoked"], code["batch_id"]) == (
            0,
            1,
            False,
            batch["id"],
        )
    everything = [code["code"] for code in codes] + [code["short_code"] for code in codes]
    everything += [code.code for code in world.earning.batch.codes]
    assert len(set(everything)) == len(everything)

    reprint = get(client, f"/code-batches/{batch['id']}", coordinator)
    assert reprint == batch
    assert get(client, f"/code-batches/{batch['id']}", world.admin.headers) == batch


def test_batch_sizes(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    path = f"/activities/{world.earning.activity.id}/code-batches"
    one = post(client, path, coordinator, {"kind": "single"}, 201)
    assert len(one["codes"]) == one["count"] == 1
    most = post(client, path, coordinator, {"kind": "single", "count": 500}, 201)
    assert len(most["codes"]) == 500
    assert len({code["code"] for code in most["codes"]}) == 500
    assert len({code["short_code"] for code in most["codes"]}) == 500
    attempts = [
        Attempt("POST", API + path, invalid("body.count"), {"json": {"kind": "single", "count": c}})
        for c in (0, -1, 501, 10**6, "5", 1.5, None)
    ]
    with nothing_changes(client, world):
        refuse_all(client, attempts, coordinator, world.admin.headers)


def test_a_multi_use_code(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    expires = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    body = {"kind": "multi", "max_uses": 3, "expires_at": expires.isoformat()}
    batch = post(
        client, f"/activities/{world.earning.activity.id}/code-batches", coordinator, body, 201
    )
    assert (batch["kind"], batch["count"], batch["max_uses"]) == ("multi", 1, 3)
    assert datetime.fromisoformat(batch["expires_at"]) == expires
    (code,) = batch["codes"]
    assert (code["max_uses"], code["uses"]) == (3, 0)
    assert datetime.fromisoformat(code["expires_at"]) == expires


def test_bad_batches(client: TestClient, world: World) -> None:
    path = f"{API}/activities/{world.earning.activity.id}/code-batches"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    bad: list[tuple[dict[str, Any], Any]] = [
        ({"kind": "multi", "max_uses": 5}, problem_of(422, "invalid_input")),
        ({"kind": "single", "max_uses": 2}, problem_of(422, "invalid_input")),
        ({"kind": "single", "expires_at": past}, problem_of(422, "invalid_input")),
        ({"kind": "multi", "max_uses": 5, "expires_at": past}, problem_of(422, "invalid_input")),
        ({"kind": "multi", "max_uses": 0, "expires_at": future}, invalid("body.max_uses")),
        ({"kind": "multi", "max_uses": 100_001, "expires_at": future}, invalid("body.max_uses")),
        ({"kind": "single", "expires_at": "2030-01-01T00:00:00"}, invalid("body.expires_at")),
        ({"kind": "bulk"}, invalid("body.kind")),
        ({}, invalid("body.kind")),
        ({"kind": "single", "codes": []}, invalid("body.codes")),
    ]
    attempts = [Attempt("POST", path, check, {"json": body}) for body, check in bad]
    attempts += [
        Attempt(
            "POST",
            f"{API}/activities/{MISSING}/code-batches",
            problem_of(404, "activity_not_found"),
            {"json": {"kind": "single"}},
        ),
        Attempt("GET", f"{API}/code-batches/{MISSING}", problem_of(404, "code_not_found")),
        Attempt("GET", f"{API}/code-batches/{MISSING}/sheet", problem_of(404, "code_not_found")),
        Attempt("GET", f"{API}/claim-codes/{MISSING}/qr.svg", problem_of(404, "code_not_found")),
        Attempt("GET", f"{API}/claim-codes/{MISSING}/qr.png", problem_of(404, "code_not_found")),
        Attempt("POST", f"{API}/claim-codes/{MISSING}/revoke", problem_of(404, "code_not_found")),
        Attempt("GET", f"{API}/claim-codes/0/qr.png", invalid("path.code_id")),
    ]
    with nothing_changes(client, world):
        refuse_all(client, attempts, world.headers(Role.COORDINATOR), world.admin.headers)


# --- the sheet and the QR images ----------------------------------------------------------------


def test_the_printable_sheet(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    title = "Weeding & <b>tea</b>"
    activity = world.new_activity(
        title=title, reward_kind=RewardKind.PER_HOUR, reward_amount=25, max_hours=Decimal(3)
    )
    expires = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
    batch = new_batch(world.ledger, activity.id, 4, expires_at=expires)
    response = client.get(
        f"{API}/code-batches/{batch.id}/sheet", headers={**coordinator, "Accept-Language": "en"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    sheet = response.text
    assert sheet.count("<svg") == 4
    assert html.escape(title) in sheet
    assert "<b>tea</b>" not in sheet
    assert "25 TRK per hour, at most 3 hours" in sheet
    for code in batch.codes:
        assert code.short_code in sheet
    assert "06-05-2031" in sheet
    assert "@page" in sheet
    assert "@media print" in sheet

    fixed = new_batch(world.ledger, world.earning.activity.id, 2)
    plain = client.get(f"{API}/code-batches/{fixed.id}/sheet", headers=world.admin.headers).text
    assert plain.count("<svg") == 2
    assert f"{REWARD} TRK" in plain
    assert "Weeding" in plain


def test_the_qr_as_svg(client: TestClient, world: World) -> None:
    code = world.earning.batch.codes[1]
    response = client.get(
        f"{API}/claim-codes/{code.id}/qr.svg", headers=world.headers(Role.COORDINATOR)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "no-store"  # it holds the code
    root = ET.fromstring(response.content)  # noqa: S314 - the service's own output
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    assert any(element.tag.endswith("path") for element in root.iter())


def test_the_qr_as_png(client: TestClient, world: World) -> None:
    code = world.earning.batch.codes[1]
    response = client.get(f"{API}/claim-codes/{code.id}/qr.png", headers=world.admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    width, height, rows, _info = png.Reader(bytes=response.content).asRGB8()
    pixels = [list(row) for row in rows]
    assert width == height
    assert len(pixels) == height
    assert all(len(row) == 3 * width for row in pixels)
    modules = width // 8 - 8
    assert width % 8 == 0
    assert modules >= 21
    assert (modules - 21) % 4 == 0
    quiet = QUIET_ZONE_PIXELS
    for row in pixels[:quiet] + pixels[-quiet:]:
        assert set(row) == {255}
    for row in pixels:
        assert set(row[: 3 * quiet]) == {255}
        assert set(row[-3 * quiet :]) == {255}
    inside = [value for row in pixels[quiet:-quiet] for value in row[3 * quiet : -3 * quiet]]
    assert 0 in inside
    assert 255 in inside
    # The finder pattern's top left corner sits just inside the quiet zone.
    assert pixels[quiet][3 * quiet] == 0


# --- revocation ---------------------------------------------------------------------------------


def test_a_revoked_code_pays_nothing(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    activity = immediate(world)
    batch = new_batch(world.ledger, activity.id, 2)
    code = batch.codes[0]
    revoked = post(client, f"/claim-codes/{code.id}/revoke", coordinator)
    assert (revoked["id"], revoked["revoked"], revoked["code"]) == (code.id, True, code.code)
    member = world.actors[Role.MEMBER]
    with nothing_changes(client, world, batch.id):
        for sent in (code.code, code.short_code):
            assert_problem(claim_as(client, member, sent), 409, "code_revoked")
    again = post(client, f"/claim-codes/{code.id}/revoke", world.admin.headers)
    assert again == revoked
    reprint = get(client, f"/code-batches/{batch.id}", coordinator)
    assert [item["revoked"] for item in reprint["codes"]] == [True, False]
    english = {**coordinator, "Accept-Language": "en"}
    assert "revoked" in client.get(f"{API}/code-batches/{batch.id}/sheet", headers=english).text
    paid = ok(claim_as(client, member, batch.codes[1].code), 201)
    assert paid["status"] == "paid"


# --- claims -------------------------------------------------------------------------------------


def test_a_claim_without_approval_is_paid_at_once(client: TestClient, world: World) -> None:
    activity = immediate(world, reward_amount=15)
    code = world.new_code(activity.id)
    member = world.actors[Role.MEMBER]
    wallet = world.own[Role.MEMBER].id
    paid = ok(claim_as(client, member, code.code), 201)
    assert (paid["status"], paid["amount"], paid["hours"]) == ("paid", 15, None)
    assert (paid["member_id"], paid["account_id"], paid["activity_id"], paid["code_id"]) == (
        member.id,
        wallet,
        activity.id,
        code.id,
    )
    assert paid["transaction_id"] is not None
    assert paid["resolved_at"] is not None
    assert balance(client, world, wallet) == OWN_FUNDS + 15
    project = project_of(client, world)
    pending = world.earning.pending.amount
    assert project["budget_balance"] == PROJECT_FUNDS - 15
    assert project["budget_available"] == PROJECT_FUNDS - 15 - pending

    tx = get(client, f"/transactions/{paid['transaction_id']}", world.admin.headers)
    assert tx["kind"] == "reward"
    postings = {item["account_id"]: item["amount"] for item in tx["postings"]}
    assert postings == {world.earning.project.budget_account_id: -15, wallet: 15}
    statement = get(client, f"/accounts/{wallet}/entries", member.headers)["items"]
    assert statement[0]["transaction_id"] == paid["transaction_id"]

    with nothing_changes(client, world):
        assert_problem(claim_as(client, member, code.code), 409, "code_already_used")
        assert_problem(claim_as(client, world.stranger, code.short_code), 409, "code_already_used")
    assert get(client, f"/activities/{activity.id}", world.admin.headers)["claims_count"] == 1
    assert get(client, "/audit/verify", world.admin.headers)["ok"] is True


def test_the_short_code_can_be_typed_loosely(client: TestClient, world: World) -> None:
    activity = immediate(world)
    codes = new_batch(world.ledger, activity.id, 2).codes
    member = world.actors[Role.MEMBER]
    typed = codes[0].short_code.lower().replace("-", " ")
    assert ok(claim_as(client, member, typed), 201)["code_id"] == codes[0].id
    url_part = codes[1].url.rsplit("/", 1)[-1]
    assert ok(claim_as(client, member, url_part), 201)["code_id"] == codes[1].id


def test_a_claim_into_a_chosen_account(client: TestClient, world: World) -> None:
    activity = immediate(world)
    member = world.actors[Role.MEMBER]
    second = world.account_of(Role.MEMBER)
    chosen = ok(
        claim_as(client, member, world.new_code(activity.id).code, account_id=second.id), 201
    )
    assert chosen["account_id"] == second.id
    assert balance(client, world, second.id) == REWARD
    with nothing_changes(client, world):
        theirs = claim_as(
            client, member, world.new_code(activity.id).code, account_id=world.stranger_account.id
        )
        assert_problem(theirs, 403, "not_account_owner")


def test_per_hour_rewards(client: TestClient, world: World) -> None:
    activity = immediate(
        world, reward_kind=RewardKind.PER_HOUR, reward_amount=25, max_hours=Decimal(4)
    )
    member = world.actors[Role.MEMBER]
    for hours, amount in [("2.5", 63), ("4", 100), ("0.02", 1), ("1.01", 25), ("0.1", 3)]:
        paid = ok(claim_as(client, member, world.new_code(activity.id).code, hours), 201)
        assert (Decimal(paid["hours"]), paid["amount"], paid["status"]) == (
            Decimal(hours),
            amount,
            "paid",
        )
    code = world.new_code(activity.id).code
    with nothing_changes(client, world):
        assert_problem(claim_as(client, member, code), 422, "hours_required")
        for hours in ("4.01", "24"):
            assert_problem(claim_as(client, member, code, hours), 422, "hours_out_of_range")
        for hours in ("1.125", "0", "-1", "24.01", "abc", "NaN"):
            assert_invalid(claim_as(client, member, code, hours), "body.hours")


@pytest.mark.parametrize("approval", [False, True], ids=["at once", "with approval"])
def test_hours_worth_nothing_are_refused(client: TestClient, world: World, approval: bool) -> None:
    """0.01 hours at 25 per hour is 0.25 tokens, rounded to nothing: a clear 422, not a 409
    'concurrent change' nor a zero reward."""
    activity = world.new_activity(
        reward_kind=RewardKind.PER_HOUR,
        reward_amount=25,
        max_hours=Decimal(4),
        requires_approval=approval,
    )
    code = world.new_code(activity.id)
    with nothing_changes(client, world):
        response = claim_as(client, world.actors[Role.MEMBER], code.code, "0.01")
        assert_problem(response, 422, "hours_out_of_range")


def test_a_claim_with_approval_holds_the_reward(client: TestClient, world: World) -> None:
    coordinator = world.actors[Role.COORDINATOR]
    member = world.actors[Role.MEMBER]
    wallet = world.own[Role.MEMBER].id
    first = world.earning.pending
    before = project_of(client, world)
    assert (before["budget_balance"], before["budget_held"], before["budget_available"]) == (
        PROJECT_FUNDS,
        REWARD,
        PROJECT_FUNDS - REWARD,
    )
    second = ok(claim_as(client, member, world.new_code().code), 201)
    assert (second["status"], second["amount"], second["transaction_id"]) == (
        "pending",
        REWARD,
        None,
    )
    assert second["resolved_at"] is None
    held = project_of(client, world)
    assert (held["budget_balance"], held["budget_held"], held["budget_available"]) == (
        PROJECT_FUNDS,
        2 * REWARD,
        PROJECT_FUNDS - 2 * REWARD,
    )
    assert balance(client, world, wallet) == OWN_FUNDS

    approved = post(client, f"/claims/{second['id']}/approve", coordinator.headers)
    assert approved["status"] == "paid"
    assert approved["resolved_by_id"] == coordinator.id
    assert approved["resolved_at"] is not None
    assert approved["transaction_id"] is not None
    assert balance(client, world, wallet) == OWN_FUNDS + REWARD
    after = project_of(client, world)
    assert (after["budget_balance"], after["budget_held"], after["budget_available"]) == (
        PROJECT_FUNDS - REWARD,
        REWARD,
        PROJECT_FUNDS - 2 * REWARD,
    )

    rejected = post(
        client, f"/claims/{first.id}/reject", coordinator.headers, {"reason": "Was not there"}
    )
    assert (rejected["status"], rejected["reject_reason"]) == ("rejected", "Was not there")
    assert rejected["transaction_id"] is None
    released = project_of(client, world)
    assert (released["budget_balance"], released["budget_held"]) == (PROJECT_FUNDS - REWARD, 0)
    activity = get(client, f"/activities/{world.earning.activity.id}", coordinator.headers)
    assert activity["claims_count"] == 1

    with nothing_changes(client, world):
        for claim_id in (first.id, second["id"]):
            for action in ("approve", "reject"):
                response = client.post(
                    f"{API}/claims/{claim_id}/{action}", headers=world.admin.headers, json={}
                )
                assert_problem(response, 409, "claim_already_resolved")
        for action in ("approve", "reject"):
            missing = client.post(
                f"{API}/claims/{MISSING}/{action}", headers=world.admin.headers, json={}
            )
            assert_problem(missing, 404, "claim_not_found")
    assert get(client, "/audit/verify", world.admin.headers)["ok"] is True


def test_bulk_decisions(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    first = world.earning.pending
    second, third, fourth = (world.new_pending_claim() for _ in range(3))
    post(client, f"/claims/{third.id}/approve", coordinator)

    outcomes = post(
        client,
        "/claims/approve",
        coordinator,
        {"claim_ids": [first.id, second.id, third.id, first.id, MISSING]},
    )
    assert outcomes == [
        {"claim_id": first.id, "ok": True, "status": "paid", "error_code": None},
        {"claim_id": second.id, "ok": True, "status": "paid", "error_code": None},
        {"claim_id": third.id, "ok": False, "status": None, "error_code": "claim_already_resolved"},
        {"claim_id": MISSING, "ok": False, "status": None, "error_code": "claim_not_found"},
    ]
    rejections = post(
        client, "/claims/reject", coordinator, {"claim_ids": [fourth.id, first.id], "reason": "dup"}
    )
    assert rejections == [
        {"claim_id": fourth.id, "ok": True, "status": "rejected", "error_code": None},
        {"claim_id": first.id, "ok": False, "status": None, "error_code": "claim_already_resolved"},
    ]
    claims = {item["id"]: item for item in get(client, "/claims", coordinator)["items"]}
    assert [claims[c.id]["status"] for c in (first, second, third, fourth)] == [
        "paid",
        "paid",
        "paid",
        "rejected",
    ]
    assert claims[fourth.id]["reject_reason"] == "dup"
    project = project_of(client, world)
    assert (project["budget_balance"], project["budget_held"]) == (PROJECT_FUNDS - 3 * REWARD, 0)
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS + 3 * REWARD
    assert len(reward_transactions(client, world)) == 3
    assert get(client, "/audit/verify", world.admin.headers)["ok"] is True

    bad = [
        ({"claim_ids": []}, "body.claim_ids"),
        ({"claim_ids": list(range(1, 502))}, "body.claim_ids"),
        ({"claim_ids": [0]}, "body.claim_ids"),
        ({"claim_ids": ["1"]}, "body.claim_ids"),
        ({}, "body.claim_ids"),
        ({"claim_ids": [1], "reason": "x" * 501}, "body.reason"),
    ]
    attempts = [
        Attempt("POST", f"{API}/claims/{action}", invalid(field), {"json": body})
        for body, field in bad
        for action in ("approve", "reject")
    ]
    with nothing_changes(client, world):
        refuse_all(client, attempts, coordinator, world.admin.headers)


def test_the_budget_never_goes_below_zero(client: TestClient, world: World) -> None:
    coordinator = world.actors[Role.COORDINATOR]
    small = new_project(world.ledger, 15, coordinator, name="Small")
    at_once = new_activity(world.ledger, small.id, requires_approval=False)
    held = new_activity(world.ledger, small.id, requires_approval=True, reward_amount=5)
    member = world.actors[Role.MEMBER]
    assert ok(claim_as(client, member, world.new_code(at_once.id).code), 201)["status"] == "paid"
    assert ok(claim_as(client, member, world.new_code(held.id).code), 201)["status"] == "pending"
    spare = [world.new_code(at_once.id), world.new_code(held.id)]
    with nothing_changes(client, world):
        for code in spare:
            response = claim_as(client, world.stranger, code.code)
            body = assert_problem(response, 409, "budget_exhausted")
            assert body["project_id"] == small.id
    budget = project_of(client, world, small.id)
    assert (budget["budget_balance"], budget["budget_held"], budget["budget_available"]) == (
        5,
        5,
        0,
    )


def test_refusals_each_have_their_code(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = world.actors[Role.MEMBER]
    stranger = world.stranger
    checks: list[tuple[Actor, str, str, int]] = []

    assert_problem(claim_as(client, member, "no-such-code"), 404, "code_not_found")
    assert_problem(claim_as(client, member, "AAAA-AAAA-AAAA"), 404, "code_not_found")

    multi_activity = immediate(world)
    expires = datetime.now(UTC) + timedelta(hours=1)
    multi = new_batch(
        world.ledger, multi_activity.id, kind=CodeKind.MULTI, max_uses=2, expires_at=expires
    ).codes[0]
    ok(claim_as(client, member, multi.code), 201)
    ok(claim_as(client, stranger, multi.code), 201)
    third, _ = member_with_account(world)
    checks.append((third, multi.code, "code_exhausted", 409))

    full = immediate(world, capacity=1)
    ok(claim_as(client, member, world.new_code(full.id).code), 201)
    checks.append((stranger, world.new_code(full.id).code, "activity_full", 409))

    limited = immediate(world, per_member_limit=1)
    ok(claim_as(client, member, world.new_code(limited.id).code), 201)
    checks.append((member, world.new_code(limited.id).code, "member_limit_reached", 409))

    later = datetime.now(UTC) + timedelta(days=1)
    not_yet = immediate(world, valid_from=later)
    checks.append((member, world.new_code(not_yet.id).code, "activity_not_open", 409))
    ended = immediate(
        world, valid_from=later - timedelta(days=3), valid_until=later - timedelta(days=2)
    )
    checks.append((member, world.new_code(ended.id).code, "activity_not_open", 409))

    no_account = world.ledger.user(Role.MEMBER)
    checks.append((no_account, world.new_code(immediate(world).id).code, "no_member_account", 409))
    checks.append((world.actors[Role.COORDINATOR], world.new_code().code, "role_not_allowed", 403))
    checks.append((world.actors[Role.SHOPKEEPER], world.new_code().code, "role_not_allowed", 403))

    expiring = new_batch(world.ledger, immediate(world).id, expires_at=expires).codes[0]
    with nothing_changes(client, world):
        for actor, code, error, status in checks:
            assert_problem(claim_as(client, actor, code), status, error)
        at(monkeypatch, expires)
        assert_problem(claim_as(client, member, expiring.code), 409, "code_expired")
        assert_problem(claim_as(client, member, multi.code), 409, "code_expired")
        at(monkeypatch, expires + timedelta(days=30))
        assert_problem(claim_as(client, member, expiring.short_code), 409, "code_expired")
    at(monkeypatch, expires - timedelta(seconds=1))
    assert ok(claim_as(client, member, expiring.code), 201)["status"] == "paid"


def test_rejected_claims_count_towards_no_limit(client: TestClient, world: World) -> None:
    activity = world.new_activity(capacity=1, per_member_limit=1)
    member = world.actors[Role.MEMBER]
    used = world.new_code(activity.id)
    first = ok(claim_as(client, member, used.code), 201)
    assert_problem(claim_as(client, member, world.new_code(activity.id).code), 409, "activity_full")
    post(client, f"/claims/{first['id']}/reject", world.headers(Role.COORDINATOR), {})
    assert_problem(claim_as(client, member, used.code), 409, "code_already_used")
    again = ok(claim_as(client, member, world.new_code(activity.id).code), 201)
    assert again["status"] == "pending"


def test_limits_per_calendar_day(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MONDAY.weekday() == 0
    activity = immediate(world, period=LimitPeriod.DAY, period_limit=1)
    member = world.actors[Role.MEMBER]

    def attempt() -> HttpResponse:
        return claim_as(client, member, world.new_code(activity.id).code)

    at(monkeypatch, MONDAY)
    ok(attempt(), 201)
    at(monkeypatch, MONDAY.replace(hour=22, minute=30))  # 23:30 in Brussels: still Monday
    assert_problem(attempt(), 409, "member_daily_limit_reached")
    ok(claim_as(client, world.stranger, world.new_code(activity.id).code), 201)
    at(monkeypatch, MONDAY.replace(hour=23, minute=30))  # 00:30 on Tuesday in Brussels
    ok(attempt(), 201)


def test_limits_per_calendar_week(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    activity = immediate(world, period=LimitPeriod.WEEK, period_limit=2)
    member = world.actors[Role.MEMBER]

    def attempt() -> HttpResponse:
        return claim_as(client, member, world.new_code(activity.id).code)

    at(monkeypatch, MONDAY)
    ok(attempt(), 201)
    at(monkeypatch, MONDAY + timedelta(days=3))
    ok(attempt(), 201)
    at(monkeypatch, MONDAY + timedelta(days=6, hours=12))  # Sunday 23:00 in Brussels
    assert_problem(attempt(), 409, "member_weekly_limit_reached")
    at(monkeypatch, MONDAY + timedelta(days=6, hours=13))  # Monday 00:00 in Brussels
    ok(attempt(), 201)


# --- listing and summary ------------------------------------------------------------------------


def test_claim_listing_filters(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    member = world.actors[Role.MEMBER]
    first_activity = world.earning.activity.id
    other_activity = immediate(world).id
    base = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    moments = [base + timedelta(hours=hours) for hours in range(4)]
    plan = [
        (moments[0], member, first_activity),
        (moments[1], world.stranger, first_activity),
        (moments[2], member, other_activity),
        (moments[3], world.stranger, other_activity),
    ]
    made = []
    for moment, actor, activity_id in plan:
        at(monkeypatch, moment)
        made.append(ok(claim_as(client, actor, world.new_code(activity_id).code), 201)["id"])
    c1, c2, c3, c4 = made
    post(client, f"/claims/{c2}/reject", coordinator, {})
    pending = world.earning.pending.id

    def ids(headers: dict[str, str] | None = None, **params: Any) -> list[int]:
        page = get(client, "/claims", headers or coordinator, **params)
        assert page["next_cursor"] is None
        return [item["id"] for item in page["items"]]

    assert ids() == [c4, c3, c2, c1, pending]
    assert ids(activity_id=first_activity) == [c2, c1, pending]
    assert ids(activity_id=other_activity) == [c4, c3]
    assert ids(status="paid") == [c4, c3]
    assert ids(status="pending") == [c1, pending]
    assert ids(status="rejected") == [c2]
    assert ids(member_id=world.stranger.id) == [c4, c2]
    assert ids(member_id=member.id, activity_id=other_activity) == [c3]
    assert ids(since=moments[1].isoformat()) == [c4, c3, c2]
    assert ids(until=moments[2].isoformat()) == [c2, c1, pending]
    assert ids(since=moments[1].isoformat(), until=moments[3].isoformat()) == [c3, c2]
    assert ids(since=moments[0].astimezone().isoformat(), status="pending") == [c1]
    assert ids(project_id=world.earning.project.id) == [c4, c3, c2, c1, pending]
    assert ids(world.headers(Role.AUDITOR), project_id=world.earning.project.id, status="paid") == [
        c4,
        c3,
    ]
    assert ids(member.headers) == [c3, c1, pending]
    assert ids(member.headers, status="pending") == [c1, pending]
    assert ids(world.stranger.headers, activity_id=other_activity) == [c4]
    assert ids(world.outsider.headers) == []

    bad = [
        ({"since": "2030-01-01T00:00:00"}, "query.since"),
        ({"until": "tomorrow"}, "query.until"),
        ({"status": "approved"}, "query.status"),
        ({"activity_id": 0}, "query.activity_id"),
        ({"member_id": 2**31}, "query.member_id"),
        ({"project_id": "x"}, "query.project_id"),
        ({"limit": 0}, "query.limit"),
        ({"limit": 501}, "query.limit"),
    ]
    attempts = [
        Attempt("GET", f"{API}/claims", invalid(field), {"params": params}) for params, field in bad
    ]
    attempts += [
        Attempt(
            "GET", f"{API}/claims", problem_of(422, "invalid_cursor"), {"params": {"cursor": c}}
        )
        for c in ("abc", "-1", "\u00b2")
    ]
    attempts.append(
        Attempt(
            "GET",
            f"{API}/claims",
            problem_of(403, "role_not_allowed"),
            {"params": {"member_id": world.stranger.id}},
            member.headers,
        )
    )
    refuse_all(client, attempts, coordinator, world.admin.headers)


def test_claim_pages(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    activity = immediate(world)
    for _ in range(6):
        ok(claim_as(client, world.actors[Role.MEMBER], world.new_code(activity.id).code), 201)
    everything = [item["id"] for item in get(client, "/claims", coordinator)["items"]]
    assert len(everything) == 7
    assert everything == sorted(everything, reverse=True)

    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor is not None:
            params["cursor"] = cursor
        page = get(client, "/claims", coordinator, **params)
        pages += 1
        seen += [item["id"] for item in page["items"]]
        if pages == 1:
            # A claim arriving meanwhile does not shift the pages that follow.
            ok(claim_as(client, world.stranger, world.new_code(activity.id).code), 201)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert pages == 3
    member_pages = get(client, "/claims", world.stranger.headers, limit=1)
    assert len(member_pages["items"]) == 1
    assert member_pages["next_cursor"] is not None


def test_a_member_filtering_by_project_sees_only_that_project(
    client: TestClient, world: World
) -> None:
    member = world.actors[Role.MEMBER]
    other = new_project(world.ledger, 100, world.actors[Role.COORDINATOR], name="Other")
    elsewhere = new_activity(world.ledger, other.id, requires_approval=False)
    there = ok(claim_as(client, member, world.new_code(elsewhere.id).code), 201)
    here = world.earning.pending.id
    mine = get(client, "/claims", member.headers, project_id=world.earning.project.id)
    assert [item["id"] for item in mine["items"]] == [here]
    theirs = get(client, "/claims", member.headers, project_id=other.id)
    assert [item["id"] for item in theirs["items"]] == [there["id"]]


def test_activity_summary(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    activity = world.new_activity(
        reward_kind=RewardKind.PER_HOUR, reward_amount=25, max_hours=Decimal(4)
    )
    member, stranger = world.actors[Role.MEMBER], world.stranger
    third, _ = member_with_account(world)
    fourth, _ = member_with_account(world)

    def claim_id(actor: Actor, hours: str) -> int:
        return int(ok(claim_as(client, actor, world.new_code(activity.id).code, hours), 201)["id"])

    empty = get(client, f"/activities/{activity.id}/summary", coordinator)
    assert empty["claims_paid"] == empty["claims_pending"] == empty["tokens_paid"] == 0
    assert Decimal(empty["hours_paid"]) == 0

    paid = [claim_id(member, "1.1"), claim_id(stranger, "2.2"), claim_id(member, "0.35")]
    waiting = claim_id(third, "2")
    refused = claim_id(fourth, "3")
    outcomes = post(client, "/claims/approve", coordinator, {"claim_ids": paid})
    assert all(outcome["ok"] for outcome in outcomes)
    post(client, f"/claims/{refused}/reject", coordinator, {})

    summary = get(client, f"/activities/{activity.id}/summary", world.headers(Role.AUDITOR))
    assert Decimal(summary.pop("hours_paid")) == Decimal("3.65")
    assert summary == {
        "activity_id": activity.id,
        "claims_paid": 3,
        "claims_pending": 1,
        "claims_rejected": 1,
        "tokens_paid": 28 + 55 + 9,
        "tokens_pending": 50,
        "unique_volunteers": 2,
    }
    listed = get(client, "/claims", coordinator, activity_id=activity.id, status="pending")
    assert [item["id"] for item in listed["items"]] == [waiting]


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retried_claim_is_paid_once(client: TestClient, world: World) -> None:
    activity = immediate(world, reward_amount=7)
    code = world.new_code(activity.id)
    member = world.actors[Role.MEMBER]
    headers = {**member.headers, "Idempotency-Key": "scan-0001"}
    body = {"code": code.code}

    first = client.post(f"{API}/claims", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = snapshot(client, world.admin.headers)
    again = client.post(f"{API}/claims", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert snapshot(client, world.admin.headers) == after_first

    rewards = reward_transactions(client, world)
    assert [tx["id"] for tx in rewards] == [first.json()["transaction_id"]]
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS + 7
    mine = get(client, "/claims", member.headers, activity_id=activity.id)["items"]
    assert [item["id"] for item in mine] == [first.json()["id"]]

    other = client.post(
        f"{API}/claims", json={"code": world.new_code(activity.id).code}, headers=headers
    )
    assert_problem(other, 409, "idempotency_key_reused")
    fresh = client.post(f"{API}/claims", json=body, headers=member.headers)
    assert_problem(fresh, 409, "code_already_used")
    assert snapshot(client, world.admin.headers) == after_first


def test_a_refused_claim_stays_refused_for_its_key(client: TestClient, world: World) -> None:
    activity = immediate(world)
    code = world.new_code(activity.id)
    member = world.actors[Role.MEMBER]
    headers = {**member.headers, "Idempotency-Key": "scan-paused"}
    post(client, f"/activities/{activity.id}/pause", world.admin.headers)
    assert_problem(
        client.post(f"{API}/claims", json={"code": code.code}, headers=headers),
        409,
        "activity_paused",
    )
    post(client, f"/activities/{activity.id}/resume", world.admin.headers)
    again = client.post(f"{API}/claims", json={"code": code.code}, headers=headers)
    assert_problem(again, 409, "activity_paused")
    assert again.headers["idempotent-replayed"] == "true"
    fresh = {**member.headers, "Idempotency-Key": "scan-resumed"}
    accepted = client.post(f"{API}/claims", json={"code": code.code}, headers=fresh)
    assert accepted.status_code == 201, accepted.text


def test_a_retried_bulk_approval_pays_once(client: TestClient, world: World) -> None:
    coordinator = world.headers(Role.COORDINATOR)
    claims = [world.earning.pending.id, world.new_pending_claim().id]
    headers = {**coordinator, "Idempotency-Key": "approve-batch-1"}
    body = {"claim_ids": claims}

    first = client.post(f"{API}/claims/approve", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert [outcome["ok"] for outcome in first.json()] == [True, True]
    after_first = snapshot(client, world.admin.headers)
    again = client.post(f"{API}/claims/approve", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert snapshot(client, world.admin.headers) == after_first

    assert len(reward_transactions(client, world)) == 2
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS + 2 * REWARD
    unkeyed = client.post(f"{API}/claims/approve", json=body, headers=coordinator)
    assert [outcome["error_code"] for outcome in unkeyed.json()] == [
        "claim_already_resolved",
        "claim_already_resolved",
    ]
    reused = client.post(f"{API}/claims/reject", json=body, headers=headers)
    assert_problem(reused, 409, "idempotency_key_reused")
    assert snapshot(client, world.admin.headers) == after_first
    assert get(client, "/audit/verify", world.admin.headers)["ok"] is True
