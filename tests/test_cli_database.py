"""Which database the ``torekes`` commands use, told in one line, and the refusal to create an
empty SQLite database where none was meant: run from a folder without one, every command but
``migrate`` stops with one clear line and a non-zero exit, and leaves no file behind."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from torekes.app import create_app
from torekes.cli import app
from torekes.db import presence
from torekes.db.engine import Database
from torekes.operations import demo
from torekes.settings import Environment, Settings

SECRET = "cli-test-secret-key-that-is-long-enough-0123456789"
# Every command that reads or writes the ledger, with what it needs to get that far.
LEDGER_COMMANDS = [
    ["verify"],
    ["verify", "--json"],
    ["demo"],
    ["demo", "--if-empty"],
    ["create-admin", "alice", "--password", "secretpass123"],
    ["purge"],
    ["serve", "--port", "1"],
]


@pytest.fixture(autouse=True)
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of its own, without a database or a ``.env``, as the working directory."""
    folder = tmp_path / "somewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def invoke(args: list[str], env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(app, args, env=env)


def _plain_env(**values: str) -> dict[str, str | None]:
    """No ``TOREKES_`` setting from the caller's shell; the default database URL unless given."""
    unset: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("TOREKES_")
    }
    return {**unset, "TOREKES_SECRET_KEY": SECRET, **values}


@pytest.mark.parametrize("args", LEDGER_COMMANDS, ids=" ".join)
def test_a_command_in_a_folder_without_a_database_says_so_and_creates_none(
    elsewhere: Path, args: list[str]
) -> None:
    result = invoke(args, _plain_env())
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    missing = elsewhere / "torekes.db"
    assert result.stderr.splitlines()[-1] == (
        f"No database at {missing}: run `torekes migrate` first, or set TOREKES_DATABASE_URL"
    )
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert list(elsewhere.iterdir()) == []


def test_migrate_creates_the_database_and_names_it(elsewhere: Path) -> None:
    made = invoke(["migrate"], _plain_env())
    assert made.exit_code == 0, (made.output, made.exception)
    database = elsewhere / "torekes.db"
    assert made.stderr.splitlines()[0] == f"Database: sqlite:///{database}"
    assert database.is_file()
    verified = invoke(["verify"], _plain_env())
    assert verified.exit_code == 0, (verified.output, verified.exception)
    assert verified.stderr.splitlines()[0] == f"Database: sqlite:///{database}"
    assert "Ledger intact." in verified.stdout


def test_an_empty_database_file_is_refused_until_migrated(elsewhere: Path) -> None:
    empty = elsewhere / "empty.db"
    sqlite3.connect(empty).close()
    env = _plain_env(TOREKES_DATABASE_URL="sqlite:///empty.db")
    refused = invoke(["verify"], env)
    assert refused.exit_code == 2, (refused.output, refused.exception)
    assert refused.stderr.splitlines()[-1] == (
        f"The database sqlite:///{empty} has no tables yet: run `torekes migrate` first, "
        "or set TOREKES_DATABASE_URL"
    )
    assert invoke(["migrate"], env).exit_code == 0
    assert invoke(["verify"], env).exit_code == 0


def test_the_database_is_named_without_its_password() -> None:
    shown = presence.shown("postgresql+psycopg://torekes:s3cret-pw@db.example:5432/torekes")
    assert shown == "postgresql+psycopg://torekes:***@db.example:5432/torekes"
    assert presence.shown("sqlite:///./a/torekes.db") == f"sqlite:///{Path.cwd() / 'a/torekes.db'}"


def test_an_unreachable_database_is_one_line_without_its_password() -> None:
    url = "postgresql+psycopg://torekes:s3cret-pw@127.0.0.1:1/torekes"
    result = invoke(["verify"], _plain_env(TOREKES_DATABASE_URL=url))
    assert result.exit_code == 2, (result.output, result.exception)
    assert "s3cret-pw" not in result.output
    last = result.stderr.splitlines()[-1]
    assert last.startswith("Cannot open the database postgresql+psycopg://torekes:***@127.0.0.1:1")


