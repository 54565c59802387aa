"""Signing in, resolving bearer tokens to principals, and revoking tokens.

Password checks (argon2, deliberately slow) run outside any write transaction so they never hold
the database's write lock. Failed attempts per username are counted in the database over a
sliding window; under heavy concurrency a few guesses past the limit may slip through together,
never more than the number of requests in flight.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.identity import queries
from torekes.identity.users import IssuedToken, issue_token
from torekes.kit import audit_trail, security
from torekes.kit.unit_of_work import WriteContext, write
from torekes.settings import Settings

MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 1024


def sign_in(db: Database, settings: Settings, username: str, password: str) -> IssuedToken:
    if not _plausible(username, MAX_USERNAME_LENGTH) or not _plausible(
        password, MAX_PASSWORD_LENGTH
    ):
        # No such user can exist; refuse before touching the database with it.
        raise errors.InvalidCredentials()
    with db.read_session() as session:
        check_attempts_left(session, settings, username)
        user = queries.user_by_username(session, username)
        password_hash = user.password_hash if user is not None and user.is_active else None
        user_id = user.id if user is not None else None

    if password_hash is None or user_id is None:
        security.spend_equal_time(password)
        valid = False
    else:
        valid = security.verify_password(password_hash, password)

    system = Principal(user_id=user_id or 0, username=username, role=Role.MEMBER)
    if not valid:
        write(db, system, lambda ctx: ctx.session.add(m.LoginAttempt(username=username)))
        raise errors.InvalidCredentials()
    assert user_id is not None

    def succeed(ctx: WriteContext) -> IssuedToken:
        queries.forget_failures(ctx.session, username)
        return issue_token(ctx, settings, user_id, name="password sign-in")

    return write(db, system, succeed)


def check_attempts_left(session: Session, settings: Settings, key: str) -> None:
    """Refuse (429) while ``key`` has had too many failed sign-ins in the window."""
    now = m.utcnow()
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    failures = queries.count_failures_since(session, key, window_start)
    if failures >= settings.login_max_failures:
        oldest = queries.oldest_failure_since(session, key, window_start)
        raise errors.RateLimited(retry_after=_seconds_until_free(oldest, settings, now))


def principal_for_token(db: Database, settings: Settings, token: str) -> Principal:
    digest = security.token_digest(settings.secret_key, token)
    with db.read_session() as session:
        found = queries.token_with_user(session, digest)
    if found is None:
        raise errors.InvalidToken()
    api_token, user = found
    if api_token.revoked_at is not None or not user.is_active:
        raise errors.InvalidToken()
    if _aware(api_token.expires_at) <= m.utcnow():
        raise errors.InvalidToken()
    return Principal(user_id=user.id, username=user.username, role=Role(user.role))


def revoke_token(ctx: WriteContext, settings: Settings, token: str) -> None:
    found = queries.token_with_user(ctx.session, security.token_digest(settings.secret_key, token))
    if found is not None and found[0].revoked_at is None:
        found[0].revoked_at = m.utcnow()


def sign_out(db: Database, settings: Settings, actor: Principal, token: str) -> None:
    """End the session of ``token`` (a page's sign-out): the token stops working at once."""
    write(db, actor, lambda ctx: revoke_token(ctx, settings, token))


def revoke_all_tokens(ctx: WriteContext, user_id: int) -> int:
    access.require_admin(ctx.actor)
    if ctx.session.get(m.User, user_id) is None:
        raise errors.UserNotFound()
    tokens = queries.live_tokens_of(ctx.session, user_id, m.utcnow())
    for token in tokens:
        token.revoked_at = m.utcnow()
    audit_trail.record(ctx, "user.tokens_revoked", "user", user_id, None, {"tokens": len(tokens)})
    return len(tokens)


def _plausible(value: str, max_length: int) -> bool:
    return 0 < len(value) <= max_length and "\x00" not in value


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _seconds_until_free(oldest: datetime | None, settings: Settings, now: datetime) -> int:
    if oldest is None:
        return settings.login_window_seconds
    free_at = _aware(oldest) + timedelta(seconds=settings.login_window_seconds)
    return max(1, int((free_at - now).total_seconds()) + 1)
