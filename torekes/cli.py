"""The ``torekes`` command line: serve, migrate, demo, create-admin, verify (with signed
checkpoints), check-checkpoint, backup and restore (SQLite), openapi.

Every command that uses the database names it in one line on stderr (password hidden, an SQLite
file by its full path); only ``migrate`` creates one: the others stop with one line and exit
code 2 on a database that is missing or not migrated (``torekes.db.presence``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from torekes.api.schemas import CheckpointCheckOut, SignedCheckpointOut, VerifyOut
from torekes.app import create_app
from torekes.audit import checkpoints, verification
from torekes.db import presence
from torekes.db.engine import Database
from torekes.db.migrate import upgrade_to_head
from torekes.domain.access import Principal, Role
from torekes.domain.errors import TorekesError
from torekes.identity import users
from torekes.kit.unit_of_work import write
from torekes.logs.config import configure_logging, logging_config
from torekes.observability import exposition
from torekes.operations import backup, demo, retention
from torekes.settings import Environment, Settings, load_settings

app = typer.Typer(
    help="Torekes: a neighbourhood currency on an append-only ledger.", no_args_is_help=True
)

# The operator at the command line acts as the system, outside any user's rights.
OPERATOR = Principal(user_id=0, username="operator", role=Role.ADMIN)


def _say_demo(log: logging.Logger, loaded: demo.DemoToTry | None) -> None:
    """With the demo community loaded (never in production), how to try it."""
    if loaded is None:
        return
    log.info(
        "Demo: %s pays by member card, number %s, PIN %s (sign in at /login/card)",
        loaded.card_holder,
        loaded.card_number,
        loaded.card_pin,
    )
    log.info("Demo: a claim link every member can use today: %s", loaded.claim_url)


def _using(url: str) -> None:
    """Say which database this command uses, on stderr (the output stays the command's own)."""
    typer.echo(f"Database: {presence.shown(url)}", err=True)


def _usable(url: str) -> None:
    """Stop with one line and exit code 2 unless the database is there and migrated: no
    command but ``migrate`` creates one."""
    problem = presence.unusable(url)
    if problem is not None:
        typer.echo(problem, err=True)
        raise typer.Exit(2)


@contextmanager
def _database(
    settings: Settings | None = None, *, create: bool = False, quiet: bool = False
) -> Iterator[Database]:
    """The database the settings name, said on stderr (unless ``quiet``: checked already); one
    that is missing or not migrated stops the command, unless it is to be ``create``d (by
    ``migrate``)."""
    url = (settings or load_settings()).database_url
    if not quiet:
        _using(url)
    if not (create or quiet):
        _usable(url)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


@contextmanager
def _refusals_exit() -> Iterator[None]:
    """Show a refused request (a taken username, say) as a message and exit code 2."""
    try:
        yield
    except TorekesError as error:
        typer.echo(f"Refused ({error.code}): {error.detail}", err=True)
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Bring the database's schema to the newest migration."""
    with _database(create=True) as database:
        upgrade_to_head(database.write_engine)
    typer.echo("Database migrated.")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
    access_log: Annotated[
        bool | None, typer.Option(help="A log line per request [default: TOREKES_ACCESS_LOG]")
    ] = None,
) -> None:
    """Serve the API (and Swagger UI at /docs where TOREKES_API_DOCS allows) with uvicorn. With
    several workers, their request metrics are gathered through PROMETHEUS_MULTIPROC_DIR (a fresh
    directory unless set). Logs go to stderr as TOREKES_LOG_FORMAT and TOREKES_LOG_LEVEL say,
    starting with the database it serves and, with the demo loaded outside production, the
    demo's card and a claim link to try."""
    settings = load_settings()  # refuse to start on invalid settings before forking workers
    _usable(settings.database_url)
    configure_logging(settings, access_log)
    started = logging.getLogger("torekes.start")
    started.info("Database: %s", presence.shown(settings.database_url))
    with _database(settings, quiet=True) as database:
        _say_demo(started, demo.present(database, settings))
    with exposition.worker_metrics(workers):
        uvicorn.run(
            "torekes.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # uvicorn's access line shows raw paths, codes included: torekes.access replaces it.
            access_log=False,
            log_config=logging_config(settings, access_log),
        )


@app.command("demo")
def load_demo(
    if_empty: Annotated[bool, typer.Option(help="Do nothing when the database has users.")] = False,
) -> None:
    """Load a demo community (currency TRK, a garden budget, members, shops, transactions)."""
    settings = load_settings()
    if settings.environment is Environment.PRODUCTION:
        typer.echo("Refusing to load demo data in production.", err=True)
        raise typer.Exit(2)
    with _refusals_exit(), _database(settings) as database:
        community = demo.load(database, settings, only_if_empty=if_empty)
    if community is None:
        typer.echo("The database already has users; demo data not loaded.")
        return
    typer.echo(
        f"Demo community loaded. Sign in on the pages at {settings.public_base_url}/ "
        "(or in the API at /docs, Authorize) with:"
    )
    for login in community.logins:
        typer.echo(f"  {login.role:<11} {login.username:<10} password: {login.password}")
    typer.echo(
        f"{community.card_holder} pays by member card: number {community.card_number}, "
        f"PIN {community.card_pin} (she signs in at /login/card)"
    )
    typer.echo(f"A claim QR to try (members, once a day): {community.claim_url}")


