"""``torekes verify --checkpoint FILE`` and ``torekes check-checkpoint FILE``, run in-process on the
test's own database: the file written, its signature, the exit codes (0 holds, 1 does not, 2 cannot
read), and verify's text naming both identities of each currency."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner, Result

from tests.integration.test_tamper import tamper
from tests.support import Ledger
from torekes.app import create_app
from torekes.cli import app
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.settings import Settings

SECRET = "cli-checkpoint-secret-key-that-is-long-enough-0123456789"
OTHER_SECRET = "another-cli-secret-key-that-is-long-enough-9876543210"


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
        "TOREKES_CHECKPOINT_KEY": "",
    }


@pytest.fixture(autouse=True)
def away_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings also read ``.env`` in the working directory; the tests run where there is none."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def funded(ledger: Ledger) -> Ledger:
    """TRK with a budget of 1000 and 250 of it moved to a member: three transactions."""
    ledger.currency("TRK")
    budget = ledger.budget(1_000)
    member = ledger.account(AccountKind.MEMBER, ledger.user(Role.MEMBER))
    ledger.transfer(budget.id, member.id, 200)
    ledger.transfer(budget.id, member.id, 50)
    return ledger


def invoke(runner: CliRunner, args: list[str], env: dict[str, str]) -> Result:
    return runner.invoke(app, args, env=env)


def ok(result: Result) -> str:
    """What a command that succeeded printed (stderr names the database it used)."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def write_checkpoint(runner: CliRunner, env: dict[str, str], tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.json"
    output = ok(invoke(runner, ["verify", "--checkpoint", str(path)], env))
    assert f"Signed checkpoint written to {path}" in output
    return path


def _transaction_id(db: Database, seq: int) -> int:
    with db.read_engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT id FROM transactions WHERE seq = :seq"), {"seq": seq}
            ).scalar_one()
        )


def test_verify_writes_a_signed_checkpoint(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    path = write_checkpoint(runner, env, tmp_path)

    signed: dict[str, Any] = json.loads(path.read_text())
    assert set(signed) == {"checkpoint", "signature", "public_key", "key_id"}
    payload = signed["checkpoint"]
    assert payload["format"] == "torekes-checkpoint/1"
    [trk] = payload["currencies"]
    assert (trk["currency"], trk["seq"], trk["issued"], trk["in_circulation"]) == (
        "TRK",
        3,
        1_000,
        1_000,
    )
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(signed["public_key"]))
    public.verify(base64.b64decode(signed["signature"]), canonical)


def test_the_cli_and_the_api_sign_with_the_same_key(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger, database_url: str
) -> None:
    path = write_checkpoint(runner, env, tmp_path)
    signed = json.loads(path.read_text())
    settings = Settings(database_url=database_url, secret_key=SECRET)
    admin = Ledger(funded.db, settings).user(Role.ADMIN)
    with TestClient(create_app(settings)) as client:
        key = client.get("/api/v1/audit/checkpoint-key", headers=admin.headers).json()
        checked = client.post(
            "/api/v1/audit/checkpoints/check", json=signed, headers=admin.headers
        ).json()
        from_api = client.get(
            "/api/v1/audit/verify", params={"checkpoint": "true"}, headers=admin.headers
        ).json()["checkpoint"]
    assert key == {"public_key": signed["public_key"], "key_id": signed["key_id"]}
    assert checked["ok"] is True
    api_path = tmp_path / "from-api.json"
    api_path.write_text(json.dumps(from_api))
    assert "Checkpoint holds." in ok(invoke(runner, ["check-checkpoint", str(api_path)], env))


