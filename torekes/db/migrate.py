"""Running the Alembic migrations from code, and telling whether a database is up to date.

The migrations live in the project's top-level ``migrations/`` folder; an installed copy finds
them beside the package source, or in the current directory (as in the container image).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine


def _project_file(name: str) -> Path:
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidate = root / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"Cannot find {name} beside the torekes package or in {Path.cwd()}")


def alembic_config() -> Config:
    config = Config(str(_project_file("alembic.ini")))
    config.set_main_option("script_location", str(_project_file("migrations")))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Migrate in one transaction. On SQLite, foreign keys are switched off around it, as SQLite
    prescribes for rebuilding a table that others reference (its only way to change a CHECK
    constraint), and every reference is checked before the transaction commits."""
    config = alembic_config()
    with engine.connect() as connection:
        raw = connection.connection.driver_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # only takes effect outside a transaction
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if raw is not None:
                    _check_references(connection)
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left broken references: {broken[:5]}")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (a newer release's is not)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return any(script.revision == revision for script in scripts.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
