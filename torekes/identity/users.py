"""Users: creating them, listing them, and signing in with a password for an API token.

Sign-in failures are recorded in the database (not in process memory, so every service process
sees them) and a username with too many recent failures is refused until the window passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.approvals import check_may_appoint_directly
from torekes.domain.users import check_password, check_username
from torekes.identity import queries
from torekes.identity.read_models import UserView
from torekes.kit import audit_trail, pagination, security
from torekes.kit.pagination import Listing
from torekes.kit.unit_of_work import WriteContext
from torekes.settings import Settings


@dataclass(frozen=True, slots=True)
class UserCommand:
    username: str
    display_name: str
    role: Role
    password: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_at: datetime
    user: UserView
    expires_in: int  # seconds from issue to expiry, as OAuth 2.0 token responses say it


def create_user(ctx: WriteContext, command: UserCommand) -> UserView:
    """Create a user; another administrator only while there is one (with more, a second
    administrator approves it: ``torekes.approvals.four_eyes.create_user``)."""
    access.require_admin(ctx.actor)
    if command.role is Role.ADMIN:
        check_may_appoint_directly(queries.lock_administrators(ctx.session))
    return add_user(ctx, command)


def add_user(ctx: WriteContext, command: UserCommand, password_hash: str | None = None) -> UserView:
    """Create a user without an acting administrator's check (first admin, demo data, an
    approved request, which brings the password's ``password_hash`` instead of the password)."""
    check_username(command.username)
    if password_hash is None:
        check_password(command.password)
        password_hash = security.hash_password(command.password)
    taken = errors.UsernameTaken(f"{command.username} is taken", username=command.username)
    if queries.username_taken(ctx.session, command.username):
        raise taken
    user = m.User(
        username=command.username,
        display_name=command.display_name,
        role=command.role.value,
        password_hash=password_hash,
        is_active=True,
    )
    ctx.session.add(user)
    try:
        ctx.session.flush()
    except IntegrityError:  # registered concurrently since the look-up above
        raise errors.UsernameTaken(
            f"{command.username} is taken", username=command.username
        ) from None
    after = {"username": user.username, "display_name": user.display_name, "role": user.role}
    audit_trail.record(ctx, "user.created", "user", user.id, None, after)
    return UserView.of(user)


def list_users(db: Database, actor: Principal, cursor: str | None, limit: int) -> Listing[UserView]:
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        found = queries.list_users(session, pagination.parse_cursor(cursor), limit)
        return Listing(
            [UserView.of(user) for user in found],
            pagination.next_cursor([user.id for user in found], limit),
        )


def get_user(db: Database, user_id: int) -> UserView:
    with db.read_session() as session:
        user = session.get(m.User, user_id)
        if user is None:
            raise errors.UserNotFound()
        return UserView.of(user)


def issue_token(
    ctx: WriteContext,
    settings: Settings,
    user_id: int,
    name: str = "api",
    lifetime: timedelta | None = None,
) -> IssuedToken:
    """A new bearer token for the user, valid for ``lifetime`` (by default the configured days)."""
    user = ctx.session.get(m.User, user_id)
    if user is None:
        raise errors.UserNotFound()
    token = security.new_token()
    lifetime = lifetime or timedelta(days=settings.token_lifetime_days)
    expires_at = m.utcnow() + lifetime
    ctx.session.add(
        m.ApiToken(
            user_id=user.id,
            token_hash=security.token_digest(settings.secret_key, token),
            name=name,
            expires_at=expires_at,
        )
    )
    ctx.session.flush()
    return IssuedToken(token, expires_at, UserView.of(user), int(lifetime.total_seconds()))
