"""Whether the database a URL names is there and migrated, told without creating it, and the
URL as the command line names it (password hidden, an SQLite file by its full path).

SQLite makes an empty file for any path it is asked to open, so a command run in the wrong folder
would otherwise work on a new, empty ``torekes.db``; only ``torekes migrate`` creates a database.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from torekes.db.engine import Database
from torekes.db.migrate import current_revision, head_revision, is_known_revision

HOW_TO_FIX = "run `torekes migrate` first, or set TOREKES_DATABASE_URL"


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names, resolved from the working folder; ``None`` for another
    database, an in-memory one or a ``file:`` URI."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def shown(url: str) -> str:
    """The URL without its password; an SQLite file by its full path."""
    path = sqlite_file(url)
    if path is not None:
        return f"sqlite:///{path}"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "an unreadable TOREKES_DATABASE_URL"


def unusable(url: str) -> str | None:
    """Why the database cannot be used, in one line; ``None`` when it is there and migrated
    to this release's newest revision. Never creates an SQLite file."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        return f"No database at {path}: {HOW_TO_FIX}"
    try:
        database = Database(url)
    except (ArgumentError, ImportError) as error:
        return f"Cannot use TOREKES_DATABASE_URL {shown(url)}: {error}"
    try:
        revision = current_revision(database.read_engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"Cannot open the database {shown(url)}: {reason}"
    finally:
        database.dispose()
    if revision is None:
        return f"The database {shown(url)} has no tables yet: {HOW_TO_FIX}"
    head = head_revision()
    if revision == head:
        return None
    if not is_known_revision(revision):
        return f"The database {shown(url)} is at revision {revision}, newer than this release"
    return (
        f"The database {shown(url)} is at revision {revision}, this release needs {head}: "
        "run `torekes migrate`"
    )
