"""The ``torekes`` command line, run in-process on the test's own database."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner, Result

from torekes.app import create_app
from torekes.cli import app, render_openapi
from torekes.db.engine import Database
from torekes.db.migrate import current_revision, head_revision
from torekes.kit import clock
from torekes.operations import demo
from torekes.settings import Settings

SECRET = "cli-test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    # Explicit values for every setting the commands read, so the caller's shell cannot leak in.
    return {
        "TOREKES_DATABASE_URL": database_url,
        "TOREKES_SECRET_KEY": SECRET,
        "TOREKES_ENVIRONMENT": "development",
    }


@pytest.fixture(autouse=True)
def away_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings also read ``.env`` in the working directory; the tests run where there is none."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=database_url, secret_key=SECRET))) as client:
        yield client


def invoke(runner: CliRunner, args: list[str], env: dict[str, str]) -> Result:
    return runner.invoke(app, args, env=env)


def ok(result: Result) -> str:
    """What a command that succeeded printed (stderr names the database it used)."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_migrate_is_idempotent(runner: CliRunner, env: dict[str, str], database_url: str) -> None:
    assert "Database migrated." in ok(invoke(runner, ["migrate"], env))
    assert "Database migrated." in ok(invoke(runner, ["migrate"], env))
    database = Database(database_url)
    try:
        assert current_revision(database.read_engine) == head_revision()
    finally:
        database.dispose()


def test_migrate_builds_a_fresh_sqlite_database(
    runner: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    ok(invoke(runner, ["migrate"], {**env, "TOREKES_DATABASE_URL": fresh}))
    database = Database(fresh)
    try:
        assert current_revision(database.read_engine) == head_revision()
    finally:
        database.dispose()
    assert "Ledger intact." in ok(
        invoke(runner, ["verify"], {**env, "TOREKES_DATABASE_URL": fresh})
    )


def test_demo_loads_prints_logins_and_verifies(
    runner: CliRunner, env: dict[str, str], api: TestClient
) -> None:
    output = ok(invoke(runner, ["demo"], env))
    for role, username, _name in demo.PEOPLE:
        assert re.search(
            rf"{role.value}\s+{username}\s+password: {re.escape(demo.demo_password(username))}",
            output,
        ), output
    card = re.search(r"elif pays by member card: number ([0-9 ]{12}), PIN (\d{4})", output)
    assert card is not None, output
    assert card.group(2) == demo.DEMO_CARD_PIN
    claim_url = re.search(
        r"A claim QR to try \(members, once a day\): (\S+/c/[\w-]{27})$", output, re.M
    )
    assert claim_url is not None, output

    assert "Ledger intact." in ok(invoke(runner, ["verify"], env))
    report = json.loads(ok(invoke(runner, ["verify", "--json"], env)))
    assert report["ok"] is True
    assert report["problem_count"] == 0
    [trk] = report["currencies"]
    assert trk["currency"] == "TRK"
    # One issuance, six approved garden claims, three repair café helpers, three welcome bonuses,
    # fourteen purchases, and one redemption paid (another one waits).
    assert trk["transactions"] == 29
    assert trk["issued"] == 20_000
    assert trk["issued"] == trk["in_circulation"] + trk["redeemed"]
    assert (trk["redeemed"], trk["redemptions_paid"], trk["pending_redemption"]) == (20, 20, 10)
    assert trk["redemption_identity_holds"] is True

    # The printed logins work.
    signed_in = api.post(
        "/api/v1/auth/token",
        data={"username": "fatima", "password": demo.demo_password("fatima")},
    )
    assert signed_in.status_code == 200, signed_in.text


def test_demo_if_empty_skips_a_database_with_users(runner: CliRunner, env: dict[str, str]) -> None:
    ok(invoke(runner, ["demo", "--if-empty"], env))
    output = ok(invoke(runner, ["demo", "--if-empty"], env))
    assert "demo data not loaded" in output
    report = json.loads(ok(invoke(runner, ["verify", "--json"], env)))
    assert [currency["transactions"] for currency in report["currencies"]] == [29]


def test_demo_refuses_in_production(
    runner: CliRunner, env: dict[str, str], api: TestClient
) -> None:
    production = {
        "TOREKES_ENVIRONMENT": "production",
        "TOREKES_PUBLIC_BASE_URL": "https://torekes.example",
    }
    result = invoke(runner, ["demo"], {**env, **production})
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Refusing to load demo data in production." in result.stderr
    signed_in = api.post("/api/v1/auth/token", data={"username": "admin", "password": "x" * 12})
    assert signed_in.status_code == 401, "no demo user may exist"
    report = json.loads(ok(invoke(runner, ["verify", "--json"], env)))
    assert report["currencies"] == []


def test_create_admin_prints_a_working_token(
    runner: CliRunner, env: dict[str, str], api: TestClient, database_url: str
) -> None:
    output = ok(invoke(runner, ["create-admin", "alice", "--password", "secretpass123"], env))
    assert "Administrator alice created" in output
    match = re.search(r"API token: (\S+)", output)
    assert match, output
    headers = {"Authorization": f"Bearer {match.group(1)}"}

    me = api.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "alice"
    assert me.json()["role"] == "admin"
    assert api.get("/api/v1/audit/verify", headers=headers).status_code == 200

    # The password works too.
    signed_in = api.post(
        "/api/v1/auth/token", data={"username": "alice", "password": "secretpass123"}
    )
    assert signed_in.status_code == 200, signed_in.text

    # Tokens are stored as a keyed digest: another installation's secret does not know them.
    other = Settings(database_url=database_url, secret_key="another-secret-" + "x" * 40)
    with TestClient(create_app(other)) as elsewhere:
        assert elsewhere.get("/api/v1/users/me", headers=headers).status_code == 401


def test_create_admin_refuses_a_taken_username_with_a_message(
    runner: CliRunner, env: dict[str, str], api: TestClient
) -> None:
    ok(invoke(runner, ["create-admin", "alice", "--password", "secretpass123"], env))
    again = invoke(runner, ["create-admin", "alice", "--password", "secretpass456"], env)
    assert again.exit_code != 0
    # A clear message and a chosen exit code, not a traceback of an unhandled exception.
    assert isinstance(again.exception, SystemExit), repr(again.exception)
    assert "taken" in again.output
    signed_in = api.post(
        "/api/v1/auth/token", data={"username": "alice", "password": "secretpass456"}
    )
    assert signed_in.status_code == 401


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("bob", "x"),  # the API requires at least 8 characters
        ("bob", "seven77"),
        ("bad name!", "secretpass123"),  # the API allows [A-Za-z0-9_.@-]{3,64}
        ("ab", "secretpass123"),
    ],
)
def test_create_admin_applies_the_apis_rules_for_usernames_and_passwords(
    runner: CliRunner, env: dict[str, str], api: TestClient, username: str, password: str
) -> None:
    result = invoke(runner, ["create-admin", username, "--password", password], env)
    assert result.exit_code != 0, result.output
    assert "API token" not in result.output
    signed_in = api.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert signed_in.status_code in (401, 422), "no such administrator may exist"


