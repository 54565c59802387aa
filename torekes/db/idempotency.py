"""Stored outcomes of writes made with an ``Idempotency-Key``."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from torekes.db.models import IdempotencyRecord


def find_record(session: Session, principal_id: int, key: str) -> IdempotencyRecord | None:
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.principal_id == principal_id, IdempotencyRecord.key == key
    )
    return session.scalars(statement).one_or_none()


def lock_key(session: Session, principal_id: int, key: str) -> None:
    """Make concurrent requests with one key wait for each other (PostgreSQL).

    The unique constraint alone keeps a duplicate from taking effect; waiting here also lets the
    duplicate replay the first outcome instead of being judged against the state the first one left.
    SQLite needs nothing: its write transactions already run one at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
        {"space": principal_id, "key": key},
    )
