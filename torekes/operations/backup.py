"""Backing up the SQLite database while the service runs, and restoring a backup.

``backup`` copies the database with SQLite's online backup API in a single step, that is inside
one read transaction: the copy is the database as of one commit, write-ahead log included, while
the service goes on writing (in WAL mode readers do not block writers). The copy is written beside
its target under a temporary name, made a single self-contained file (rollback journal instead of
WAL), checked with ``PRAGMA integrity_check`` and only then renamed into place, so a target is
either the old file or a whole, checked backup.

``restore`` stages the backup beside the configured database and checks it there (an SQLite file,
intact, with a Torekes schema at a revision this code knows), migrates the staged copy if the
backup is older, audits its ledger, and only then swaps it in. It refuses while anything has the
database open: the service keeps it in WAL mode, and SQLite leaves WAL mode only when no other
connection is open, which is how use is detected. The database it replaces is kept beside it as
``<name>.before-restore-<stamp>``, never deleted.

PostgreSQL has its own tools (``pg_dump``, ``pg_restore``); both commands refuse there.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from torekes.audit import verification
from torekes.db.engine import Database
from torekes.db.migrate import head_revision, is_known_revision, upgrade_to_head
from torekes.domain.errors import Conflict
from torekes.kit import clock

SIDECARS = ("-wal", "-shm", "-journal")
# A restore reads an idle database's lock state at once instead of waiting for it to free up.
NO_WAIT = 0.0
LIVE_BUSY_TIMEOUT_SECONDS = 60.0


class BackupRefused(Conflict):
    code = "backup_refused"
    title = "Backup or restore refused"


class NotSQLite(BackupRefused):
    code = "not_sqlite"
    title = "Backups of PostgreSQL are made with its own tools"


class FileExists(BackupRefused):
    code = "file_exists"
    title = "The file exists"


class NoDatabase(BackupRefused):
    code = "no_database"
    title = "There is no database file"


class NotATorekesDatabase(BackupRefused):
    code = "not_a_torekes_database"
    title = "The file is not a Torekes database this version can use"


class DatabaseDamaged(BackupRefused):
    code = "integrity_check_failed"
    title = "The database fails SQLite's integrity check"


class LedgerBroken(BackupRefused):
    code = "ledger_broken"
    title = "The ledger in the backup does not verify"


class DatabaseInUse(BackupRefused):
    code = "database_in_use"
    title = "The database is in use"


@dataclass(frozen=True, slots=True)
class ChainHead:
    currency: str
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a database file holds: its schema revision, journal size and chain heads."""

    revision: str
    transactions: int
    heads: tuple[ChainHead, ...]


@dataclass(frozen=True, slots=True)
class Restored:
    snapshot: Snapshot
    # The backup's schema revision when it was older than this code's and has been migrated.
    migrated_from: str | None
    # Where the database that was replaced now is (None when there was none).
    kept: Path | None


def sqlite_file(database_url: str) -> Path:
    """The file of an SQLite database URL; anything else is refused with where to look instead."""
    if not database_url.startswith("sqlite"):
        raise NotSQLite(
            "TOREKES_DATABASE_URL names a PostgreSQL database: back it up with pg_dump "
            "(pg_dump -Fc) and restore it with pg_restore, then run torekes verify"
        )
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise NotSQLite("an in-memory SQLite database has no file to back up or restore")
    return Path(name)


