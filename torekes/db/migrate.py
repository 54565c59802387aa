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
from sqlalchemy import Engine


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
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
