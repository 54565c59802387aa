"""Hostile input against a real server with two workers: oversized bodies, absurd numbers, wrong
content types, malformed idempotency keys and unicode in every free-text field.

Each request gets a clear 4xx problem or is accepted and read back intact; never a 500, never a
half-written row (the journal and the balances are the same after a refusal), and the server
keeps serving afterwards. Who may call which route (401/403 for every role on every route) is
``tests/api/test_authorization.py``'s matrix, not repeated here.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from tests.servers import Server
from tests.support import PASSWORD, Actor, Ledger
from torekes.api.body_limit import MAX_BODY_BYTES
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

pytestmark = pytest.mark.e2e

API = "/api/v1"
PROBLEM = "application/problem+json"
FUNDS = 1_000

# Text that must survive a round trip, or be refused by name: right-to-left marks, emoji with
# joiners and skin tones, 4-byte characters outside the BMP, combining marks, other scripts.
ROUND_TRIP = [
    "\u200f\u05e9\u05dc\u05d5\u05dd\u200e abc",  # Hebrew between direction marks
    "\U0001f331\U0001f469\U0001f3fd\u200d\U0001f33e garden",  # emoji, skin tone, zero-width joiner
    "\U0001d11e \U0002070e \U0001d54b\U0001d560",  # 4-byte characters outside the BMP
    "Zo\u00eb e\u0301 \ufdfd",  # combining mark, a ligature
    "\u0645\u0644\u0639\u0628 \u5e83\u5834",  # Arabic, Japanese
]
# Text that must be refused by name (NUL is not text to PostgreSQL, a lone surrogate to nobody).
REFUSED = ["nul \u0000 here", "lone \ud800 surrogate", "\udfff"]


_codes = itertools.count(1)


@dataclass(frozen=True)
class World:
    ledger: Ledger
    admin: Actor
    member: Actor
    account: int
    shop: int
    project: int


@pytest.fixture
def world(ledger: Ledger) -> World:
    ledger.currency()
    member = ledger.user(Role.MEMBER)
    shopkeeper = ledger.user(Role.SHOPKEEPER)
    account = ledger.funded_member(member, FUNDS)
    shop = ledger.account(AccountKind.SHOP, shopkeeper)
    return World(ledger, ledger.admin, member, account.id, shop.id, 0)


@pytest.fixture
def http(two_workers: Server) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=two_workers.base_url, timeout=60.0) as client:
        yield client


def send(
    http: httpx2.Client,
    method: str,
    path: str,
    actor: Actor,
    body: Any,
    headers: dict[str, str] | None = None,
) -> httpx2.Response:
    """``body`` as JSON text with every non-ASCII character escaped, as a client may send it:
    so lone surrogates travel too."""
    return http.request(
        method,
        f"{API}{path}",
        content=json.dumps(body).encode(),
        headers={**actor.headers, "Content-Type": "application/json", **(headers or {})},
    )


def ledger_state(ledger: Ledger) -> tuple[Any, ...]:
    """What a refused request must leave as it was: every table's row count that a write
    touches and every account's balance and hold."""
    with ledger.db.write_engine.connect() as connection:
        counts = tuple(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "transactions",
                "postings",
                "accounts",
                "users",
                "projects",
                "activities",
                "currencies",
                "payment_requests",
                "idempotency_records",
            )
        )
        balances = tuple(
            connection.execute(text("SELECT id, balance, held FROM accounts ORDER BY id")).all()
        )
    return counts, balances


