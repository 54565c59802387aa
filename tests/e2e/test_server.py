"""End to end: a real uvicorn process serving the app over TCP, on the test's own database."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from tests.servers import (
    STARTUP_DEADLINE_SECONDS,
    Server,
    free_port,
    server_env,
    start,
    stop,
    uvicorn,
)
from tests.support import PASSWORD, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

pytestmark = pytest.mark.e2e


def test_sign_in_and_pay_idempotently_over_http(
    server: Server, http: httpx2.Client, ledger: Ledger
) -> None:
    ledger.currency()
    member = ledger.user(Role.MEMBER)
    shopkeeper = ledger.user(Role.SHOPKEEPER)
    wallet = ledger.funded_member(member, 100)
    shop = ledger.account(AccountKind.SHOP, shopkeeper)

    assert http.get("/readyz").status_code == 200, http.get("/readyz").text

    signed_in = http.post(
        "/api/v1/auth/token",
        data={"username": member.principal.username, "password": PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    auth = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    payment = {"from_account_id": wallet.id, "to_account_id": shop.id, "amount": 30}
    headers = {**auth, "Idempotency-Key": "e2e-payment-1"}
    first = http.post("/api/v1/transfers", json=payment, headers=headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    retry = http.post("/api/v1/transfers", json=payment, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == first.json()

    other = http.post("/api/v1/transfers", json={**payment, "amount": 31}, headers=headers)
    assert other.status_code == 409, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "idempotency_key_reused"

    balance = http.get(f"/api/v1/accounts/{wallet.id}/balance", headers=auth)
    assert balance.status_code == 200, balance.text
    assert balance.json()["balance"] == 70
    shop_balance = http.get(f"/api/v1/accounts/{shop.id}/balance", headers=shopkeeper.headers)
    assert shop_balance.json()["balance"] == 30
    entries = http.get(f"/api/v1/accounts/{wallet.id}/entries", headers=auth).json()
    assert [line["amount"] for line in entries["items"]] == [-30, 100]

    report = http.get("/api/v1/audit/verify", headers=ledger.admin.headers)
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True, report.json()
    assert server.process.poll() is None


def test_unauthenticated_requests_get_a_problem_over_http(
    server: Server, http: httpx2.Client
) -> None:
    response = http.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_in_metadata_are_refused_not_stored(
    server: Server, http: httpx2.Client, ledger: Ledger, number: str
) -> None:
    """Python's JSON parser accepts NaN and Infinity; JSON (RFC 8259) and PostgreSQL do not."""
    ledger.currency()
    member = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(member, 100)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    body = (
        f'{{"from_account_id": {wallet.id}, "to_account_id": {shop.id}, "amount": 5, '
        f'"metadata": {{"hours": {number}}}}}'
    )
    response = http.post(
        "/api/v1/transfers",
        content=body,
        headers={**member.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    balance = http.get(f"/api/v1/accounts/{wallet.id}/balance", headers=member.headers)
    assert balance.json()["balance"] == 100


def test_the_server_refuses_to_start_in_production_with_the_default_secret(
    database_url: str, tmp_path: Path
) -> None:
    env = server_env(TOREKES_DATABASE_URL=database_url, TOREKES_ENVIRONMENT="production")
    port = free_port()
    refused = start(uvicorn(port), port, env, tmp_path)
    try:
        returncode = refused.process.wait(timeout=STARTUP_DEADLINE_SECONDS)
    finally:
        stop(refused)
    assert returncode != 0
    assert "TOREKES_SECRET_KEY" in refused.log_text()
