"""Queries on users, API tokens and failed sign-in attempts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from torekes.db.locking import ADMINISTRATORS, USERNAMES, lock_number
from torekes.db.models import ApiToken, LoginAttempt, User
from torekes.domain.access import Role


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def username_taken(session: Session, username: str) -> bool:
    """Whether a user has this name, in any case: "ADMIN" beside "admin" would pass for it in
    lists and in the audit trail. Under a lock every making of a user takes until it commits, so
    two names differing only in case made at once cannot both pass (the unique constraint only
    knows the exact name)."""
    lock_number(session, USERNAMES, 0)
    statement = select(User.id).where(func.lower(User.username) == username.lower())
    return session.scalars(statement.limit(1)).first() is not None


def lock_administrators(session: Session) -> int:
    """How many active administrators there are, counted under a lock that every making of an
    administrator takes, so two at once cannot both count one."""
    lock_number(session, ADMINISTRATORS, 0)
    statement = select(func.count()).select_from(User).where(User.role == "admin", User.is_active)
    return session.scalar(statement) or 0


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def list_users(session: Session, after_id: int | None, limit: int) -> list[User]:
    statement = select(User).order_by(User.id).limit(limit)
    if after_id is not None:
        statement = statement.where(User.id > after_id)
    return list(session.scalars(statement))


def token_with_user(session: Session, token_hash: str) -> tuple[ApiToken, User] | None:
    statement = (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash)
    )
    row = session.execute(statement).one_or_none()
    return None if row is None else (row[0], row[1])


def live_tokens_of(session: Session, user_id: int, now: datetime) -> list[ApiToken]:
    statement = select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
    )
    return list(session.scalars(statement))


def count_failures(
    session: Session,
    kind: str,
    since: datetime,
    *,
    subject: str | None = None,
    client: str | None = None,
) -> tuple[int, datetime | None]:
    """How many failed sign-ins of ``kind`` since ``since`` (of one subject, from one client
    address, or both), and when the oldest of them was."""
    statement = select(func.count(), func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.kind == kind,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.attempted_at > since,
    )
    if subject is not None:
        statement = statement.where(LoginAttempt.username == subject)
    if client is not None:
        statement = statement.where(LoginAttempt.client == client)
    count, oldest = session.execute(statement).one()
    return count or 0, oldest


def has_signed_in_from(session: Session, kind: str, subject: str, client: str) -> bool:
    statement = select(LoginAttempt.id).where(
        LoginAttempt.kind == kind,
        LoginAttempt.username == subject,
        LoginAttempt.client == client,
        LoginAttempt.succeeded.is_(True),
    )
    return session.scalars(statement.limit(1)).first() is not None


def forget_attempts(session: Session, kind: str, subject: str, client: str) -> None:
    """Drop one subject's failures and earlier success from one client address."""
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.kind == kind,
            LoginAttempt.username == subject,
            LoginAttempt.client == client,
        )
    )


def forget_failures(session: Session, kind: str, subject: str) -> None:
    """Drop one subject's failures from every client address (its known addresses stay)."""
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.kind == kind,
            LoginAttempt.username == subject,
            LoginAttempt.succeeded.is_(False),
        )
    )


def users_by_ids(session: Session, user_ids: Collection[int]) -> list[User]:
    """The users with these ids, in one read, into the session's identity map."""
    if not user_ids:
        return []
    return list(session.scalars(select(User).where(User.id.in_(sorted(user_ids)))))


def lock_active_admins(session: Session) -> list[User]:
    """Every active administrator, locked in id order (so two writers never lock them crosswise)."""
    statement = (
        select(User)
        .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(statement))
