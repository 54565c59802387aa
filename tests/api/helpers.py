"""Helpers for the API tests: problem+json assertions and a snapshot of the ledger's state, taken
through the API, to show that a refused write left nothing behind."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi.testclient import TestClient

API = "/api/v1"
# The members of an approval request (four eyes), as the API shows every one.
APPROVAL_KEYS = frozenset(
    {
        "id",
        "kind",
        "currency",
        "amount",
        "payload",
        "status",
        "requested_by_id",
        "requested_at",
        "decided_by_id",
        "decided_at",
        "note",
        "transaction_id",
        "subject_user_id",
    }
)
PROBLEM_MEDIA_TYPE = "application/problem+json"
# Fragments of database internals that must never reach a client.
LEAKS_CASE_SENSITIVE = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "Traceback")
LEAKS_ANY_CASE = ("sqlite", "psycopg", "sqlalchemy", "integrityerror", "operationalerror")


class HttpResponse(Protocol):
    """What the tests read of a test client's response."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


def assert_no_leak(response: HttpResponse) -> None:
    text = response.text
    for marker in LEAKS_CASE_SENSITIVE:
        assert marker not in text, text
    for marker in LEAKS_ANY_CASE:
        assert marker not in text.lower(), text


def assert_problem(response: HttpResponse, status: int, *codes: str) -> dict[str, Any]:
    """Assert an RFC 9457 problem with ``status`` and (when given) one of ``codes``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert isinstance(body["code"], str), body
    assert body["code"], body
    assert isinstance(body["title"], str), body
    assert body["title"], body
    if codes:
        assert body["code"] in codes, body
    assert_no_leak(response)
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    return [str(item["field"]) for item in body.get("errors", [])]


def assert_invalid(response: HttpResponse, field: str) -> dict[str, Any]:
    """A 422 validation problem that names ``field`` (e.g. ``body.amount``)."""
    body = assert_problem(response, 422, "validation_error")
    fields = error_fields(body)
    assert any(name == field or name.startswith(field + ".") for name in fields), (field, body)
    return body


@dataclass(frozen=True)
class LedgerSnapshot:
    """What a refused write must not change: balances, statuses, journals and the audit."""

    accounts: dict[int, tuple[int, int, str]]
    journal_lengths: dict[str, int]
    last_seqs: dict[str, int]
    currencies: tuple[str, ...]


def snapshot(client: TestClient, headers: dict[str, str]) -> LedgerSnapshot:
    """Read the whole ledger through the API as an administrator; also assert the audit is ok."""
    currencies = client.get(f"{API}/currencies", headers=headers)
    assert currencies.status_code == 200, currencies.text
    codes = tuple(sorted(item["code"] for item in currencies.json()))
    last_seqs = {item["code"]: item["last_seq"] for item in currencies.json()}
    accounts: dict[int, tuple[int, int, str]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get(f"{API}/accounts", headers=headers, params=params)
        assert page.status_code == 200, page.text
        for item in page.json()["items"]:
            accounts[item["id"]] = (item["balance"], item["held"], item["status"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    lengths: dict[str, int] = {}
    for code in codes:
        count, after = 0, 0
        while True:
            feed = client.get(
                f"{API}/transactions",
                headers=headers,
                params={"currency": code, "after_seq": after, "limit": 500},
            )
            assert feed.status_code == 200, feed.text
            count += len(feed.json()["items"])
            next_cursor = feed.json()["next_cursor"]
            if next_cursor is None:
                break
            after = int(next_cursor)
        lengths[code] = count
    report = client.get(f"{API}/audit/verify", headers=headers)
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True, report.json()
    return LedgerSnapshot(accounts, lengths, last_seqs, codes)


@dataclass(frozen=True)
class Attempt:
    """One request that must be refused, and the check of its response."""

    method: str
    path: str
    check: Callable[[HttpResponse], object]
    kwargs: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.kwargs!r}"[:300]


def refuse_all(
    client: TestClient,
    attempts: Iterable[Attempt],
    headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    """Send each attempt; check its response and that no write changed the ledger. Report every
    failure at once, a server error (raised by the test client) included."""
    before = snapshot(client, admin_headers)
    failures: dict[str, str] = {}
    for number, attempt in enumerate(attempts):
        label = f"{number}: {attempt}"
        try:
            response = client.request(
                attempt.method, attempt.path, headers=attempt.headers or headers, **attempt.kwargs
            )
            attempt.check(response)
        except Exception as error:
            failures[label] = f"{type(error).__name__}: {error}"[:600]
        if attempt.method != "GET":
            after = snapshot(client, admin_headers)
            if after != before:
                failures[label] = failures.get(label, "") + " and it changed the ledger"
                before = after
    assert failures == {}, "\n".join(f"{label}\n    {why}" for label, why in failures.items())


def invalid(field: str) -> Callable[[HttpResponse], object]:
    return lambda response: assert_invalid(response, field)


def problem_of(status: int, *codes: str) -> Callable[[HttpResponse], object]:
    return lambda response: assert_problem(response, status, *codes)


@dataclass(frozen=True)
class EarningSnapshot:
    """What a refused earning write must not change: projects, activities, claims and codes."""

    projects: tuple[Any, ...]
    activities: tuple[Any, ...]
    claims: tuple[Any, ...]
    batches: tuple[Any, ...]


def earning_snapshot(
    client: TestClient, headers: dict[str, str], batch_ids: Iterable[int] = ()
) -> EarningSnapshot:
    """Read every project, activity and claim (and the batches named) through the API as an
    administrator."""

    def ok(path: str, **params: Any) -> Any:
        response = client.get(f"{API}{path}", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    projects = ok("/projects")
    activities = [
        item for project in projects for item in ok(f"/projects/{project['id']}/activities")
    ]
    claims: list[Any] = []
    cursor: str | None = None
    while True:
        page = ok("/claims", limit=500, **({} if cursor is None else {"cursor": cursor}))
        claims += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    batches = [ok(f"/code-batches/{batch_id}") for batch_id in batch_ids]
    return EarningSnapshot(
        tuple(json.dumps(item, sort_keys=True) for item in projects),
        tuple(json.dumps(item, sort_keys=True) for item in activities),
        tuple(json.dumps(item, sort_keys=True) for item in claims),
        tuple(json.dumps(item, sort_keys=True) for item in batches),
    )