@app.command("create-admin")
def create_admin(
    username: str,
    display_name: Annotated[str, typer.Option()] = "Administrator",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an administrator and print an API token for it."""
    settings = load_settings()
    command = users.UserCommand(username, display_name, Role.ADMIN, password)
    with _refusals_exit(), _database(settings) as database:
        token = write(
            database,
            OPERATOR,
            lambda ctx: users.issue_token(
                ctx, settings, users.add_user(ctx, command).id, name="create-admin"
            ),
        )
    typer.echo(f"Administrator {username} created (id {token.user.id}).")
    typer.echo(f"API token: {token.access_token}")


@app.command()
def verify(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Write a signed checkpoint of the chain heads here, if intact"),
    ] = None,
) -> None:
    """Audit the whole ledger; exit code 0 only when it is intact."""
    settings = load_settings()
    with _database(settings) as database:
        report = verification.verify(database)
        signed = (
            checkpoints.sign(database, settings, OPERATOR, report)
            if checkpoint and report.ok
            else None
        )
    if as_json:
        typer.echo(json.dumps(_report_dict(report), indent=2))
    else:
        for currency in report.currencies:
            typer.echo(
                f"{currency.currency}: {currency.transactions} transactions, "
                f"{currency.accounts} accounts, issued {currency.issued}, "
                f"in circulation {currency.in_circulation}, redeemed {currency.redeemed}, "
                f"pending redemption {currency.pending_redemption}; "
                f"issued = in circulation + redeemed: {_holds(currency.issued_identity_holds)}; "
                f"redeemed = paid redemptions ({currency.redemptions_paid}): "
                f"{_holds(currency.redemption_identity_holds)}"
            )
        for problem in report.problems:
            typer.echo(
                f"BROKEN {problem.check}: {problem.detail} (currency {problem.currency}, "
                f"transaction {problem.transaction_id}, seq {problem.seq}, "
                f"account {problem.account_id})"
            )
        typer.echo("Ledger intact." if report.ok else f"{report.problem_count} problem(s) found.")
    if checkpoint is not None and signed is not None:
        checkpoint.write_text(json.dumps(_signed_dict(signed), indent=2) + "\n")
        typer.echo(f"Signed checkpoint written to {checkpoint}", err=as_json)
    if not report.ok:
        raise typer.Exit(1)


@app.command("check-checkpoint")
def check_checkpoint(
    path: Annotated[Path, typer.Argument(help="A checkpoint written by verify --checkpoint")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check a signed checkpoint against this installation's key and ledger; exit code 0 only
    when the signature is ours and the journal up to each head is unchanged."""
    settings = load_settings()
    try:
        signed = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        typer.echo(f"Cannot read {path}: {error}", err=True)
        raise typer.Exit(2) from None
    with _refusals_exit(), _database(settings) as database:
        result = checkpoints.check(
            database, settings, None, signed if isinstance(signed, dict) else {}
        )
    if as_json:
        typer.echo(
            json.dumps(CheckpointCheckOut.model_validate(result).model_dump(mode="json"), indent=2)
        )
    else:
        typer.echo(f"Signature: {'valid' if result.signature_valid else 'NOT this installation'}")
        for head in result.currencies:
            typer.echo(f"{head.currency} up to {head.seq}: {head.detail}")
        typer.echo("Checkpoint holds." if result.ok else "Checkpoint does NOT hold.")
    if not result.ok:
        raise typer.Exit(1)


@app.command("backup")
def write_backup(
    path: Annotated[Path, typer.Argument(help="Where to write the copy")],
    force: Annotated[bool, typer.Option(help="Replace the file if it exists")] = False,
) -> None:
    """Copy the SQLite database while the service runs (one consistent moment, checked);
    on PostgreSQL, use pg_dump."""
    settings = load_settings()
    _using(settings.database_url)
    with _refusals_exit():
        snapshot = backup.backup(settings.database_url, path, force=force)
    typer.echo(f"Backup written to {path}: integrity ok, schema revision {snapshot.revision}.")
    _echo_snapshot(snapshot)


@app.command("restore")
def restore_backup(
    path: Annotated[Path, typer.Argument(help="A backup written by torekes backup")],
) -> None:
    """Replace the SQLite database with a checked backup (stop the service first); the database
    replaced is kept beside it as <name>.before-restore-<time>."""
    settings = load_settings()
    _using(settings.database_url)
    with _refusals_exit():
        restored = backup.restore(settings.database_url, path)
    if restored.migrated_from is not None:
        typer.echo(f"The backup's schema was migrated from revision {restored.migrated_from}.")
    if restored.kept is not None:
        typer.echo(f"The database it replaced is kept as {restored.kept}")
    typer.echo(f"Restored {path}: integrity ok, ledger intact.")
    _echo_snapshot(restored.snapshot)


def _echo_snapshot(snapshot: backup.Snapshot) -> None:
    typer.echo(f"{snapshot.transactions} transactions")
    for head in snapshot.heads:
        typer.echo(f"{head.currency} up to seq {head.seq}, chain head {head.hash}")


def _holds(holds: bool) -> str:
    return "holds" if holds else "BROKEN"


@app.command()
def purge() -> None:
    """Delete sign-in and PIN attempts and idempotency records older than their retention."""
    settings = load_settings()
    with _database(settings) as database:
        purged = retention.purge(database, settings)
    typer.echo(
        f"Purged {purged.login_attempts} sign-in attempts, {purged.pin_attempts} PIN attempts "
        f"and {purged.idempotency_records} idempotency records."
    )


@app.command()
def openapi(
    output: Annotated[Path, typer.Option()] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI document of the API (committed, and checked by a test)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_openapi(create_app().openapi()))
    typer.echo(f"Wrote {output}")


def render_openapi(document: dict[str, object]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _report_dict(report: verification.VerifyReport) -> dict[str, object]:
    return VerifyOut.model_validate(report).model_dump(mode="json")


def _signed_dict(signed: checkpoints.SignedCheckpoint) -> dict[str, object]:
    return SignedCheckpointOut.model_validate(signed).model_dump(mode="json")