def assert_problem(response: httpx2.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code
    assert problem["code"]
    return problem


def assert_refused_field(response: httpx2.Response, field: str) -> None:
    problem = assert_problem(response, 422)
    assert problem["code"] == "validation_error"
    assert field in [error["field"] for error in problem["errors"]], problem


def assert_serving(http: httpx2.Client, world: World) -> None:
    """The server still answers, and still writes."""
    assert http.get("/healthz").status_code == 200
    paid = send(http, "POST", "/transfers", world.member, transfer(world, 1))
    assert paid.status_code == 201, paid.text


def transfer(world: World, amount: Any, **more: Any) -> dict[str, Any]:
    return {"from_account_id": world.account, "to_account_id": world.shop, "amount": amount, **more}


# --- oversized bodies -----------------------------------------------------------------------


def test_oversized_bodies_are_refused_and_the_server_goes_on(
    http: httpx2.Client, world: World
) -> None:
    before = ledger_state(world.ledger)
    huge = 3 * MAX_BODY_BYTES
    memo = json.dumps(transfer(world, 1, memo="x" * huge)).encode()
    declared = http.post(
        f"{API}/transfers",
        content=memo,
        headers={**world.member.headers, "Content-Type": "application/json"},
    )
    assert assert_problem(declared, 413)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        yield b'{"memo": "'
        for _ in range(huge // 65536):
            yield b"y" * 65536
        yield b'"}'

    streamed = http.post(
        f"{API}/users",
        content=chunks(),
        headers={**world.admin.headers, "Content-Type": "application/json"},
    )
    assert assert_problem(streamed, 413)["code"] == "request_too_large"
    form = http.post(f"{API}/auth/token", data={"username": "admin", "password": "p" * huge})
    assert assert_problem(form, 413)["code"] == "request_too_large"
    # Just under the ceiling is parsed, and refused by the field's own limit.
    long_memo = send(
        http, "POST", "/transfers", world.member, transfer(world, 1, memo="z" * 500_000)
    )
    assert_refused_field(long_memo, "body.memo")
    assert ledger_state(world.ledger) == before
    assert_serving(http, world)


# --- numbers --------------------------------------------------------------------------------


def test_absurd_amounts_are_refused_by_name(http: httpx2.Client, world: World) -> None:
    for amount in [
        10**30,
        2**63,
        -(2**63) - 1,
        -1,
        0,
        1e3,
        0.5,
        "12",
        True,
        False,
        None,
        "NaN",
        [],
        {},
    ]:
        before = ledger_state(world.ledger)
        response = send(http, "POST", "/transfers", world.member, transfer(world, amount))
        assert_refused_field(response, "body.amount")
        assert ledger_state(world.ledger) == before


def test_non_numbers_in_json_text_are_refused(http: httpx2.Client, world: World) -> None:
    for literal in ["NaN", "Infinity", "-Infinity", "1e400", "1" * 5000]:
        before = ledger_state(world.ledger)
        accounts = f'"from_account_id": {world.account}, "to_account_id": {world.shop}'
        body = f'{{{accounts}, "amount": {literal}}}'
        response = http.post(
            f"{API}/transfers",
            content=body.encode(),
            headers={**world.member.headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 400, 422)
        assert ledger_state(world.ledger) == before


def test_ids_beyond_any_integer_are_refused(http: httpx2.Client, world: World) -> None:
    for value in [2**63, 2**64 + 1, 10**30, -1, 0, 1.5, "1"]:
        before = ledger_state(world.ledger)
        body = {"from_account_id": value, "to_account_id": world.shop, "amount": 1}
        assert_refused_field(
            send(http, "POST", "/transfers", world.member, body), "body.from_account_id"
        )
        paths = (
            []
            if isinstance(value, str)
            else [f"/accounts/{value}", f"/transactions/{value}/receipt", f"/projects/{value}"]
        )
        for path in paths:
            assert_problem(http.get(f"{API}{path}", headers=world.admin.headers), 404, 422)
        assert ledger_state(world.ledger) == before


# --- content types --------------------------------------------------------------------------


def test_wrong_content_types_on_json_routes(http: httpx2.Client, world: World) -> None:
    """A JSON route refuses a body it was not told is JSON, even when the text is valid JSON."""
    for content_type in [
        "text/plain",
        "multipart/form-data; boundary=xyz",
        "application/x-www-form-urlencoded",
        "application/xml",
        "",
    ]:
        before = ledger_state(world.ledger)
        payload = json.dumps(transfer(world, 5)).encode()
        if content_type.startswith("multipart"):
            payload = (
                b'--xyz\r\nContent-Disposition: form-data; name="amount"\r\n\r\n5\r\n--xyz--\r\n'
            )
        headers = {**world.member.headers, "Content-Type": content_type}
        response = http.post(f"{API}/transfers", content=payload, headers=headers)
        if content_type == "":
            # No content type at all is read as JSON, as FastAPI does; anything else is refused.
            assert response.status_code in (201, 422), response.text
        else:
            assert_problem(response, 400, 415, 422)
            assert ledger_state(world.ledger) == before
        assert_serving(http, world)


# --- idempotency keys -----------------------------------------------------------------------


def test_malformed_idempotency_keys_are_refused(http: httpx2.Client, world: World) -> None:
    for key in [b"", b"k" * 256, b"k" * 10_000, b"tab\tinside", b"caf\xe9", b"\xff\xfe"]:
        before = ledger_state(world.ledger)
        response = http.post(
            f"{API}/transfers",
            content=json.dumps(transfer(world, 3)).encode(),
            headers=[
                *((name.encode(), value.encode()) for name, value in world.member.headers.items()),
                (b"Content-Type", b"application/json"),
                (b"Idempotency-Key", key),
            ],
        )
        problem = assert_problem(response, 422)
        assert problem["code"] == "invalid_idempotency_key", problem
        assert ledger_state(world.ledger) == before


def test_the_longest_idempotency_key_replays(http: httpx2.Client, world: World) -> None:
    key = {"Idempotency-Key": "K-" + "~!" * 126 + "z"}  # 255 visible characters
    first = send(http, "POST", "/transfers", world.member, transfer(world, 7), key)
    again = send(http, "POST", "/transfers", world.member, transfer(world, 7), key)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert first.json()["id"] == again.json()["id"]


# --- unicode in free text -------------------------------------------------------------------


@dataclass(frozen=True)
class TextField:
    """A free-text field: how to write a value into it and where to read it back."""

    name: str
    write: Any  # (http, world, text, prepared) -> response
    read: Any  # (http, world, created json) -> json holding the text
    prepare: Any = None  # (http, world) -> what the write needs made first (a project, a payment)


def _transfer_memo(
    http: httpx2.Client, world: World, value: str, prepared: Any = None
) -> httpx2.Response:
    return send(http, "POST", "/transfers", world.member, transfer(world, 1, memo=value))


def _account_name(
    http: httpx2.Client, world: World, value: str, prepared: Any = None
) -> httpx2.Response:
    body = {"currency": "TRK", "kind": "member", "name": value, "owner_id": world.member.id}
    return send(http, "POST", "/accounts", world.admin, body)


def _display_name(
    http: httpx2.Client, world: World, value: str, prepared: Any = None
) -> httpx2.Response:
    body = {
        "username": f"hostile{next(_codes)}",
        "display_name": value,
        "role": "member",
        "password": PASSWORD,
    }
    return send(http, "POST", "/users", world.admin, body)


def _currency_name(
    http: httpx2.Client, world: World, value: str, prepared: Any = None
) -> httpx2.Response:
    body = {"code": f"U{next(_codes)}", "name": value, "decimals": 0, "euro_rate": "0.1"}
    return send(http, "POST", "/currencies", world.admin, body)


def _project_name(
    http: httpx2.Client, world: World, value: str, prepared: Any = None
) -> httpx2.Response:
    return send(http, "POST", "/projects", world.admin, {"name": value, "currency": "TRK"})


def _a_project(http: httpx2.Client, world: World) -> int:
    body = {"name": f"P{next(_codes)}", "currency": "TRK"}
    project = send(http, "POST", "/projects", world.admin, body)
    assert project.status_code == 201, project.text
    return int(project.json()["id"])


def _activity(field: str) -> Any:
    def write(http: httpx2.Client, world: World, value: str, project: int) -> httpx2.Response:
        body = {"title": "Weeding", "reward_kind": "fixed", "reward_amount": 5, field: value}
        return send(http, "POST", f"/projects/{project}/activities", world.admin, body)

    return write


def _a_payment(http: httpx2.Client, world: World) -> int:
    paid = _transfer_memo(http, world, "to be reversed")
    assert paid.status_code == 201, paid.text
    return int(paid.json()["id"])


def _reversal_reason(
    http: httpx2.Client, world: World, value: str, payment: int
) -> httpx2.Response:
    body = {"reason": value}
    return send(http, "POST", f"/transactions/{payment}/reverse", world.admin, body)


def _a_budget(http: httpx2.Client, world: World) -> int:
    return world.ledger.budget(0).id


def _request_memo(
    http: httpx2.Client, world: World, value: str, prepared: Any = None
) -> httpx2.Response:
    body = {"shop_account_id": world.shop, "amount": 5, "memo": value}
    return send(http, "POST", "/payment-requests", world.admin, body)


def _issuance_memo(
    http: httpx2.Client, world: World, value: str, prepared: Any = None
) -> httpx2.Response:
    body = {"to_account_id": prepared, "amount": 5, "memo": value}
    return send(http, "POST", "/issuances", world.admin, body)


def _get(template: str) -> Any:
    def read(http: httpx2.Client, world: World, created: dict[str, Any]) -> Any:
        response = http.get(f"{API}{template.format(**created)}", headers=world.admin.headers)
        assert response.status_code == 200, response.text
        return response.json()

    return read


def _listed(path: str) -> Any:
    def read(http: httpx2.Client, world: World, created: dict[str, Any]) -> Any:
        response = http.get(f"{API}{path}", headers=world.admin.headers, params={"limit": 200})
        assert response.status_code == 200, response.text
        return next(item for item in response.json()["items"] if item["id"] == created["id"])

    return read


def _as_created(http: httpx2.Client, world: World, created: dict[str, Any]) -> Any:
    return created


FIELDS = [
    TextField("memo", _transfer_memo, _get("/transactions/{id}")),
    TextField("name", _account_name, _get("/accounts/{id}")),
    TextField("display_name", _display_name, _listed("/users")),
    TextField("name", _currency_name, _as_created),
    TextField("name", _project_name, _get("/projects/{id}")),
    TextField("title", _activity("title"), _get("/activities/{id}"), _a_project),
    TextField("description", _activity("description"), _get("/activities/{id}"), _a_project),
    TextField("reason", _reversal_reason, _get("/transactions/{id}"), _a_payment),
    TextField("memo", _request_memo, _as_created),
    TextField("memo", _issuance_memo, _get("/transactions/{id}"), _a_budget),
]
FIELD_NAMES = [  # what each of FIELDS is, for a reader
    "transfer memo",
    "account name",
    "user display name",
    "currency name",
    "project name",
    "activity title",
    "activity description",
    "reversal reason",
    "payment request memo",
    "issuance memo",
]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_unicode_in_free_text_is_kept_or_refused_by_name(http: httpx2.Client, world: World) -> None:
    def prepared(field: TextField) -> Any:
        return None if field.prepare is None else field.prepare(http, world)

    for field in FIELDS:
        for number, sample in enumerate(ROUND_TRIP):
            value = f"{sample} {number}"  # names may have to be unique
            created = field.write(http, world, value, prepared(field))
            assert created.status_code in (200, 201), created.text
            read_back = field.read(http, world, created.json())
            assert value in set(strings(read_back)), (value, read_back)
        for sample in REFUSED:
            ready = prepared(field)
            before = ledger_state(world.ledger)
            refused = field.write(http, world, sample, ready)
            assert_refused_field(refused, f"body.{field.name}")
            assert ledger_state(world.ledger) == before