def test_verify_exits_nonzero_on_a_broken_ledger(
    runner: CliRunner, env: dict[str, str], database_url: str
) -> None:
    ok(invoke(runner, ["demo"], env))
    database = Database(database_url)
    try:
        with database.write_engine.begin() as connection:
            # The materialised balance is a projection; tamper with it behind the ledger's back.
            connection.execute(
                text("UPDATE accounts SET balance = balance + 1 WHERE kind = 'shop'")
            )
    finally:
        database.dispose()
    result = invoke(runner, ["verify"], env)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "BROKEN" in result.output
    assert "Ledger intact." not in result.output
    report = json.loads(invoke(runner, ["verify", "--json"], env).stdout)
    assert report["ok"] is False
    assert report["problem_count"] >= 1


def test_purge_deletes_what_is_past_its_retention(
    runner: CliRunner, env: dict[str, str], api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(invoke(runner, ["migrate"], env))
    refused = api.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong-one"})
    assert refused.status_code == 401
    young = ok(invoke(runner, ["purge"], env))
    assert young.strip() == "Purged 0 sign-in attempts, 0 PIN attempts and 0 idempotency records."
    later = datetime.now(UTC) + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    old = ok(invoke(runner, ["purge"], env))
    assert old.strip() == "Purged 1 sign-in attempts, 0 PIN attempts and 0 idempotency records."


def test_openapi_writes_the_document(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    target = tmp_path / "out" / "openapi.json"
    output = ok(invoke(runner, ["openapi", "--output", str(target)], env))
    assert str(target) in output
    written = target.read_text()
    document = json.loads(written)
    assert document["info"]["title"] == "Torekes"
    assert "/api/v1/transfers" in document["paths"]
    expected = create_app(Settings(database_url=database_url, secret_key=SECRET)).openapi()
    assert written == render_openapi(expected)


def test_no_arguments_shows_help(runner: CliRunner, env: dict[str, str]) -> None:
    result = invoke(runner, [], env)
    for command in ("serve", "migrate", "demo", "create-admin", "verify", "openapi"):
        assert command in result.output
