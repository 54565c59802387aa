"""The transaction boundary of every write, with or without an ``Idempotency-Key``.

A write operation receives a ``WriteContext`` (the session, the acting principal and the request's
idempotency key) and never commits; the functions here begin, commit or roll back around it. The
one exception is a refusal that must leave a trace: a wrong PIN still counts against the card, so
that attempt is committed before the refusal is raised, and only through ``kept_refusal``.

With a key, the outcome is stored in the same database transaction as the write itself, under a
unique (principal, key) constraint. A retry finds the stored outcome and replays it; a concurrent
duplicate that slips past the look-up fails on the constraint, rolls back everything it did, and
then replays the winner's outcome.

A refusal the write raises once it has begun (a domain error from inside the operation:
``insufficient_funds``, ``account_frozen``, ...) is an outcome too: the operation runs inside a
savepoint, so its effects are rolled back while the refusal, rendered by the caller, is stored
under the key's lock and replayed to every retry by raising the same refusal again. Not stored,
so that a retry is judged again: a request that breaks a rule of form (422), a refusal for the
moment rather than for the request (401, 429), the idempotency layer's own refusals, and
failures that are not refusals at all (a database that is busy or down), which roll everything
back. What ``kept_refusal`` keeps (a counted PIN attempt)
is committed with the stored refusal.

A stored response shows no code readable: the codes a write derives (``torekes.kit.shown_codes``)
are stored as placeholders with the recipe to derive them again, and the request's fingerprint is
stored keyed with the secret key, since a body may hold a PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from torekes.db import idempotency
from torekes.db.engine import Database
from torekes.db.models import IdempotencyRecord
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.kit import shown_codes

T = TypeVar("T")
E = TypeVar("E", bound=errors.TorekesError)

MAX_KEY_LENGTH = 255
FIRST_REFUSAL_STATUS = 400

# Refusals a retry with the key is judged again for: a request that breaks a rule of form (422,
# the idempotency key's own form included), which is refused before it could change anything and
# which a person corrects and sends again; refusals about the moment rather than the request (401,
# 429); and the idempotency layer's own.
NOT_STORED: tuple[type[errors.TorekesError], ...] = (
    errors.InvalidInput,
    errors.Unauthenticated,
    errors.RateLimited,
    errors.IdempotencyKeyReused,
)


@dataclass(frozen=True, slots=True)
class WriteContext:
    session: Session
    actor: Principal
    idempotency_key: str | None = None
    # The savepoint an idempotent write runs its operation in (see ``kept_refusal``).
    savepoint: SessionTransaction | None = None


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: Any
    replayed: bool


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    """A write's ``Idempotency-Key`` with what the unit of work needs to keep its outcome: the
    request's fingerprint, the secret key (which keys the fingerprint and rebuilds the codes a
    stored response shows), and how a refusal is stored (its status and body)."""

    key: str
    fingerprint: str
    secret_key: str
    render_refusal: Callable[[errors.TorekesError], tuple[int, Any]]


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
    """Keep what the operation has written so far and hand back the refusal to raise
    (``raise kept_refusal(ctx, error)``): for counting failed attempts (PINs, card numbers) that
    the refusal must not roll back. Nothing else in an operation may commit. Inside an idempotent
    write, what is kept joins the transaction that stores the refusal, and is committed with it."""
    if ctx.savepoint is not None and ctx.savepoint.is_active:
        ctx.savepoint.commit()
    else:
        ctx.session.commit()
    return refusal


def is_stored(refusal: errors.TorekesError) -> bool:
    """Whether a refusal raised once the write has begun is kept against its key."""
    return not isinstance(refusal, NOT_STORED)


def write_idempotently(
    db: Database,
    actor: Principal,
    request: KeyedRequest,
    operation: Callable[[WriteContext], T],
    render: Callable[[T], tuple[int, Any]],
) -> StoredResponse:
    """Run ``operation`` once for ``request``'s key and store its outcome; a retry gets the
    stored outcome back (a stored refusal is raised again)."""
    check_idempotency_key(request.key)
    with db.write_session() as session:
        idempotency.lock_key(session, actor.user_id, request.key)
        stored = idempotency.find_record(session, actor.user_id, request.key)
        if stored is not None:
            return _replay(stored, request)
        try:
            return _first_time(session, actor, request, operation, render)
        except IntegrityError:
            session.rollback()
            winner = idempotency.find_record(session, actor.user_id, request.key)
            if winner is None:
                raise
            return _replay(winner, request)


def _first_time(
    session: Session,
    actor: Principal,
    request: KeyedRequest,
    operation: Callable[[WriteContext], T],
    render: Callable[[T], tuple[int, Any]],
) -> StoredResponse:
    savepoint = session.begin_nested()
    with shown_codes.remembering() as remembered:
        try:
            result = operation(WriteContext(session, actor, request.key, savepoint))
            status_code, body = render(result)
        except errors.TorekesError as refusal:
            if savepoint.is_active:
                savepoint.rollback()
            if is_stored(refusal):
                status_code, problem = request.render_refusal(refusal)
                _store(session, actor, request, status_code, problem, remembered)
            session.commit()
            raise
    if savepoint.is_active:
        savepoint.commit()
    _store(session, actor, request, status_code, body, remembered)
    session.commit()
    return StoredResponse(status_code, body, replayed=False)


def _store(
    session: Session,
    actor: Principal,
    request: KeyedRequest,
    status_code: int,
    body: Any,
    remembered: dict[str, shown_codes.Recipe],
) -> None:
    text, concealed = shown_codes.conceal(json.dumps(body), remembered)
    session.add(
        IdempotencyRecord(
            principal_id=actor.user_id,
            key=request.key,
            request_hash=_keyed(request),
            status_code=status_code,
            response_body=text,
            derived_codes=json.dumps(concealed),
        )
    )


def stored_response(db: Database, actor: Principal, request: KeyedRequest) -> StoredResponse | None:
    """The outcome of an earlier write with this key, for a use case that must answer a retry
    before it does anything else (a card payment must not try the PIN again); a stored refusal
    is raised again."""
    check_idempotency_key(request.key)
    with db.read_session() as session:
        stored = idempotency.find_record(session, actor.user_id, request.key)
        return None if stored is None else _replay(stored, request)


def kept_outcome(
    db: Database, actor: Principal, key: str, secret_key: str
) -> StoredResponse | None:
    """The outcome the actor's write with this key stored, whatever was asked, to show it again
    to the same actor (a page that follows a form's write); ``None`` if the actor has none under
    the key, or the write was refused. Keys are kept per principal, so nobody else reads it."""
    check_idempotency_key(key)
    with db.read_session() as session:
        stored = idempotency.find_record(session, actor.user_id, key)
        if stored is None or stored.status_code >= FIRST_REFUSAL_STATUS:
            return None
        return _revealed(stored, secret_key)


def replayed_problem(refusal: errors.TorekesError) -> StoredResponse | None:
    """The stored status and body of a refusal raised again by a replay, else ``None``."""
    stored = getattr(refusal, "stored_problem", None)
    return stored if isinstance(stored, StoredResponse) else None


def _keyed(request: KeyedRequest) -> str:
    """The fingerprint keyed with the secret key: a request body may hold a PIN, which a plain
    digest would give away to anyone trying the ten thousand PINs."""
    message = request.fingerprint.encode()
    return hmac.new(request.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _replay(stored: IdempotencyRecord, request: KeyedRequest) -> StoredResponse:
    if not hmac.compare_digest(stored.request_hash, _keyed(request)):
        raise errors.IdempotencyKeyReused()
    replayed = _revealed(stored, request.secret_key)
    if stored.status_code >= FIRST_REFUSAL_STATUS:
        raise _refusal_again(replayed)
    return replayed


def _revealed(stored: IdempotencyRecord, secret_key: str) -> StoredResponse:
    concealed = [(held, (p, n, i)) for held, (p, n, i) in json.loads(stored.derived_codes)]
    text = shown_codes.reveal(stored.response_body, concealed, secret_key)
    return StoredResponse(stored.status_code, json.loads(text), replayed=True)


def _refusal_again(stored: StoredResponse) -> errors.TorekesError:
    """The stored refusal as the error it was (its class found by its code), so that pages
    explain it as they did and the API answers the stored problem again."""
    body = stored.body if isinstance(stored.body, dict) else {}
    code = str(body.get("code", ""))
    kind = _error_classes().get(code, errors.TorekesError)
    refusal = kind.__new__(kind)
    standard = {"type", "title", "status", "code", "instance", "request_id", "detail"}
    extra = {name: value for name, value in body.items() if name not in standard}
    errors.TorekesError.__init__(refusal, body.get("detail"), **extra)
    if kind is errors.TorekesError:
        refusal.code = code or refusal.code
    refusal.stored_problem = stored  # type: ignore[attr-defined]
    return refusal


def _error_classes() -> dict[str, type[errors.TorekesError]]:
    found: dict[str, type[errors.TorekesError]] = {}
    pending: list[type[errors.TorekesError]] = [errors.TorekesError]
    while pending:
        kind = pending.pop()
        found.setdefault(kind.code, kind)
        pending.extend(kind.__subclasses__())
    return found
