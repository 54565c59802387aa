"""Guessing claim codes, short codes and payment-request codes: a code that names nothing is
refused without opening a write (so never SQLite's write lock), and a client address with too
many of them gets 429 ``too_many_attempts`` with ``Retry-After`` for a while, on the API and on
the pages, while other clients go on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.apps import app_for
from tests.support import PASSWORD
from tests.web.conftest import BASE, csrf_of
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.settings import Settings

API = "/api/v1"
MISSES = 3
UNKNOWN = "A" * 27
SHORT = "ABCD-EFGH-JKMN"


@pytest.fixture
def app(settings: Settings, world: World) -> FastAPI:
    return app_for(settings.model_copy(update={"code_max_misses": MISSES}))


@pytest.fixture
def writes(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every write session the application opens from now on."""
    opened: list[str] = []
    db: Database = app.state.db
    real = db.write_session

    def counted() -> AbstractContextManager[Session]:
        opened.append("write")
        return real()

    monkeypatch.setattr(db, "write_session", counted)
    return opened


@pytest.fixture
def guesser(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=("203.0.113.66", 40000)) as client:
        yield client


def _other(app: FastAPI) -> TestClient:
    return TestClient(app, client=("198.51.100.66", 40000))


GUESSES: dict[str, tuple[str, str, dict[str, Any] | None, Role, str]] = {
    "claim code": ("POST", "/claims", {"code": UNKNOWN}, Role.MEMBER, "code_not_found"),
    "short code": ("POST", "/claims", {"code": SHORT}, Role.MEMBER, "code_not_found"),
    "request": (
        "GET",
        f"/payment-requests/{UNKNOWN}",
        None,
        Role.MEMBER,
        "payment_request_not_found",
    ),
    "pay": (
        "POST",
        f"/payment-requests/{UNKNOWN}/pay",
        None,
        Role.MEMBER,
        "payment_request_not_found",
    ),
    "cancel": (
        "POST",
        f"/payment-requests/{UNKNOWN}/cancel",
        None,
        Role.SHOPKEEPER,
        "payment_request_not_found",
    ),
    "qr": (
        "GET",
        f"/payment-requests/{UNKNOWN}/qr.svg",
        None,
        Role.SHOPKEEPER,
        "payment_request_not_found",
    ),
}


@pytest.mark.parametrize("guess", sorted(GUESSES))
def test_unknown_codes_write_nothing_and_are_limited_per_client(
    app: FastAPI, guesser: TestClient, writes: list[str], world: World, guess: str
) -> None:
    method, path, body, role, code = GUESSES[guess]
    headers = world.headers(role)

    def send(client: TestClient) -> Any:
        return client.request(method, f"{API}{path}", json=body, headers=headers)

    for _ in range(MISSES):
        assert_problem(send(guesser), 404, code)
    assert writes == []
    limited = send(guesser)
    assert_problem(limited, 429, "too_many_attempts")
    assert int(limited.headers["retry-after"]) >= 1
    assert_problem(send(_other(app)), 404, code)
    assert writes == []


def test_past_the_limit_a_real_code_waits_too_but_not_for_others(
    app: FastAPI, guesser: TestClient, world: World
) -> None:
    member = world.headers(Role.MEMBER)
    real = world.new_code().code
    for _ in range(MISSES):
        guesser.post(f"{API}/claims", json={"code": UNKNOWN}, headers=member)
    waiting = guesser.post(f"{API}/claims", json={"code": real}, headers=member)
    assert_problem(waiting, 429, "too_many_attempts")
    claimed = _other(app).post(f"{API}/claims", json={"code": real}, headers=member)
    assert claimed.status_code == 201, claimed.text


def test_the_pages_refuse_a_guesser_in_the_persons_language(
    app: FastAPI, world: World, writes: list[str]
) -> None:
    with TestClient(app, base_url=BASE, client=("203.0.113.77", 40000)) as browser:
        form = browser.get("/login")
        username = world.actors[Role.MEMBER].principal.username
        signed = browser.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        writes.clear()
        token = csrf_of(browser.get("/").text)
        answers = [
            browser.get(f"/c/{UNKNOWN}"),
            browser.post(f"/c/{UNKNOWN}", data={"csrf_token": token, "key": "k1"}),
            browser.post(f"/p/{UNKNOWN}", data={"csrf_token": token, "key": "k2"}),
        ]
        assert [answer.status_code for answer in answers] == [404, 404, 404]
        assert writes == []
        limited = browser.get(f"/p/{UNKNOWN}")
        assert limited.status_code == 429
        assert limited.headers["content-type"].startswith("text/html")
        assert "Te veel" in limited.text
        assert int(limited.headers["retry-after"]) >= 1
