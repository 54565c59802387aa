"""The transaction boundary of every write, with or without an ``Idempotency-Key``.

A write operation receives a ``WriteContext`` (the session, the acting principal and the request's
idempotency key) and never commits; the functions here begin, commit or roll back around it. The
one exception is a refusal that must leave a trace: a wrong PIN still counts against the card, so
that attempt is committed before the refusal is raised, and only through ``kept_refusal``.

With a key, the outcome is stored in the same database transaction as the write itself, under a
unique (principal, key) constraint. A retry finds the stored outcome and replays it; a concurrent
duplicate that slips past the look-up fails on the constraint, rolls back everything it did, and
then replays the winner's outcome. Refusals (domain errors) are not stored: a retry is judged again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from torekes.db import idempotency
from torekes.db.engine import Database
from torekes.db.models import IdempotencyRecord
from torekes.domain import errors
from torekes.domain.access import Principal

T = TypeVar("T")
E = TypeVar("E", bound=errors.TorekesError)

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class WriteContext:
    session: Session
    actor: Principal
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: Any
    replayed: bool


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """A digest of what was asked, so a reused key with a different request can be told apart."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
    except (ValueError, UnicodeDecodeError):
        canonical = body.hex()
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def check_idempotency_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(char) <= 126 for char in key):
        raise errors.InvalidIdempotencyKey()


def write(db: Database, actor: Principal, operation: Callable[[WriteContext], T]) -> T:
    with db.write_session() as session:
        result = operation(WriteContext(session, actor))
        session.commit()
        return result


def kept_refusal(ctx: WriteContext, refusal: E) -> E:
    """Commit what the operation has written so far and hand back the refusal to raise
    (``raise kept_refusal(ctx, error)``): for counting failed attempts (PINs, card numbers) that
    the refusal must not roll back. Nothing else in an operation may commit."""
    ctx.session.commit()
    return refusal


def write_idempotently(
    db: Database,
    actor: Principal,
    key: str,
    fingerprint: str,
    operation: Callable[[WriteContext], T],
    render: Callable[[T], tuple[int, Any]],
) -> StoredResponse:
    check_idempotency_key(key)
    with db.write_session() as session:
        idempotency.lock_key(session, actor.user_id, key)
        stored = idempotency.find_record(session, actor.user_id, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            result = operation(WriteContext(session, actor, key))
            status_code, body = render(result)
            session.add(
                IdempotencyRecord(
                    principal_id=actor.user_id,
                    key=key,
                    request_hash=fingerprint,
                    status_code=status_code,
                    response_body=json.dumps(body),
                )
            )
            session.commit()
            return StoredResponse(status_code, body, replayed=False)
        except IntegrityError:
            session.rollback()
            winner = idempotency.find_record(session, actor.user_id, key)
            if winner is None:
                raise
            return _replay(winner, fingerprint)


def stored_response(
    db: Database, actor: Principal, key: str, fingerprint: str
) -> StoredResponse | None:
    """The outcome of an earlier write with this key, for a use case that must answer a retry
    before it does anything else (a card payment must not try the PIN again)."""
    check_idempotency_key(key)
    with db.read_session() as session:
        stored = idempotency.find_record(session, actor.user_id, key)
        return None if stored is None else _replay(stored, fingerprint)


def _replay(stored: IdempotencyRecord, fingerprint: str) -> StoredResponse:
    if stored.request_hash != fingerprint:
        raise errors.IdempotencyKeyReused()
    return StoredResponse(stored.status_code, json.loads(stored.response_body), replayed=True)
