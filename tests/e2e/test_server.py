"""End to end: a real uvicorn process serving the app over TCP, on the test's own database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from tests.support import PASSWORD, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.settings import Settings

pytestmark = pytest.mark.e2e

STARTUP_DEADLINE_SECONDS = 30.0
SHUTDOWN_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOREKES_")}
    env.update(values)
    return env


def start_server(env: dict[str, str], workdir: Path, workers: int = 1) -> Server:
    port = free_port()
    log = workdir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "torekes.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=workdir,  # away from any .env file in the project
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    with httpx2.Client(base_url=server.base_url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"server exited with {server.process.returncode}:\n{server.log_text()}")
            try:
                if http.get("/healthz").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
    pytest.fail(f"server not healthy within {STARTUP_DEADLINE_SECONDS} s:\n{server.log_text()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=SHUTDOWN_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=SHUTDOWN_WAIT_SECONDS)


@pytest.fixture
def server(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    env = server_env(TOREKES_DATABASE_URL=database_url, TOREKES_SECRET_KEY=settings.secret_key)
    running = start_server(env, tmp_path)
    try:
        wait_until_healthy(running)
        yield running
    finally:
        stop_server(running)


@pytest.fixture
def http(server: Server) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.base_url, timeout=30.0) as client:
        yield client


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
    refused = start_server(env, tmp_path)
    try:
        returncode = refused.process.wait(timeout=STARTUP_DEADLINE_SECONDS)
    finally:
        stop_server(refused)
    assert returncode != 0
    assert "TOREKES_SECRET_KEY" in refused.log_text()