def test_the_demos_claim_link_works_for_every_demo_member_right_after_loading(
    elsewhere: Path,
) -> None:
    env = _plain_env()
    assert invoke(["migrate"], env).exit_code == 0
    loaded = invoke(["demo"], env)
    assert loaded.exit_code == 0, (loaded.output, loaded.exception)
    found = re.search(
        r"A claim QR to try \(members, once a day\): \S+/c/(\S+)$", loaded.stdout, re.M
    )
    assert found is not None, loaded.stdout
    code = found.group(1)
    url = f"sqlite:///{elsewhere / 'torekes.db'}"
    with TestClient(create_app(Settings(database_url=url, secret_key=SECRET))) as api:
        for member in demo.MEMBERS:
            token = api.post(
                "/api/v1/auth/token",
                data={"username": member, "password": demo.demo_password(member)},
            ).json()["access_token"]
            claimed = api.post(
                "/api/v1/claims",
                json={"code": code},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert claimed.status_code == 201, (member, claimed.text)
            assert claimed.json()["status"] == "paid"


def test_the_demo_is_found_again_for_serve_and_never_in_production(elsewhere: Path) -> None:
    env = _plain_env()
    assert invoke(["migrate"], env).exit_code == 0
    loaded = invoke(["demo"], env).stdout
    url = f"sqlite:///{elsewhere / 'torekes.db'}"
    database = Database(url)
    try:
        settings = Settings(database_url=url, secret_key=SECRET)
        present = demo.present(database, settings)
        assert present is not None
        assert f"number {present.card_number}, PIN {present.card_pin}" in loaded
        assert present.claim_url in loaded
        production = settings.model_copy(update={"environment": Environment.PRODUCTION})
        assert demo.present(database, production) is None
    finally:
        database.dispose()


def test_a_database_without_the_demo_prints_no_demo(elsewhere: Path) -> None:
    env = _plain_env()
    assert invoke(["migrate"], env).exit_code == 0
    url = f"sqlite:///{elsewhere / 'torekes.db'}"
    database = Database(url)
    try:
        assert demo.present(database, Settings(database_url=url, secret_key=SECRET)) is None
    finally:
        database.dispose()


def test_the_demos_bank_file_downloads_from_the_example_account_in_development(
    elsewhere: Path,
) -> None:
    env = _plain_env()
    assert invoke(["migrate"], env).exit_code == 0
    assert invoke(["demo"], env).exit_code == 0
    url = f"sqlite:///{elsewhere / 'torekes.db'}"
    development = Settings(database_url=url, secret_key=SECRET)
    with TestClient(create_app(development)) as api:
        token = api.post(
            "/api/v1/auth/token",
            data={"username": "admin", "password": demo.demo_password("admin")},
        ).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        waiting = api.get("/api/v1/redemptions", params={"status": "requested"}, headers=admin)
        [redemption] = waiting.json()["items"]
        approved = api.post(f"/api/v1/redemptions/{redemption['id']}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        settlement = api.post("/api/v1/settlements", json={"currency": "TRK"}, headers=admin)
        assert settlement.status_code == 201, settlement.text
        bank_file = api.get(
            f"/api/v1/settlements/{settlement.json()['id']}/pain.001.xml", headers=admin
        )
    assert bank_file.status_code == 200, bank_file.text
    assert "<IBAN>BE62510007547061</IBAN>" in bank_file.text


def test_only_development_without_a_payout_account_pays_from_the_example_one() -> None:
    assert Settings(secret_key=SECRET).payout_iban == "BE62510007547061"
    # Naming either, even empty, turns the example off.
    assert Settings(secret_key=SECRET, payout_iban="").payout_name == ""
    production = Settings(
        secret_key=SECRET,
        environment=Environment.PRODUCTION,
        public_base_url="https://torekes.example",
    )
    assert (production.payout_name, production.payout_iban) == ("", "")
