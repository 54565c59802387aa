"""Signing in, resolving bearer tokens to principals, and revoking tokens.

Password checks (argon2, deliberately slow) run outside any write transaction so they never hold
the database's write lock. Failed attempts are throttled per username and client address, per
client address, and past ceilings only for addresses the username has not signed in from
(``torekes.identity.attempts``), so a stranger's guesses never keep the owner out. A right
password whose hash was made with older argon2 parameters is hashed again with today's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.identity import attempts, queries
from torekes.identity.users import IssuedToken, issue_token
from torekes.kit import audit_trail, security
from torekes.kit.unit_of_work import WriteContext, write
from torekes.settings import Settings

MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 1024


def sign_in(
    db: Database, settings: Settings, username: str, password: str, client: str
) -> IssuedToken:
    """A token for the user when the password is right; ``client`` is the request's client
    address (``torekes.api.client``), by which failures are counted."""
    if not _plausible(username, MAX_USERNAME_LENGTH) or not _plausible(
        password, MAX_PASSWORD_LENGTH
    ):
        # No such user can exist; refuse before touching the database with it.
        raise errors.InvalidCredentials()
    limits = attempts.password_limits(settings)
    with db.read_session() as session:
        attempts.check(session, limits, username, client)
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
        write(
            db, system, lambda ctx: attempts.record_failure(ctx.session, limits, username, client)
        )
        raise errors.InvalidCredentials()
    assert user_id is not None
    assert password_hash is not None
    # Hashed again outside the write, as slowly as any argon2 hash.
    rehashed = security.hash_password(password) if security.needs_rehash(password_hash) else None

    def succeed(ctx: WriteContext) -> IssuedToken:
        attempts.record_success(ctx.session, limits, username, client)
        if rehashed is not None:
            user = ctx.session.get(m.User, user_id)
            if user is not None and user.password_hash == password_hash:
                user.password_hash = rehashed
        return issue_token(ctx, settings, user_id, name="password sign-in")

    return write(db, system, succeed)


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
