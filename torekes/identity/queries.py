"""Queries on users, API tokens and failed sign-in attempts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from torekes.db.models import ApiToken, LoginAttempt, User
from torekes.domain.access import Role


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


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


def count_failures_since(session: Session, username: str, since: datetime) -> int:
    statement = select(func.count()).where(
        LoginAttempt.username == username, LoginAttempt.attempted_at > since
    )
    return session.scalar(statement) or 0


def oldest_failure_since(session: Session, username: str, since: datetime) -> datetime | None:
    statement = select(func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.username == username, LoginAttempt.attempted_at > since
    )
    return session.scalar(statement)


def forget_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))


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