def backup(database_url: str, target: Path, *, force: bool = False) -> Snapshot:
    """Write a consistent, checked copy of the configured SQLite database to ``target``."""
    source = sqlite_file(database_url)
    if not source.is_file():
        raise NoDatabase(f"no database at {source}")
    if target.is_dir():
        raise FileExists(f"{target} is a directory")
    if target.exists() and not force:
        raise FileExists(f"{target} exists; pass --force to replace it")
    if not target.parent.is_dir():
        raise NoDatabase(f"no directory {target.parent} to write the backup in")
    with _partial_beside(target) as partial:
        with (
            closing(sqlite3.connect(source, timeout=LIVE_BUSY_TIMEOUT_SECONDS)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)  # every page in one step: one consistent snapshot
            snapshot = _self_contained_snapshot(copy)
        _sync(partial)
        os.replace(partial, target)
        _sync(target.parent)
    return snapshot


def restore(database_url: str, source: Path) -> Restored:
    """Replace the configured SQLite database with the backup at ``source``, once the backup has
    been checked, migrated to this code's schema and audited, keeping the replaced one aside."""
    target = sqlite_file(database_url)
    if not source.is_file():
        raise NoDatabase(f"no file at {source}")
    if not target.parent.is_dir():
        raise NoDatabase(f"no directory {target.parent} for the database")
    with _partial_beside(target) as staged:
        _stage(source, staged)
        with closing(sqlite3.connect(staged)) as connection:
            found = _snapshot(connection)
        migrated_from = None if found.revision == head_revision() else found.revision
        _migrate_and_audit(staged, source)
        with closing(sqlite3.connect(staged)) as connection:
            snapshot = _self_contained_snapshot(connection)
        if target.exists():
            _copy_mode(target, staged)
        _sync(staged)
        kept = _swap(target, staged)
    return Restored(snapshot, migrated_from, kept)


def _stage(source: Path, staged: Path) -> None:
    """Copy the backup through SQLite, which reads a WAL beside it too and never writes to it."""
    try:
        with (
            closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup,
            closing(sqlite3.connect(staged)) as copy,
        ):
            backup.backup(copy)
    except sqlite3.DatabaseError as error:
        raise NotATorekesDatabase(f"{source} is not an SQLite database ({error})") from None


def _migrate_and_audit(staged: Path, source: Path) -> None:
    database = Database(f"sqlite:///{staged.resolve()}")
    try:
        upgrade_to_head(database.write_engine)
        report = verification.verify(database)
    finally:
        database.dispose()  # the last connection closed folds the WAL back into the file
    if not report.ok:
        first = report.first_break
        where = f"; first: {first.check} in {first.currency}: {first.detail}" if first else ""
        raise LedgerBroken(
            f"the ledger in {source} does not verify ({report.problem_count} problem(s){where})"
        )


def _self_contained_snapshot(connection: sqlite3.Connection) -> Snapshot:
    """Switch a copy to a rollback journal, so the file alone is the whole database, and read
    what it holds."""
    (mode,) = connection.execute("PRAGMA journal_mode=DELETE").fetchone()
    if mode != "delete":
        raise DatabaseDamaged(f"the copy stayed in journal mode {mode}")
    return _snapshot(connection)


def _snapshot(connection: sqlite3.Connection) -> Snapshot:
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise NotATorekesDatabase(f"not an SQLite database ({error})") from None
    if problems != ["ok"]:
        raise DatabaseDamaged("integrity_check: " + "; ".join(problems[:5]))
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise NotATorekesDatabase("no schema revision (alembic_version): not a Torekes database")
    revision = str(row[0])
    if not is_known_revision(revision):
        raise NotATorekesDatabase(
            f"schema revision {revision} is unknown to this version of Torekes "
            "(made by a newer one?)"
        )
    (transactions,) = connection.execute("SELECT count(*) FROM transactions").fetchone()
    heads = tuple(
        ChainHead(code, seq, last_hash)
        for code, seq, last_hash in connection.execute(
            "SELECT code, last_seq, last_hash FROM currencies ORDER BY code"
        )
    )
    return Snapshot(revision, int(transactions), heads)


def _swap(target: Path, staged: Path) -> Path | None:
    """Put ``staged`` in the place of ``target``, moving the old database (and any file SQLite
    keeps beside it) aside under a name of its own, while holding it exclusively."""
    if not target.exists():
        _move_sidecars(target, None)
        os.replace(staged, target)
        _sync(target.parent)
        return None
    kept = _free_name(target.with_name(f"{target.name}.before-restore-{_stamp()}"))
    with _exclusive(target):
        os.replace(target, kept)
        _move_sidecars(target, kept)
        os.replace(staged, target)
        _sync(target.parent)
    return kept


@contextmanager
def _exclusive(target: Path) -> Iterator[None]:
    """Hold the database to be replaced exclusively, or refuse when anything has it open."""
    with closing(sqlite3.connect(target, timeout=NO_WAIT, isolation_level=None)) as live:
        held = _hold(live, target)
        try:
            yield
        finally:
            if held:
                live.execute("ROLLBACK")


def _hold(live: sqlite3.Connection, target: Path) -> bool:
    try:
        # Leaving WAL mode needs every other connection closed; it also folds the log into the
        # file, so the database kept aside is whole on its own.
        live.execute("PRAGMA journal_mode=DELETE").fetchone()
        live.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorname.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            raise DatabaseInUse(
                f"{target} is open in another process: stop the service, then restore"
            ) from None
        raise
    except sqlite3.DatabaseError:
        return False  # a file SQLite cannot read is one no service can be using: replace it
    return True


def _move_sidecars(target: Path, kept: Path | None) -> None:
    """A log or journal left beside the old file belongs to it, never to the restored one."""
    for suffix in SIDECARS:
        sidecar = target.with_name(target.name + suffix)
        if sidecar.exists():
            destination = (kept or _free_name(target.with_name(f"{target.name}.stale"))).name
            os.replace(sidecar, sidecar.with_name(destination + suffix))


def _free_name(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def _stamp() -> str:
    return clock.now().strftime("%Y%m%dT%H%M%SZ")


@contextmanager
def _partial_beside(target: Path) -> Iterator[Path]:
    """A new, empty file in the target's directory (so the final rename stays on one file
    system), removed with SQLite's files beside it unless it has been renamed into place."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
    finally:
        for path in (partial, *(partial.with_name(partial.name + s) for s in SIDECARS)):
            path.unlink(missing_ok=True)


def _copy_mode(original: Path, replacement: Path) -> None:
    os.chmod(replacement, original.stat().st_mode & 0o7777)


def _sync(path: Path) -> None:
    """Flush a file, or a directory's entries after a rename, to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
