"""Request ids and logs: every request has an id (the client's when well formed) returned in
``X-Request-ID`` and in every problem; every log line written while serving it is one JSON object
carrying that id; the access line names the route, never the code in the path; an unexpected
error is logged with its traceback and answered with a bare 500; and signing in, paying by card,
paying a payment request and claiming a code leave no password, PIN, token, cookie or code in the
log."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.helpers import API, assert_problem
from tests.apps import app_for
from tests.support import PASSWORD
from tests.web.conftest import BASE, csrf_of, hidden_fields
from torekes.app import create_app
from torekes.domain.access import Role
from torekes.logs.formatters import JsonFormatter
from torekes.settings import Settings
from torekes.web.session import SESSION_COOKIE

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
PIN = "917364"


class JsonLines(logging.Handler):
    """The lines a JSON log on stderr would hold, formatted as they are written."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[JsonLines]:
    """Every logger at DEBUG, as the service's configuration leaves them (SQLAlchemy's own
    statement log stays off) except the test client's, which is not the server's."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="sqlalchemy")
    caplog.set_level(logging.WARNING, logger="httpx2")
    handler = JsonLines()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """The app, with two routes of the test's own: one that logs from its worker thread, one
    that fails unexpectedly."""
    application = create_app(settings)

    @application.get("/test/logs")
    def logs_from_a_thread() -> dict[str, str]:
        logging.getLogger("torekes.test").info("working", extra={"step": 1})
        return {"ok": "yes"}

    @application.get("/test/fails")
    def fails() -> None:
        raise RuntimeError("internal detail: db-password=hunter2")

    return application


@pytest.fixture
def plain(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_well_formed_request_id_comes_back_and_a_bad_one_is_replaced(
    plain: TestClient,
) -> None:
    for offered in ("abc-123", "0f1e2d3c-aaaa-4bbb-8ccc-123456789abc", "a.b:c_d", "x" * 128):
        response = plain.get("/healthz", headers={"X-Request-ID": offered})
        assert response.headers["X-Request-ID"] == offered
    for bad in ("x" * 129, "has space", "semi;colon", "", 'quote"d', "a/b"):
        response = plain.get("/healthz", headers={"X-Request-ID": bad})
        assert response.status_code == 200
        assert GENERATED_ID.match(response.headers["X-Request-ID"]), bad
    unicode = plain.get("/healthz", headers={b"X-Request-ID": "ünïcode".encode()})
    assert GENERATED_ID.match(unicode.headers["X-Request-ID"])
    first = plain.get("/healthz").headers["X-Request-ID"]
    second = plain.get("/healthz").headers["X-Request-ID"]
    assert GENERATED_ID.match(first)
    assert first != second


def test_every_line_logged_during_a_request_is_json_with_its_id(
    plain: TestClient, world: World, log: JsonLines
) -> None:
    requests = {
        "req-thread": ("/test/logs", {}),
        "req-read": (f"{API}/accounts/{world.own[Role.MEMBER].id}", world.headers(Role.MEMBER)),
        "req-refused": (f"{API}/accounts/{world.stranger_account.id}", world.headers(Role.MEMBER)),
        "req-page": ("/login", {}),
    }
    for request_id, (path, headers) in requests.items():
        log.lines.clear()
        response = plain.get(path, headers={**headers, "X-Request-ID": request_id})
        assert response.headers["X-Request-ID"] == request_id
        lines = log.parsed()
        assert lines, path
        for line in lines:
            assert line["request_id"] == request_id, line
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["time"]), line
            assert {"level", "logger", "message"} <= line.keys(), line
        access = [line for line in lines if line["logger"] == "torekes.access"]
        assert len(access) == 1, lines
        assert access[0]["method"] == "GET"
        assert access[0]["status"] == response.status_code
        assert isinstance(access[0]["duration_ms"], float)
    log.lines.clear()
    plain.get("/test/logs", headers={"X-Request-ID": "req-thread-2"})
    working = [line for line in log.parsed() if line["logger"] == "torekes.test"]
    assert working == [
        {
            "time": working[0]["time"],
            "level": "INFO",
            "logger": "torekes.test",
            "message": "working",
            "request_id": "req-thread-2",
            "step": 1,
        }
    ]


def test_problems_carry_the_request_id(plain: TestClient, world: World) -> None:
    cases = [
        (plain.get(f"{API}/users/me", headers={"X-Request-ID": "p-401"}), 401),
        (
            plain.get(
                f"{API}/accounts/{world.stranger_account.id}",
                headers={**world.headers(Role.MEMBER), "X-Request-ID": "p-403"},
            ),
            403,
        ),
        (
            plain.get(
                f"{API}/accounts/999999",
                headers={**world.admin.headers, "X-Request-ID": "p-404"},
            ),
            404,
        ),
        (
            plain.post(
                f"{API}/transfers",
                json={"amount": "lots"},
                headers={**world.admin.headers, "X-Request-ID": "p-422"},
            ),
            422,
        ),
    ]
    for response, status in cases:
        body = assert_problem(response, status)
        assert body["request_id"] == response.headers["X-Request-ID"]
        assert body["request_id"].startswith("p-")
    # An address that is no page is answered with a page, which carries the id in its header.
    nowhere = plain.get("/nowhere", headers={"X-Request-ID": "p-404-route"})
    assert (nowhere.status_code, nowhere.headers["X-Request-ID"]) == (404, "p-404-route")
    generated = assert_problem(plain.get(f"{API}/users/me"), 401)
    assert GENERATED_ID.match(generated["request_id"])


def test_an_unexpected_error_is_logged_with_its_traceback_and_answered_bare(
    plain: TestClient, log: JsonLines
) -> None:
    response = plain.get("/test/fails", headers={"X-Request-ID": "boom-1"})
    body = assert_problem(response, 500, "internal_error")
    assert body["request_id"] == "boom-1"
    assert response.headers["X-Request-ID"] == "boom-1"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    lines = log.parsed()
    assert all(line["request_id"] == "boom-1" for line in lines), lines
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1, lines
    assert errors[0]["message"] == "unexpected error on /test/fails"
    assert errors[0]["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: internal detail" in errors[0]["exception"]
    access = [line for line in lines if line["logger"] == "torekes.access"]
    assert [(line["route"], line["status"]) for line in access] == [("/test/fails", 500)]


def test_the_access_line_names_the_route_never_the_code_in_the_path(
    plain: TestClient, world: World, log: JsonLines
) -> None:
    code = world.earning.batch.codes[1].code
    plain.get(f"/c/{code}", follow_redirects=False)
    plain.get(f"/p/{code}", follow_redirects=False)
    plain.get(f"{API}/payment-requests/{code}", headers=world.admin.headers)
    plain.post(f"{API}/payment-requests/{code}/pay", headers=world.headers(Role.MEMBER))
    plain.get(f"/till/{code}", follow_redirects=False)
    plain.get(f"/nothing/{code}/here?code={code}")
    plain.get(
        f"{API}/accounts/{world.own[Role.MEMBER].id}?code={code}", headers=world.admin.headers
    )
    routes = [
        (line["method"], line["route"], line["status"])
        for line in log.parsed()
        if line["logger"] == "torekes.access"
    ]
    assert routes == [
        ("GET", "/c/{code}", 303),
        ("GET", "/p/{code}", 303),
        ("GET", "/api/v1/payment-requests/{code}", 404),
        ("POST", "/api/v1/payment-requests/{code}/pay", 404),
        ("GET", "/till/{code}", 303),
        ("GET", "unmatched", 404),
        ("GET", "/api/v1/accounts/{account_id}", 200),
    ]
    assert code not in "\n".join(log.lines)


def test_signing_in_paying_and_claiming_leave_no_secret_in_the_log(
    settings: Settings, plain: TestClient, world: World, log: JsonLines
) -> None:
    member = world.actors[Role.MEMBER]
    signed_in = plain.post(
        f"{API}/auth/token",
        data={"username": member.principal.username, "password": PASSWORD},
    )
    token = signed_in.json()["access_token"]
    wrong = plain.post(
        f"{API}/auth/token",
        data={"username": member.principal.username, "password": PASSWORD + "-typo"},
    )
    assert wrong.status_code == 401

    card = plain.post(
        f"{API}/cards", json={"member_id": member.id, "pin": PIN}, headers=world.admin.headers
    ).json()
    shop = world.own[Role.SHOPKEEPER].id
    charge = {"shop_account_id": shop, "card": card["number"], "pin": PIN, "amount": 5}
    keeper = world.headers(Role.SHOPKEEPER)
    assert plain.post(f"{API}/card-payments", json=charge, headers=keeper).status_code == 201
    wrong_pin = {**charge, "pin": "000000"}
    assert plain.post(f"{API}/card-payments", json=wrong_pin, headers=keeper).status_code == 403

    asked = plain.post(
        f"{API}/payment-requests", json={"shop_account_id": shop, "amount": 7}, headers=keeper
    ).json()
    bearer = {"Authorization": f"Bearer {token}"}
    paid = plain.post(f"{API}/payment-requests/{asked['code']}/pay", headers=bearer)
    assert paid.status_code == 201, paid.text

    claim_code = world.earning.batch.codes[1].code
    with TestClient(app_for(settings), base_url=BASE) as phone:
        form = phone.get("/login")
        page_sign_in = phone.post(
            "/login",
            data={
                "username": member.principal.username,
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        assert page_sign_in.status_code == 303
        cookie = phone.cookies[SESSION_COOKIE]
        claim_page = phone.get(f"/c/{claim_code}")
        assert claim_page.status_code == 200
        claimed = phone.post(f"/c/{claim_code}", data=hidden_fields(claim_page.text))
        assert claimed.status_code == 201, claimed.text
        assert phone.get(f"/p/{asked['code']}").status_code == 200  # its payer sees "Paid"
    with TestClient(app_for(settings), base_url=BASE) as counter:
        form = counter.get("/login/card")
        card_sign_in = counter.post(
            "/login/card",
            data={"number": card["number"], "pin": PIN, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert card_sign_in.status_code == 303

    secrets = {
        "password": PASSWORD,
        "pin": PIN,
        "bearer token": token,
        "session cookie": cookie,
        "claim code": claim_code,
        "payment code": asked["code"],
        "card code": card["code"],
        "card number": card["number"].replace(" ", ""),
        "card number as printed": card["number"],
    }
    written = "\n".join(log.lines)
    assert len(log.lines) >= 14
    for name, secret in secrets.items():
        assert secret not in written, name
