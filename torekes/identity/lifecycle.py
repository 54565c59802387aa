"""A user's life cycle: an administrator deactivates, reactivates and sets a new password; a
person changes their own password with the current one.

Deactivating revokes every live token, and a deactivated user is refused at every door (password
sign-in, member card sign-in, card payments, bearer tokens), while their accounts, transactions
and audit events stay as they are and are still verified and reported. Nobody deactivates
themself, and the last active administrator is never deactivated: the active administrators are
locked in id order before they are counted, so two administrators deactivating each other at
once cannot leave none. Deactivating an inactive user (or reactivating an active one) is refused
with a stable code (``user_already_inactive``, ``user_already_active``); a retry with the same
``Idempotency-Key`` replays the first answer instead. Reactivating brings back sign-in, never the
revoked tokens.

A new password is checked by the same rules as at creation and hashed (argon2, slow) before the
write transaction begins (``NewPassword``). An administrator setting one revokes every token of
the user and clears their failed sign-ins. A person changing their own password gives the current
one: a wrong one is refused with ``wrong_password`` and counted as a failed sign-in of the
username, under the same limit; the change then revokes every other token of the person and keeps
the one that asked. Passwords never reach the audit trail or the log, only that one was set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.users import check_password
from torekes.identity import attempts, queries
from torekes.identity.read_models import UserView
from torekes.kit import audit_trail, security
from torekes.kit.unit_of_work import WriteContext, write
from torekes.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NewPassword:
    """A password that passed the rules, as its argon2 hash; made only by ``of``."""

    password_hash: str

    @classmethod
    def of(cls, password: str) -> NewPassword:
        check_password(password)
        return cls(security.hash_password(password))


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """How many of the person's other tokens the change revoked."""

    revoked: int


# The write of a password change, handed to the caller's ``commit``.
Operation = Callable[[WriteContext], PasswordChanged]


def get_user(db: Database, actor: Principal, user_id: int) -> UserView:
    """One user, for administrators and auditors (anyone reads themself)."""
    if user_id != actor.user_id:
        access.require_reader_of_everything(actor)
    with db.read_session() as session:
        user = session.get(m.User, user_id)
        if user is None:
            raise errors.UserNotFound(user_id=user_id)
        return UserView.of(user)


def deactivate_user(ctx: WriteContext, user_id: int) -> UserView:
    access.require_admin(ctx.actor)
    if user_id == ctx.actor.user_id:
        raise errors.OwnUserNotDeactivatable(user_id=user_id)
    known = ctx.session.get(m.User, user_id)
    if known is None:
        raise errors.UserNotFound(user_id=user_id)
    # A role never changes, so it may be read before the locks; administrators are locked all
    # together, in id order, before the one to deactivate is.
    admins = queries.lock_active_admins(ctx.session) if known.role == Role.ADMIN else []
    user = lock(ctx.session, m.User, user_id)
    assert user is not None
    if not user.is_active:
        raise errors.UserAlreadyInactive(user_id=user_id)
    if user.role == Role.ADMIN and [admin.id for admin in admins] == [user.id]:
        raise errors.LastActiveAdmin(user_id=user_id)
    user.is_active = False
    revoked = _revoke_tokens(ctx, user_id, keep=None)
    ctx.session.flush()
    audit_trail.record(
        ctx,
        "user.deactivated",
        "user",
        user_id,
        {"is_active": True},
        {"is_active": False, "tokens_revoked": revoked},
    )
    return UserView.of(user)


def reactivate_user(ctx: WriteContext, user_id: int) -> UserView:
    access.require_admin(ctx.actor)
    user = lock(ctx.session, m.User, user_id)
    if user is None:
        raise errors.UserNotFound(user_id=user_id)
    if user.is_active:
        raise errors.UserAlreadyActive(user_id=user_id)
    user.is_active = True
    ctx.session.flush()
    audit_trail.record(
        ctx, "user.reactivated", "user", user_id, {"is_active": False}, {"is_active": True}
    )
    return UserView.of(user)


def set_password(ctx: WriteContext, user_id: int, password: NewPassword) -> PasswordChanged:
    """An administrator gives a user a new password: every token of theirs is revoked (the
    administrator's own too, when they set their own) and their failed sign-ins are forgotten."""
    access.require_admin(ctx.actor)
    user = lock(ctx.session, m.User, user_id)
    if user is None:
        raise errors.UserNotFound(user_id=user_id)
    user.password_hash = password.password_hash
    revoked = _revoke_tokens(ctx, user_id, keep=None)
    queries.forget_failures(ctx.session, attempts.PASSWORD, user.username)
    ctx.session.flush()
    audit_trail.record(ctx, "user.password_set", "user", user_id, None, {"tokens_revoked": revoked})
    return PasswordChanged(revoked)


def change_own_password(
    db: Database,
    settings: Settings,
    actor: Principal,
    current_token: str,
    current: str,
    new: str,
    client: str,
    commit: Callable[[Operation], T],
) -> T:
    """The signed-in person changes their password, giving the current one; ``current_token`` (the
    token that asks) stays valid and every other is revoked. A wrong current password counts as a
    failed sign-in of the username from ``client``, the request's client address. ``commit`` runs
    the change's write (the API passes one that honours ``Idempotency-Key``)."""
    check_password(new)
    limits = attempts.password_limits(settings)
    with db.read_session() as session:
        user = session.get(m.User, actor.user_id)
        if user is None or not user.is_active:
            raise errors.InvalidToken()
        attempts.check(session, limits, user.username, client)
        username, verified_hash = user.username, user.password_hash
    # Argon2, twice, outside any write transaction.
    if not security.verify_password(verified_hash, current):
        write(db, actor, lambda ctx: attempts.record_failure(ctx.session, limits, username, client))
        raise errors.WrongPassword()
    password = NewPassword.of(new)
    keep = security.token_digest(settings.secret_key, current_token)

    def change(ctx: WriteContext) -> PasswordChanged:
        user = lock(ctx.session, m.User, actor.user_id)
        if user is None or not user.is_active:
            raise errors.InvalidToken()
        if user.password_hash != verified_hash:
            # Changed since the current password was checked: that one is no longer current.
            raise errors.WrongPassword()
        user.password_hash = password.password_hash
        revoked = _revoke_tokens(ctx, user.id, keep=keep)
        attempts.record_success(ctx.session, limits, username, client)
        ctx.session.flush()
        audit_trail.record(
            ctx, "user.password_changed", "user", user.id, None, {"tokens_revoked": revoked}
        )
        return PasswordChanged(revoked)

    return commit(change)


def _revoke_tokens(ctx: WriteContext, user_id: int, keep: str | None) -> int:
    """Revoke the user's live tokens, but the one whose digest is ``keep``; how many."""
    now = m.utcnow()
    revoked = 0
    for token in queries.live_tokens_of(ctx.session, user_id, now):
        if token.token_hash != keep:
            token.revoked_at = now
            revoked += 1
    return revoked
