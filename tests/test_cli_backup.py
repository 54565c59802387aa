"""``torekes backup FILE`` and ``torekes restore FILE`` on a real SQLite database file: a backup
taken while transfers keep posting is the ledger as of one moment; a restore brings back that very
ledger, keeps the database it replaced and leaves a working service; and the refusals (a file that
exists, a file that is no Torekes database or whose ledger does not verify, a database still open,
a PostgreSQL URL) change nothing.

The commands copy SQLite files, so these tests run on an SQLite database of their own even when the
suite runs on PostgreSQL; the PostgreSQL refusal uses that server's URL when there is one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from tests.integration.test_tamper import tamper
from tests.support import Ledger
from torekes.app import create_app
from torekes.cli import app
from torekes.db.engine import Database
from torekes.db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.settings import Settings

SECRET = "cli-backup-secret-key-that-is-long-enough-0123456789"
WAIT_SECONDS = 120  # a limit on waiting for the writer, so that a hang fails instead of stalling
PREVIOUS_REVISION = "0005"


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    transactions: int


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup-template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade_to_head(database.write_engine)
    database.dispose()
    return path


@pytest.fixture
def live(sqlite_template: Path, tmp_path: Path) -> Path:
    """The installation's database file, migrated and empty."""
    path = tmp_path / "data" / "torekes.db"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def settings(live: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{live}", secret_key=SECRET)


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    # Explicit values for every setting the commands read, so the caller's shell cannot leak in.
    return {
        "TOREKES_DATABASE_URL": settings.database_url,
        "TOREKES_SECRET_KEY": SECRET,
        "TOREKES_ENVIRONMENT": "development",
    }


@pytest.fixture(autouse=True)
def away_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings also read ``.env`` in the working directory; the tests run where there is none."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def live_db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    yield database
    database.dispose()


@dataclass
class Book:
    ledger: Ledger
    budget: int
    member: int
    admin_headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def book(live_db: Database, settings: Settings) -> Book:
    """TRK with a budget of a million and a member: one issuance, then whatever a test posts."""
    ledger = Ledger(live_db, settings)
    ledger.currency("TRK")
    budget = ledger.budget(1_000_000)
    member = ledger.account(AccountKind.MEMBER, ledger.user(Role.MEMBER))
    return Book(ledger, budget.id, member.id, ledger.admin.headers)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, args: list[str], env: dict[str, str]) -> Result:
    return runner.invoke(app, args, env=env)


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def refused(result: Result, code: str) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    assert f"Refused ({code})" in result.stderr, result.stderr
    return result.stderr


def head_of(path: Path) -> Head:
    """The TRK chain head and journal size in a database file, read with plain sqlite3."""
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        seq, last_hash = connection.execute(
            "SELECT last_seq, last_hash FROM currencies WHERE code = 'TRK'"
        ).fetchone()
        (count,) = connection.execute("SELECT count(*) FROM transactions").fetchone()
    return Head(int(seq), str(last_hash), int(count))


def hash_at(path: Path, seq: int) -> str:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        (found,) = connection.execute(
            "SELECT hash FROM transactions WHERE seq = :seq", {"seq": seq}
        ).fetchone()
    return str(found)


def integrity(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]


def files_in(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()}


def verify_output(runner: CliRunner, env: dict[str, str], path: Path) -> str:
    return ok(invoke(runner, ["verify"], {**env, "TOREKES_DATABASE_URL": f"sqlite:///{path}"}))


class Writer(threading.Thread):
    """Posts transfers of one token, one after another, until told to stop."""

    def __init__(self, book: Book) -> None:
        super().__init__(daemon=True)
        self.book = book
        self.posted = 0
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.book.ledger.transfer(self.book.budget, self.book.member, 1)
                with self._progress:
                    self.posted += 1
                    self._progress.notify_all()
        except BaseException as error:  # reported by the test
            self.error = error
            with self._progress:
                self._progress.notify_all()

    def count(self) -> int:
        with self._lock:
            return self.posted

    def wait_for(self, posted: int) -> None:
        with self._progress:
            reached = self._progress.wait_for(
                lambda: self.posted >= posted or self.error is not None, WAIT_SECONDS
            )
        assert self.error is None, self.error
        assert reached, f"the writer posted only {self.posted} transfers"


