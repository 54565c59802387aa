"""Bad input gets a clear 4xx with a stable code, never a 500 or a leaked SQL message, and a
refused write leaves nothing behind: balances, statuses, journals and the audit are unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import (
    API,
    Attempt,
    HttpResponse,
    LedgerSnapshot,
    assert_invalid,
    assert_problem,
    invalid,
    problem_of,
    refuse_all,
    snapshot,
)
from tests.support import Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

HUGE_ID = 99_999_999_999


@pytest.fixture
def unchanged(client: TestClient, world: World) -> Iterator[LedgerSnapshot]:
    """The ledger before the test; after it, assert it is exactly the same."""
    before = snapshot(client, world.admin.headers)
    yield before
    assert snapshot(client, world.admin.headers) == before


def _post(client: TestClient, world: World, path: str, body: Any) -> HttpResponse:
    return client.post(f"{API}{path}", json=body, headers=world.admin.headers)


def _transfer(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from_account_id": world.own[Role.MEMBER].id,
        "to_account_id": world.stranger_account.id,
        "amount": 10,
    }
    body.update(changes)
    return body


def _entry(world: World, *postings: tuple[int, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "currency": "TRK",
        "kind": "adjustment",
        "postings": [{"account_id": account, "amount": amount} for account, amount in postings],
    }
    body.update(changes)
    return body


# --- amounts ------------------------------------------------------------------------------------

BAD_AMOUNTS = [-1, -10, 0, 1.5, 10.0, "10", True, False, None, [10], {"value": 10}]
BAD_AMOUNTS += [10**15 + 1, 10**16, 10**30, -(10**30), 2**63, 2**64]
BAD_SIGNED_AMOUNTS = [0, 1.5, "10", True, None, 10**15 + 1, 10**16, -(10**16), 10**30]


def test_bad_amounts(client: TestClient, world: World) -> None:
    member = world.headers(Role.MEMBER)
    attempts = [
        Attempt(
            "POST",
            f"{API}/transfers",
            invalid("body.amount"),
            {"json": _transfer(world, amount=amount)},
            member,
        )
        for amount in BAD_AMOUNTS
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/issuances",
            invalid("body.amount"),
            {"json": {"to_account_id": world.budget.id, "amount": amount}},
        )
        for amount in BAD_AMOUNTS
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/transactions",
            invalid("body.postings.0.amount"),
            {"json": _entry(world, (world.budget.id, amount), (world.stranger_account.id, 10))},
        )
        for amount in BAD_SIGNED_AMOUNTS
    ]
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


@pytest.mark.usefixtures("unchanged")
def test_largest_amount_is_judged_by_the_ledger(client: TestClient, world: World) -> None:
    """10**15 is a well-formed amount: refused for want of funds, not as malformed."""
    response = client.post(
        f"{API}/transfers",
        json=_transfer(world, amount=10**15),
        headers=world.headers(Role.MEMBER),
    )
    assert_problem(response, 409, "insufficient_funds")


# --- unknown fields, wrong types, missing fields ------------------------------------------------

TRANSFER_CHANGES: list[tuple[dict[str, Any], str]] = [
    ({"extra": 1}, "body.extra"),
    ({"kind": "issuance"}, "body.kind"),
    ({"from_account_id": "abc"}, "body.from_account_id"),
    ({"from_account_id": str(1)}, "body.from_account_id"),
    ({"from_account_id": 1.0}, "body.from_account_id"),
    ({"to_account_id": True}, "body.to_account_id"),
    ({"to_account_id": None}, "body.to_account_id"),
    ({"to_account_id": 0}, "body.to_account_id"),
    ({"to_account_id": -3}, "body.to_account_id"),
    ({"to_account_id": HUGE_ID}, "body.to_account_id"),
    ({"memo": 5}, "body.memo"),
    ({"memo": None}, "body.memo"),
    ({"memo": "x" * 501}, "body.memo"),
    ({"memo": "nul\x00here"}, "body.memo"),
    ({"metadata": "text"}, "body.metadata"),
    ({"metadata": [1, 2]}, "body.metadata"),
    ({"metadata": {"note": "x" * 5000}}, "body.metadata"),
    ({"metadata": {f"k{n}": "v" * 100 for n in range(50)}}, "body.metadata"),
    ({"metadata": {"note": "nul\x00here"}}, "body.metadata"),
    ({"metadata": {"nul\x00key": 1}}, "body.metadata"),
    ({"metadata": {"deep": [[["nul\x00"]]]}}, "body.metadata"),
]


def test_bad_transfer_fields(client: TestClient, world: World) -> None:
    attempts = [
        Attempt("POST", f"{API}/transfers", invalid(field), {"json": _transfer(world, **changes)})
        for changes, field in TRANSFER_CHANGES
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/transfers",
            invalid(f"body.{missing}"),
            {"json": _without(_transfer(world), missing)},
        )
        for missing in ("from_account_id", "to_account_id", "amount")
    ]
    refuse_all(client, attempts, world.headers(Role.MEMBER), world.admin.headers)


CURRENCY = {"code": "NEW", "name": "x", "decimals": 0, "euro_rate": "0.1"}
ACCOUNT = {"currency": "TRK", "kind": "member", "name": "x"}
USER = {"username": "abc", "display_name": "x", "role": "member", "password": "long-enough"}


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != key}


ADMIN_BODIES: list[tuple[str, Any, str]] = [
    ("/issuances", {"to_account_id": 1, "amount": 5, "source": 2}, "body.source"),
    ("/issuances", {"amount": 5}, "body.to_account_id"),
    ("/issuances", {}, "body.to_account_id"),
    ("/issuances", [], "body"),
    ("/issuances", "5", "body"),
    ("/issuances", None, "body"),
    ("/currencies", {**CURRENCY, "code": "trk"}, "body.code"),
    ("/currencies", {**CURRENCY, "code": "T"}, "body.code"),
    ("/currencies", {**CURRENCY, "decimals": 9}, "body.decimals"),
    ("/currencies", {**CURRENCY, "decimals": "0"}, "body.decimals"),
    ("/currencies", {**CURRENCY, "euro_rate": "-1"}, "body.euro_rate"),
    ("/currencies", {**CURRENCY, "euro_rate": "NaN"}, "body.euro_rate"),
    ("/currencies", {**CURRENCY, "euro_rate": "Infinity"}, "body.euro_rate"),
    ("/currencies", {**CURRENCY, "euro_rate": "abc"}, "body.euro_rate"),
    ("/currencies", {**CURRENCY, "euro_rate": "0.123456789"}, "body.euro_rate"),
    ("/currencies", {**CURRENCY, "name": "   "}, "body.name"),
    ("/currencies", _without(CURRENCY, "euro_rate"), "body.euro_rate"),
    ("/currencies", {**CURRENCY, "id": 7}, "body.id"),
    ("/accounts", {**ACCOUNT, "kind": "vault"}, "body.kind"),
    ("/accounts", {**ACCOUNT, "balance": 100}, "body.balance"),
    ("/accounts", {**ACCOUNT, "status": "frozen"}, "body.status"),
    ("/accounts", {**ACCOUNT, "name": "x\x00"}, "body.name"),
    ("/accounts", {**ACCOUNT, "owner_id": "me"}, "body.owner_id"),
    ("/accounts", {**ACCOUNT, "owner_id": HUGE_ID}, "body.owner_id"),
    ("/accounts", _without(ACCOUNT, "name"), "body.name"),
    ("/users", {**USER, "username": "a b"}, "body.username"),
    ("/users", {**USER, "username": "ab"}, "body.username"),
    ("/users", {**USER, "role": "root"}, "body.role"),
    ("/users", {**USER, "password": "short"}, "body.password"),
    ("/users", {**USER, "password": "long\x00enough"}, "body.password"),
    ("/users", {**USER, "display_name": "\x00"}, "body.display_name"),
    ("/users", {**USER, "is_active": False}, "body.is_active"),
    ("/users", _without(USER, "password"), "body.password"),
]

ENTRY_CHANGES: list[tuple[dict[str, Any], str]] = [
    ({"kind": "bogus"}, "body.kind"),
    ({"currency": "trk"}, "body.currency"),
    ({"postings": "all of them"}, "body.postings"),
    ({"postings": []}, "body.postings"),
    ({"postings": [{"account_id": 1, "amount": 5}]}, "body.postings"),
    ({"postings": [{"account_id": 1, "amount": 5, "extra": 1}] * 2}, "body.postings.0.extra"),
    ({"postings": [{"amount": 5}, {"account_id": 2, "amount": -5}]}, "body.postings.0.account_id"),
    ({"postings": [{"account_id": 1, "amount": 1}] * 101}, "body.postings"),
    ({"memo": "a\x00"}, "body.memo"),
    ({"metadata": {"k": "v" * 4096}}, "body.metadata"),
]

REVERSAL_BODIES: list[tuple[Any, str]] = [
    ({}, "body.reason"),
    ({"reason": ""}, "body.reason"),
    ({"reason": "   "}, "body.reason"),
    ({"reason": "x\x00"}, "body.reason"),
    ({"reason": "x" * 501}, "body.reason"),
    ({"reason": 5}, "body.reason"),
    ({"reason": "ok", "amount": 5}, "body.amount"),
    (None, "body"),
]


def test_bad_admin_bodies(client: TestClient, world: World) -> None:
    attempts = [
        Attempt("POST", API + path, invalid(field), {"json": body})
        for path, body, field in ADMIN_BODIES
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/transactions",
            invalid(field),
            {"json": _entry(world, (world.budget.id, -5), (world.stranger_account.id, 5), **c)},
        )
        for c, field in ENTRY_CHANGES
    ]
    attempts += [
        Attempt(
            "POST",
            f"{API}/transactions/{world.stranger_tx}/reverse",
            invalid(field),
            {"json": body},
        )
        for body, field in REVERSAL_BODIES
    ]
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


INVALID_JSON = [b"{not json", b'{"amount": 5,}', b"", b'{"amount": 5', b"'single'", b"[1, 2"]


def test_invalid_json(client: TestClient, world: World) -> None:
    json_headers = {**world.headers(Role.MEMBER), "Content-Type": "application/json"}
    attempts = [
        Attempt("POST", API + path, invalid("body"), {"content": content}, json_headers)
        for content in INVALID_JSON
        for path in ("/transfers", "/issuances", "/transactions", "/accounts")
    ]
    refuse_all(client, attempts, json_headers, world.admin.headers)


@pytest.mark.usefixtures("unchanged")
def test_undecodable_body_is_a_client_error(client: TestClient, world: World) -> None:
    response = client.post(
        f"{API}/transfers",
        content=b"\xff\xfe\x00{",
        headers={**world.headers(Role.MEMBER), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)


@pytest.mark.usefixtures("unchanged")
def test_deeply_nested_json_is_refused_without_a_500(client: TestClient, world: World) -> None:
    metadata = '{"a":' * 5000 + "1" + "}" * 5000
    content = f'{{"to_account_id": {world.budget.id}, "amount": 5, "metadata": {metadata}}}'
    response = client.post(
        f"{API}/issuances",
        content=content.encode(),
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422), response.text
    assert_problem(response, response.status_code)


def test_non_finite_numbers_in_metadata_are_refused(client: TestClient, world: World) -> None:
    """JSON has no NaN or Infinity: metadata holding one cannot be stored or hashed as JSON."""
    attempts = [
        Attempt(
            "POST",
            f"{API}/issuances",
            invalid("body"),
            {
                "content": f'{{"to_account_id": {world.budget.id}, "amount": 5, '
                f'"metadata": {{"x": {literal}}}}}'
            },
            {**world.admin.headers, "Content-Type": "application/json"},
        )
        for literal in ("NaN", "Infinity", "-Infinity", "1e400")
    ]
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


def test_deeply_nested_metadata_is_refused_and_nothing_moves(
    client: TestClient, world: World
) -> None:
    """Small but deep metadata (256 levels fit in 4 KiB) is refused with a 422 before the write,
    with and without a key; 16 levels are plain metadata still."""

    def nested(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = {"a": value}
        return value

    before = snapshot(client, world.admin.headers)
    for headers in (world.admin.headers, {**world.admin.headers, "Idempotency-Key": "deep-1"}):
        for depth in (17, 256, 300):
            body = {"to_account_id": world.budget.id, "amount": 5, "metadata": nested(depth)}
            response = client.post(f"{API}/issuances", json=body, headers=headers)
            assert_invalid(response, "body.metadata")
    assert snapshot(client, world.admin.headers) == before
    body = {"to_account_id": world.budget.id, "amount": 5, "metadata": nested(16)}
    assert (
        client.post(f"{API}/issuances", json=body, headers=world.admin.headers).status_code == 201
    )


# --- ids out of range and unknown ids -----------------------------------------------------------

OUT_OF_RANGE = [str(HUGE_ID), str(2**31), str(2**63), str(2**64), "0", "-1", "1.5", "abc", "1e3"]
ID_ROUTES = [
    ("GET", "/accounts/{}", "path.account_id"),
    ("GET", "/accounts/{}/entries", "path.account_id"),
    ("GET", "/accounts/{}/balance", "path.account_id"),
    ("POST", "/accounts/{}/freeze", "path.account_id"),
    ("POST", "/accounts/{}/unfreeze", "path.account_id"),
    ("POST", "/accounts/{}/close", "path.account_id"),
    ("GET", "/transactions/{}", "path.transaction_id"),
    ("POST", "/transactions/{}/reverse", "path.transaction_id"),
    ("POST", "/users/{}/revoke-tokens", "path.user_id"),
]


def test_path_ids_out_of_range(client: TestClient, world: World) -> None:
    """A 422 naming the parameter, not a 500 from an integer overflow in the database."""
    attempts = [
        Attempt(
            method,
            API + template.format(bad_id),
            invalid(field),
            {"json": {"reason": "typo"}} if template.endswith("reverse") else {},
        )
        for method, template, field in ID_ROUTES
        for bad_id in OUT_OF_RANGE
    ]
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


BAD_QUERIES: list[tuple[str, dict[str, Any], str]] = [
    ("/accounts", {"owner_id": HUGE_ID}, "query.owner_id"),
    ("/accounts", {"owner_id": 0}, "query.owner_id"),
    ("/accounts", {"kind": "vault"}, "query.kind"),
    ("/accounts", {"status": "asleep"}, "query.status"),
    ("/accounts", {"currency": "trk"}, "query.currency"),
    ("/accounts", {"limit": 0}, "query.limit"),
    ("/accounts", {"limit": 501}, "query.limit"),
    ("/accounts", {"limit": "ten"}, "query.limit"),
    ("/accounts", {"cursor": "9" * 21}, "query.cursor"),
    ("/users", {"limit": -1}, "query.limit"),
    ("/transactions", {}, "query.currency"),
    ("/transactions", {"currency": "TRK", "after_seq": -1}, "query.after_seq"),
    ("/transactions", {"currency": "TRK", "after_seq": 2**63}, "query.after_seq"),
    ("/transactions", {"currency": "TRK", "after_seq": "x"}, "query.after_seq"),
    ("/transactions", {"currency": "TRK", "limit": 10**20}, "query.limit"),
    ("/audit/trial-balance", {}, "query.currency"),
    ("/audit/trial-balance", {"currency": "TRK", "as_of": "x" * 65}, "query.as_of"),
]


def test_bad_query_parameters(client: TestClient, world: World) -> None:
    attempts = [
        Attempt("GET", API + path, invalid(field), {"params": params})
        for path, params, field in BAD_QUERIES
    ]
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


BAD_CURSORS = ["abc", "-1", "1.5", " 1", "1e3", "\u00b2"]  # a superscript two passes isdigit()


def test_bad_cursors(client: TestClient, world: World) -> None:
    paths = ["/accounts", "/users", f"/accounts/{world.budget.id}/entries"]
    attempts = [
        Attempt("GET", API + path, problem_of(422, "invalid_cursor"), {"params": {"cursor": c}})
        for path in paths
        for c in BAD_CURSORS
    ]
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


MISSING = 123_456
MISSING_THINGS: list[tuple[str, str, Any, str]] = [
    ("GET", f"/accounts/{MISSING}", None, "account_not_found"),
    ("GET", f"/accounts/{MISSING}/entries", None, "account_not_found"),
    ("GET", f"/accounts/{MISSING}/balance", None, "account_not_found"),
    ("POST", f"/accounts/{MISSING}/freeze", None, "account_not_found"),
    ("POST", f"/accounts/{MISSING}/unfreeze", None, "account_not_found"),
    ("POST", f"/accounts/{MISSING}/close", None, "account_not_found"),
    ("GET", f"/transactions/{MISSING}", None, "transaction_not_found"),
    ("POST", f"/transactions/{MISSING}/reverse", {"reason": "typo"}, "transaction_not_found"),
    ("POST", f"/users/{MISSING}/revoke-tokens", None, "user_not_found"),
    ("POST", "/issuances", {"to_account_id": MISSING, "amount": 5}, "account_not_found"),
    ("POST", "/accounts", {**ACCOUNT, "owner_id": MISSING}, "user_not_found"),
    ("POST", "/accounts", {**ACCOUNT, "currency": "XYZ"}, "currency_not_found"),
    ("GET", "/accounts?currency=XYZ", None, "currency_not_found"),
    ("GET", "/transactions?currency=XYZ", None, "currency_not_found"),
    ("GET", "/audit/trial-balance?currency=XYZ", None, "currency_not_found"),
]


def test_unknown_ids(client: TestClient, world: World) -> None:
    attempts = [
        Attempt(method, API + path, problem_of(404, code), {"json": body})
        for method, path, body, code in MISSING_THINGS
    ]
    unknown_accounts = [
        _transfer(world, from_account_id=MISSING, to_account_id=world.budget.id),
        _transfer(world, from_account_id=world.budget.id, to_account_id=MISSING),
    ]
    attempts += [
        Attempt("POST", f"{API}/transfers", problem_of(404, "account_not_found"), {"json": body})
        for body in unknown_accounts
    ]
    entry = _entry(world, (world.budget.id, -5), (MISSING, 5))
    attempts.append(
        Attempt(
            "POST", f"{API}/transactions", problem_of(404, "account_not_found"), {"json": entry}
        )
    )
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


# --- as_of --------------------------------------------------------------------------------------

BAD_AS_OF = [
    "yesterday",
    "2024-13-01T00:00:00Z",
    "2024-01-01T00:00:00",  # no time zone
    "2024-01-01",  # a date is a naive moment
    "-1",
    "1.5",
    "\u00b2",  # a superscript two: str.isdigit() says yes, int() says no
    "0001-01-01T00:00:00+01:00",  # before the first representable UTC moment
    "9999-12-31T23:59:59-01:00",  # after the last
]


def test_bad_as_of(client: TestClient, world: World) -> None:
    attempts = [
        Attempt(
            "GET",
            f"{API}/accounts/{world.budget.id}/balance",
            problem_of(422, "invalid_as_of"),
            {"params": {"as_of": as_of}},
        )
        for as_of in BAD_AS_OF
    ]
    attempts += [
        Attempt(
            "GET",
            f"{API}/audit/trial-balance",
            problem_of(422, "invalid_as_of"),
            {"params": {"as_of": as_of, "currency": "TRK"}},
        )
        for as_of in BAD_AS_OF
    ]
    refuse_all(client, attempts, world.admin.headers, world.admin.headers)


# --- refusals by the ledger's state -------------------------------------------------------------


def test_insufficient_funds(client: TestClient, world: World, unchanged: LedgerSnapshot) -> None:
    member = world.actors[Role.MEMBER]
    response = client.post(
        f"{API}/transfers", json=_transfer(world, amount=OWN_FUNDS + 1), headers=member.headers
    )
    body = assert_problem(response, 409, "insufficient_funds")
    assert body["account_id"] == world.own[Role.MEMBER].id
    assert body["available"] == OWN_FUNDS


def test_insufficient_funds_in_a_general_entry(
    client: TestClient, world: World, unchanged: LedgerSnapshot
) -> None:
    body = _entry(
        world,
        (world.stranger_account.id, -(OWN_FUNDS + 1)),
        (world.own[Role.MEMBER].id, OWN_FUNDS),
        (world.budget.id, 1),
    )
    assert_problem(_post(client, world, "/transactions", body), 409, "insufficient_funds")


@pytest.fixture
def second_currency(world: World) -> int:
    """A budget account in a second currency ABC, funded with 50."""
    world.ledger.currency("ABC")
    return world.ledger.budget(50, "ABC").id


def test_currency_mismatch_in_a_transfer(
    client: TestClient, world: World, second_currency: int
) -> None:
    before = snapshot(client, world.admin.headers)
    body = {"from_account_id": world.budget.id, "to_account_id": second_currency, "amount": 5}
    assert_problem(_post(client, world, "/transfers", body), 409, "currency_mismatch")
    assert snapshot(client, world.admin.headers) == before


def test_currency_mismatch_in_a_general_entry(
    client: TestClient, world: World, second_currency: int
) -> None:
    before = snapshot(client, world.admin.headers)
    mixed = _entry(world, (world.budget.id, -5), (second_currency, 5))
    assert_problem(_post(client, world, "/transactions", mixed), 409, "currency_mismatch")
    named_wrong = _entry(
        world, (world.budget.id, -5), (world.stranger_account.id, 5), currency="ABC"
    )
    assert_problem(_post(client, world, "/transactions", named_wrong), 409, "currency_mismatch")
    assert snapshot(client, world.admin.headers) == before


def test_closed_account_takes_nothing(client: TestClient, world: World) -> None:
    closed = world.account_of(Role.MEMBER)
    world.set_status(closed.id, "close")
    before = snapshot(client, world.admin.headers)
    member = world.actors[Role.MEMBER]
    into = _transfer(world, from_account_id=world.own[Role.MEMBER].id, to_account_id=closed.id)
    assert_problem(
        client.post(f"{API}/transfers", json=into, headers=member.headers), 409, "account_closed"
    )
    entry = _entry(world, (world.budget.id, -5), (closed.id, 5))
    assert_problem(_post(client, world, "/transactions", entry), 409, "account_closed")
    for action in ("freeze", "unfreeze"):
        response = client.post(f"{API}/accounts/{closed.id}/{action}", headers=world.admin.headers)
        assert_problem(response, 409, "account_closed")
    again = client.post(f"{API}/accounts/{closed.id}/close", headers=world.admin.headers)
    assert_problem(again, 409, "account_status_unchanged", "account_closed")
    assert snapshot(client, world.admin.headers) == before


def test_frozen_account_neither_pays_nor_receives(client: TestClient, world: World) -> None:
    frozen = world.own[Role.MEMBER]
    world.set_status(frozen.id, "freeze")
    before = snapshot(client, world.admin.headers)
    member = world.actors[Role.MEMBER]
    out = client.post(f"{API}/transfers", json=_transfer(world), headers=member.headers)
    assert_problem(out, 409, "account_frozen")
    into = _transfer(world, from_account_id=world.budget.id, to_account_id=frozen.id)
    assert_problem(_post(client, world, "/transfers", into), 409, "account_frozen")
    again = client.post(f"{API}/accounts/{frozen.id}/freeze", headers=world.admin.headers)
    assert_problem(again, 409, "account_status_unchanged")
    assert snapshot(client, world.admin.headers) == before


def test_frozen_budget_takes_no_issuance(client: TestClient, world: World) -> None:
    world.set_status(world.budget.id, "freeze")
    before = snapshot(client, world.admin.headers)
    body = {"to_account_id": world.budget.id, "amount": 5}
    assert_problem(_post(client, world, "/issuances", body), 409, "account_frozen")
    assert snapshot(client, world.admin.headers) == before


def test_unfreezing_an_active_account(
    client: TestClient, world: World, unchanged: LedgerSnapshot
) -> None:
    response = client.post(
        f"{API}/accounts/{world.budget.id}/unfreeze", headers=world.admin.headers
    )
    assert_problem(response, 409, "account_status_unchanged")


def test_already_reversed(client: TestClient, world: World) -> None:
    first = _post(client, world, f"/transactions/{world.stranger_tx}/reverse", {"reason": "oops"})
    assert first.status_code == 201, first.text
    before = snapshot(client, world.admin.headers)
    again = _post(client, world, f"/transactions/{world.stranger_tx}/reverse", {"reason": "again"})
    body = assert_problem(again, 409, "already_reversed")
    assert body["transaction_id"] == world.stranger_tx
    reversal = first.json()["id"]
    undo = _post(client, world, f"/transactions/{reversal}/reverse", {"reason": "undo"})
    assert_problem(undo, 409, "reversal_not_reversible")
    assert snapshot(client, world.admin.headers) == before


def test_reversal_that_would_overdraw(client: TestClient, world: World) -> None:
    """Reversing a payment whose receiver has spent it is refused, not partly applied."""
    member = world.actors[Role.MEMBER]
    spend = _transfer(world, amount=OWN_FUNDS)
    assert client.post(f"{API}/transfers", json=spend, headers=member.headers).status_code == 201
    before = snapshot(client, world.admin.headers)
    response = _post(
        client, world, f"/transactions/{world.own_tx[Role.MEMBER]}/reverse", {"reason": "x"}
    )
    assert_problem(response, 409, "insufficient_funds")
    assert snapshot(client, world.admin.headers) == before


def test_reversal_kind_cannot_be_posted_directly(
    client: TestClient, world: World, unchanged: LedgerSnapshot
) -> None:
    body = _entry(world, (world.budget.id, -5), (world.stranger_account.id, 5), kind="reversal")
    response = _post(client, world, "/transactions", body)
    assert response.status_code == 422, response.text
    assert_problem(response, 422)


def test_closing_an_account_with_a_balance(
    client: TestClient, world: World, unchanged: LedgerSnapshot
) -> None:
    response = client.post(
        f"{API}/accounts/{world.stranger_account.id}/close", headers=world.admin.headers
    )
    assert_problem(response, 409, "account_not_empty")


@pytest.mark.parametrize("system", ["issuance_account_id", "redemption_account_id"])
def test_system_accounts_are_not_for_transfers(
    client: TestClient, world: World, system: str
) -> None:
    currency = client.get(f"{API}/currencies", headers=world.admin.headers).json()[0]
    system_id = currency[system]
    before = snapshot(client, world.admin.headers)
    out = {"from_account_id": system_id, "to_account_id": world.budget.id, "amount": 5}
    assert_problem(_post(client, world, "/transfers", out), 409, "account_kind_not_allowed")
    into = {"from_account_id": world.budget.id, "to_account_id": system_id, "amount": 5}
    assert_problem(_post(client, world, "/transfers", into), 409, "account_kind_not_allowed")
    close = client.post(f"{API}/accounts/{system_id}/close", headers=world.admin.headers)
    assert_problem(close, 409, "account_kind_not_allowed")
    member = world.actors[Role.MEMBER]
    pay_in = _transfer(world, to_account_id=system_id)
    response = client.post(f"{API}/transfers", json=pay_in, headers=member.headers)
    assert_problem(response, 409, "account_kind_not_allowed")
    assert snapshot(client, world.admin.headers) == before


@pytest.mark.parametrize("kind", [AccountKind.MEMBER, AccountKind.SHOP])
def test_issuance_goes_only_into_budgets(
    client: TestClient, world: World, ledger: Ledger, kind: AccountKind
) -> None:
    account = ledger.account(kind, world.actors[Role.MEMBER])
    before = snapshot(client, world.admin.headers)
    body = {"to_account_id": account.id, "amount": 5}
    assert_problem(_post(client, world, "/issuances", body), 409, "account_kind_not_allowed")
    assert snapshot(client, world.admin.headers) == before


@pytest.mark.parametrize("kind", ["issuance", "redemption"])
@pytest.mark.usefixtures("unchanged")
def test_system_accounts_cannot_be_opened(client: TestClient, world: World, kind: str) -> None:
    body = {"currency": "TRK", "kind": kind, "name": "second source"}
    assert_problem(_post(client, world, "/accounts", body), 409, "account_kind_not_allowed")


@pytest.mark.usefixtures("unchanged")
def test_unbalanced_entry(client: TestClient, world: World) -> None:
    body = _entry(world, (world.budget.id, -5), (world.stranger_account.id, 4))
    assert_problem(_post(client, world, "/transactions", body), 422, "unbalanced_entry")
    one_sided = _entry(world, (world.budget.id, 5), (world.stranger_account.id, 5))
    assert_problem(_post(client, world, "/transactions", one_sided), 422, "unbalanced_entry")


@pytest.mark.usefixtures("unchanged")
def test_duplicate_account(client: TestClient, world: World) -> None:
    budget = world.budget.id
    body = _entry(world, (budget, -5), (budget, 5))
    assert_problem(_post(client, world, "/transactions", body), 422, "duplicate_account")
    three = _entry(world, (budget, -10), (world.stranger_account.id, 5), (budget, 5))
    assert_problem(_post(client, world, "/transactions", three), 422, "duplicate_account")
    member = world.actors[Role.MEMBER]
    own = world.own[Role.MEMBER].id
    to_self = _transfer(world, from_account_id=own, to_account_id=own)
    response = client.post(f"{API}/transfers", json=to_self, headers=member.headers)
    assert_problem(response, 422, "duplicate_account")


@pytest.mark.usefixtures("unchanged")
def test_existing_names_are_refused(client: TestClient, world: World) -> None:
    currency = {"code": "TRK", "name": "again", "decimals": 0, "euro_rate": "0.1"}
    assert_problem(_post(client, world, "/currencies", currency), 409, "currency_exists")
    user = {
        "username": world.stranger.principal.username,
        "display_name": "Double",
        "role": "member",
        "password": "long-enough-password",
    }
    assert_problem(_post(client, world, "/users", user), 409, "username_taken")
    # The same name in other letters' case would pass for the same person in every list.
    for lookalike in (user["username"].upper(), user["username"].title()):
        assert_problem(
            _post(client, world, "/users", {**user, "username": lookalike}), 409, "username_taken"
        )


def test_unknown_route_and_method_are_problems(client: TestClient, world: World) -> None:
    assert_problem(client.get(f"{API}/nowhere", headers=world.admin.headers), 404)
    response = client.delete(f"{API}/transactions/1", headers=world.admin.headers)
    assert_problem(response, 405, "method_not_allowed")


def test_names_up_to_the_published_limit_are_stored(client: TestClient, world: World) -> None:
    """Names as long as the schema allows (100 for currencies, 200 for accounts and users) fit
    the database too; one character more is a 422."""
    currency_name = "C" * 100
    currency = _post(
        client,
        world,
        "/currencies",
        {"code": "LONG", "name": currency_name, "decimals": 0, "euro_rate": "1"},
    )
    assert currency.status_code == 201, currency.text
    assert currency.json()["name"] == currency_name
    too_long = _post(client, world, "/currencies", {**CURRENCY, "name": currency_name + "C"})
    assert_invalid(too_long, "body.name")
    name = "N" * 200
    account = _post(client, world, "/accounts", {**ACCOUNT, "name": name})
    assert account.status_code == 201, account.text
    user = _post(client, world, "/users", {**USER, "display_name": name})
    assert user.status_code == 201, user.text
    assert _post(client, world, "/currencies", {**CURRENCY, "name": name + "N"}).status_code == 422


@pytest.mark.parametrize("username", ["x" * 65, "x" * 5000, "nul\x00name", "\u00e9\u00e8"])
def test_odd_usernames_at_sign_in(client: TestClient, ledger: Ledger, username: str) -> None:
    response = client.post(f"{API}/auth/token", data={"username": username, "password": "nope"})
    assert_problem(response, 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/audit/events?action=card%00blocked", "query.action"),
        ("/audit/events?subject_type=ca%00rd", "query.subject_type"),
        ("/audit/events?subject_id=1%00", "query.subject_id"),
        ("/accounts?cursor=1%00", "query.cursor"),
        ("/currencies/TR%00K/rates", "path.code"),
        ("/payment-requests/abc%00def", "path.code"),
    ],
)
def test_a_nul_in_a_query_or_path_is_refused_alike_on_every_database(
    client: TestClient, world: World, path: str, field: str
) -> None:
    """Text in a query string or a path follows the body's rule: PostgreSQL cannot store or compare
    a NUL character, so it is refused before any query, with the parameter named."""
    assert_invalid(client.get(f"{API}{path}", headers=world.admin.headers), field)
