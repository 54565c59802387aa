"""Row locks: read one row for update inside the caller's write transaction.

On PostgreSQL this is ``SELECT ... FOR UPDATE``; SQLite ignores the clause, and its write
transaction (``BEGIN IMMEDIATE``) already holds the database's one write lock. Rows are re-read,
so values loaded earlier in the session are replaced by the locked ones.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from torekes.db.models import Base

ModelT = TypeVar("ModelT", bound=Base)


def lock(session: Session, model: type[ModelT], row_id: int) -> ModelT | None:
    """Read one row under a row lock (``FOR UPDATE``; SQLite's write transaction already is one)."""
    statement = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    return session.scalars(locked(statement)).one_or_none()


def locked(statement: Select[ModelT]) -> Select[ModelT]:
    """``statement`` reading its rows under a row lock, replacing what the session held."""
    return statement.with_for_update().execution_options(populate_existing=True)


# Namespaces of transaction-scoped advisory locks; negative, so they never meet the idempotency
# locks, whose namespace is a (positive) user id.
PIN_ATTEMPTS_AT_SHOP = -1
ADMINISTRATORS = -2
USERNAMES = -3
PIN_ATTEMPTS_BY_ACTOR = -4


def lock_number(session: Session, namespace: int, number: int) -> None:
    """Serialise writers on something that is not one row (PostgreSQL: an advisory lock held
    until the transaction ends). SQLite needs nothing: its writers already run one at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:namespace, :number)"),
        {"namespace": namespace, "number": number},
    )