def test_verify_json_with_a_checkpoint_keeps_stdout_json(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    path = tmp_path / "cp.json"
    result = invoke(runner, ["verify", "--json", "--checkpoint", str(path)], env)
    assert result.exit_code == 0, (result.output, result.exception)
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["checkpoint"] is None  # the checkpoint goes to the file, not into the report
    assert "Signed checkpoint written to" in result.stderr
    assert json.loads(path.read_text())["checkpoint"]["currencies"][0]["seq"] == 3


def test_check_checkpoint_holds_on_an_unchanged_ledger(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    path = write_checkpoint(runner, env, tmp_path)
    funded.issue(funded.budget(0).id, 10)  # the ledger moves on; the checkpoint still holds

    output = ok(invoke(runner, ["check-checkpoint", str(path)], env))

    assert "Signature: valid" in output
    assert "TRK up to 3: the journal up to here is unchanged" in output
    assert "Checkpoint holds." in output
    result = json.loads(ok(invoke(runner, ["check-checkpoint", str(path), "--json"], env)))
    assert result["ok"] is True
    assert result["signature_valid"] is True
    assert [(h["currency"], h["seq"], h["matches"]) for h in result["currencies"]] == [
        ("TRK", 3, True)
    ]


def test_check_checkpoint_exits_1_after_the_journal_was_tampered_with(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    path = write_checkpoint(runner, env, tmp_path)
    tamper(
        funded.db,
        "transactions",
        "UPDATE transactions SET memo = 'rewritten' WHERE id = :id",
        {"id": _transaction_id(funded.db, 2)},
    )

    result = invoke(runner, ["check-checkpoint", str(path)], env)

    assert result.exit_code == 1, (result.output, result.exception)
    assert "Signature: valid" in result.output
    assert "TRK up to 3: the journal has changed" in result.output
    assert "Checkpoint does NOT hold." in result.output
    as_json = invoke(runner, ["check-checkpoint", str(path), "--json"], env)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["ok"] is False
    # Nor does verify sign the broken ledger.
    again = tmp_path / "again.json"
    broken = invoke(runner, ["verify", "--checkpoint", str(again)], env)
    assert broken.exit_code == 1, (broken.output, broken.exception)
    assert not again.exists()


def test_check_checkpoint_exits_1_on_a_tampered_file(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    path = write_checkpoint(runner, env, tmp_path)
    signed = json.loads(path.read_text())
    signed["checkpoint"]["currencies"][0]["issued"] += 1
    path.write_text(json.dumps(signed))

    result = invoke(runner, ["check-checkpoint", str(path)], env)

    assert result.exit_code == 1, (result.output, result.exception)
    assert "Signature: NOT this installation" in result.output
    assert "TRK up to 3: the journal up to here is unchanged" in result.output


def test_another_installation_does_not_vouch_for_it(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    path = write_checkpoint(runner, env, tmp_path)

    result = invoke(
        runner, ["check-checkpoint", str(path)], {**env, "TOREKES_SECRET_KEY": OTHER_SECRET}
    )

    assert result.exit_code == 1, (result.output, result.exception)
    assert "Signature: NOT this installation" in result.output


def test_an_explicit_checkpoint_key_survives_a_new_secret(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    seed = base64.b64encode(bytes(range(1, 33))).decode()
    path = write_checkpoint(runner, {**env, "TOREKES_CHECKPOINT_KEY": seed}, tmp_path)
    rotated = {**env, "TOREKES_SECRET_KEY": OTHER_SECRET, "TOREKES_CHECKPOINT_KEY": seed}

    assert "Checkpoint holds." in ok(invoke(runner, ["check-checkpoint", str(path)], rotated))
    without = invoke(runner, ["check-checkpoint", str(path)], env)
    assert without.exit_code == 1, (without.output, without.exception)


@pytest.fixture
def unreadable(tmp_path: Path) -> dict[str, Path]:
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{this is not json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    return {"missing": tmp_path / "nowhere.json", "garbled": garbled, "binary": binary}


@pytest.mark.parametrize("which", ["missing", "garbled", "binary"])
def test_check_checkpoint_exits_2_on_an_unreadable_file(
    runner: CliRunner,
    env: dict[str, str],
    funded: Ledger,
    unreadable: dict[str, Path],
    which: str,
) -> None:
    path = unreadable[which]

    result = invoke(runner, ["check-checkpoint", str(path)], env)

    assert result.exit_code == 2, (result.output, result.exception)
    assert f"Cannot read {path}" in result.stderr
    assert "Checkpoint holds." not in result.output


@pytest.mark.parametrize("content", ["[]", "{}", '{"checkpoint": {"format": "other"}}', "42"])
def test_check_checkpoint_exits_2_on_a_file_that_is_no_checkpoint(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger, content: str
) -> None:
    path = tmp_path / "other.json"
    path.write_text(content)

    result = invoke(runner, ["check-checkpoint", str(path)], env)

    assert result.exit_code == 2, (result.output, result.exception)
    assert "Refused (invalid_checkpoint)" in result.stderr


def test_check_checkpoint_answers_text_no_encoding_can_hold(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, funded: Ledger
) -> None:
    """A checkpoint file whose JSON escapes a lone surrogate (\\ud800) reads as JSON, but no
    UTF-8 can hold it: the command must answer (refused, exit 2, or does not hold, exit 1) rather
    than crash with an uncaught UnicodeEncodeError."""
    signed = json.loads(write_checkpoint(runner, env, tmp_path).read_text())
    raw = json.dumps(signed).replace('"format"', '"\\ud800": 1, "format"', 1)
    path = tmp_path / "surrogate.json"
    path.write_text(raw)

    result = invoke(runner, ["check-checkpoint", str(path)], env)

    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (1, 2), (result.output, result.exception)
    if result.exit_code == 1:
        assert "Checkpoint does NOT hold." in result.output


def test_verify_names_both_identities(
    runner: CliRunner, env: dict[str, str], funded: Ledger
) -> None:
    output = ok(invoke(runner, ["verify"], env))

    assert (
        "TRK: 3 transactions, 4 accounts, issued 1000, in circulation 1000, redeemed 0, "
        "pending redemption 0; issued = in circulation + redeemed: holds; "
        "redeemed = paid redemptions (0): holds"
    ) in output
    assert "Ledger intact." in output
    report = json.loads(ok(invoke(runner, ["verify", "--json"], env)))
    [trk] = report["currencies"]
    assert trk["issued_identity_holds"] is True
    assert trk["redemption_identity_holds"] is True
    assert (trk["pending_redemption"], trk["redemptions_paid"]) == (0, 0)


def test_verify_shows_a_broken_identity(
    runner: CliRunner, env: dict[str, str], funded: Ledger
) -> None:
    """A member's posting raised by 5 behind the ledger's back: in circulation now exceeds what
    was issued, and the text says which identity broke and which still holds."""
    with funded.db.read_engine.connect() as connection:
        posting = connection.execute(
            text(
                "SELECT p.id FROM postings p JOIN accounts a ON a.id = p.account_id "
                "WHERE a.kind = 'member' ORDER BY p.id LIMIT 1"
            )
        ).scalar_one()
    tamper(
        funded.db,
        "postings",
        "UPDATE postings SET amount = amount + 5 WHERE id = :id",
        {"id": posting},
    )

    result = invoke(runner, ["verify"], env)

    assert result.exit_code == 1, (result.output, result.exception)
    assert "issued 1000, in circulation 1005" in result.output
    assert "issued = in circulation + redeemed: BROKEN" in result.output
    assert "redeemed = paid redemptions (0): holds" in result.output
    assert "BROKEN issued_identity" in result.output