def test_a_backup_taken_while_transfers_post_is_the_ledger_of_one_moment(
    runner: CliRunner, env: dict[str, str], book: Book, live: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "backups" / "torekes-backup.db"
    copy.parent.mkdir()
    writer = Writer(book)
    writer.start()
    try:
        writer.wait_for(20)
        posted_before = writer.count()
        output = ok(invoke(runner, ["backup", str(copy)], env))
        posted_after = writer.count()
        writer.wait_for(posted_after + 20)  # the service went on writing after the copy
    finally:
        writer.stop.set()
        writer.join(WAIT_SECONDS)
    assert writer.error is None, writer.error

    # A single, self-contained file (rollback journal, no write-ahead log beside it), and no
    # temporary file left behind.
    assert copy.read_bytes()[18:20] == b"\x01\x01"
    assert files_in(copy.parent) == {copy.name}
    held = head_of(copy)
    # One issuance, then the transfers: the copy holds the ledger as it stood between two commits.
    assert 1 + posted_before <= held.transactions <= 1 + posted_after
    assert held.seq == held.transactions
    assert held.hash == hash_at(live, held.seq)  # the live chain passed through this very head
    assert head_of(live).transactions > held.transactions
    assert integrity(copy) == ["ok"]
    assert "Ledger intact." in verify_output(runner, env, copy)
    assert f"Backup written to {copy}: integrity ok, schema revision {head_revision()}." in output
    assert f"{held.transactions} transactions" in output
    assert f"TRK up to seq {held.seq}, chain head {held.hash}" in output


def test_restore_brings_back_the_exact_ledger_and_the_service_works_on_it(
    runner: CliRunner,
    env: dict[str, str],
    book: Book,
    live: Path,
    live_db: Database,
    settings: Settings,
    tmp_path: Path,
) -> None:
    for _ in range(5):
        book.ledger.transfer(book.budget, book.member, 7)
    copy = tmp_path / "backup.db"
    ok(invoke(runner, ["backup", str(copy)], env))
    backed_up = head_of(copy)
    for _ in range(3):
        book.ledger.transfer(book.budget, book.member, 11)
    later = head_of(live)
    assert later.seq == backed_up.seq + 3
    live_db.dispose()  # the service is stopped for a restore

    output = ok(invoke(runner, ["restore", str(copy)], env))

    assert head_of(live) == backed_up
    [kept] = [path for path in live.parent.iterdir() if ".before-restore-" in path.name]
    assert kept.name.startswith("torekes.db.before-restore-")
    assert f"The database it replaced is kept as {kept}" in output
    assert head_of(kept) == later  # nothing is thrown away
    assert f"Restored {copy}: integrity ok, ledger intact." in output
    assert f"TRK up to seq {backed_up.seq}, chain head {backed_up.hash}" in output
    assert files_in(live.parent) == {live.name, kept.name}
    assert "Ledger intact." in verify_output(runner, env, live)

    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        response = client.post(
            "/api/v1/transfers",
            json={"from_account_id": book.budget, "to_account_id": book.member, "amount": 5},
            headers={**book.admin_headers, "Idempotency-Key": "after-restore"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["seq"] == backed_up.seq + 1
        assert response.json()["prev_hash"] == backed_up.hash
    assert "Ledger intact." in verify_output(runner, env, live)


def test_restore_on_a_machine_without_a_database(
    runner: CliRunner, env: dict[str, str], book: Book, tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    ok(invoke(runner, ["backup", str(copy)], env))
    fresh = tmp_path / "new-machine" / "torekes.db"
    fresh.parent.mkdir()

    output = ok(
        invoke(
            runner, ["restore", str(copy)], {**env, "TOREKES_DATABASE_URL": f"sqlite:///{fresh}"}
        )
    )

    assert "kept as" not in output
    assert head_of(fresh) == head_of(copy)
    assert files_in(fresh.parent) == {fresh.name}


def test_restore_migrates_an_older_backup(
    runner: CliRunner, env: dict[str, str], live: Path, tmp_path: Path
) -> None:
    older = tmp_path / "older.db"
    database = Database(f"sqlite:///{older}")
    config = alembic_config()
    with database.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, PREVIOUS_REVISION)
    database.dispose()
    assert head_revision() != PREVIOUS_REVISION

    output = ok(invoke(runner, ["restore", str(older)], env))

    assert f"The backup's schema was migrated from revision {PREVIOUS_REVISION}." in output
    restored = Database(f"sqlite:///{live}")
    try:
        assert current_revision(restored.read_engine) == head_revision()
    finally:
        restored.dispose()
    assert "Ledger intact." in verify_output(runner, env, live)


def test_restore_refuses_while_the_database_is_open(
    runner: CliRunner, env: dict[str, str], book: Book, live: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "backup.db"
    ok(invoke(runner, ["backup", str(copy)], env))
    book.ledger.transfer(book.budget, book.member, 3)  # the pool keeps its connection open
    before = head_of(live)
    names = files_in(live.parent)

    stderr = refused(invoke(runner, ["restore", str(copy)], env), "database_in_use")

    assert "stop the service" in stderr
    assert head_of(live) == before
    assert files_in(live.parent) == names  # nothing staged or kept is left behind


def test_backup_refuses_to_overwrite_a_file_without_force(
    runner: CliRunner, env: dict[str, str], book: Book, live: Path, tmp_path: Path
) -> None:
    target = tmp_path / "precious.db"
    target.write_text("keep me")

    stderr = refused(invoke(runner, ["backup", str(target)], env), "file_exists")

    assert "--force" in stderr
    assert target.read_text() == "keep me"
    assert files_in(tmp_path) >= {"precious.db"}
    assert not [name for name in files_in(tmp_path) if name.endswith(".partial")]

    ok(invoke(runner, ["backup", "--force", str(target)], env))
    assert head_of(target) == head_of(live)


def _text_file(path: Path) -> None:
    path.write_text("name,amount\nfatima,25\n" * 100)


def _other_sqlite_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
        connection.commit()


def _from_a_newer_release(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.commit()


@pytest.mark.parametrize(
    ("make", "code", "says"),
    [
        (_text_file, "not_a_torekes_database", "is not an SQLite database"),
        (_other_sqlite_database, "not_a_torekes_database", "not a Torekes database"),
        (_from_a_newer_release, "not_a_torekes_database", "schema revision 9999 is unknown"),
    ],
    ids=["text", "other-sqlite", "newer-schema"],
)
def test_restore_refuses_a_file_that_is_no_torekes_database(
    runner: CliRunner,
    env: dict[str, str],
    book: Book,
    live: Path,
    live_db: Database,
    tmp_path: Path,
    make: Callable[[Path], None],
    code: str,
    says: str,
) -> None:
    candidate = tmp_path / "candidate.db"
    ok(invoke(runner, ["backup", str(candidate)], env))
    if make is not _from_a_newer_release:
        candidate.unlink()
    make(candidate)
    live_db.dispose()
    before = head_of(live)
    names = files_in(live.parent)

    stderr = refused(invoke(runner, ["restore", str(candidate)], env), code)

    assert says in stderr
    assert head_of(live) == before
    assert files_in(live.parent) == names


def test_restore_refuses_a_backup_whose_ledger_does_not_verify(
    runner: CliRunner,
    env: dict[str, str],
    book: Book,
    live: Path,
    live_db: Database,
    tmp_path: Path,
) -> None:
    book.ledger.transfer(book.budget, book.member, 40)
    copy = tmp_path / "backup.db"
    ok(invoke(runner, ["backup", str(copy)], env))
    damaged = Database(f"sqlite:///{copy}")
    try:
        tamper(damaged, "postings", "UPDATE postings SET amount = amount + 1 WHERE id = 1", {})
    finally:
        damaged.dispose()
    live_db.dispose()
    before = head_of(live)

    stderr = refused(invoke(runner, ["restore", str(copy)], env), "ledger_broken")

    assert f"the ledger in {copy} does not verify" in stderr
    assert head_of(live) == before
    assert not [path for path in live.parent.iterdir() if ".before-restore-" in path.name]


def test_restore_refuses_a_missing_file(
    runner: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    refused(invoke(runner, ["restore", str(tmp_path / "nowhere.db")], env), "no_database")


@pytest.mark.parametrize("args", [["backup", "copy.db"], ["restore", "copy.db"]])
def test_postgresql_is_backed_up_with_its_own_tools(
    runner: CliRunner, env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    url = os.environ.get("TOREKES_TEST_DATABASE_URL") or (
        "postgresql+psycopg://torekes@db.invalid:5432/torekes"
    )
    (tmp_path / "copy.db").write_bytes(b"")

    stderr = refused(invoke(runner, args, {**env, "TOREKES_DATABASE_URL": url}), "not_sqlite")

    assert "pg_dump" in stderr
    assert "pg_restore" in stderr
    assert (tmp_path / "copy.db").read_bytes() == b""
