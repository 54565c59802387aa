"""Users: administrators create, deactivate and reactivate them and set their passwords (for
another administrator, while there is more than one, a second administrator approves);
administrators and auditors list and read them; anyone sees themselves."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import (
    DEFAULT_LIMIT,
    DEFERRED,
    FOUR_EYES,
    READ,
    WRITE,
    Cursor,
    Limit,
    UserId,
)
from torekes.api.schemas import (
    Page,
    PasswordChangedOut,
    PasswordIn,
    RevokedOut,
    UserIn,
    UserOut,
)
from torekes.approvals import four_eyes
from torekes.identity import auth, lifecycle, users
from torekes.identity.lifecycle import NewPassword
from torekes.identity.read_models import UserView
from torekes.identity.users import UserCommand

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", status_code=201, response_model=UserOut, responses=FOUR_EYES)
def create_user(body: UserIn, writer: WriterDep) -> JSONResponse:
    """Create a user (admin). Another administrator, while there is more than one active, is
    filed for a second administrator's approval (202) instead."""
    command = UserCommand(**body.model_dump())
    return writer.run(lambda ctx: four_eyes.create_user(ctx, command), UserOut, 201, DEFERRED)


@router.get("", response_model=Page[UserOut], responses=READ)
def list_users(
    actor: CurrentPrincipal, db: DbDep, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Page[UserOut]:
    page = users.list_users(db, actor, cursor, limit)
    return Page[UserOut].model_validate(page)


@router.get("/me", response_model=UserOut, responses=READ)
def me(actor: CurrentPrincipal, db: DbDep) -> UserView:
    return users.get_user(db, actor.user_id)


@router.post("/{user_id}/revoke-tokens", response_model=RevokedOut, responses=WRITE)
def revoke_tokens(user_id: UserId, writer: WriterDep) -> JSONResponse:
    """Revoke every live token of a user (a lost phone, a departed volunteer)."""
    return writer.run(
        lambda ctx: RevokedOut(revoked=auth.revoke_all_tokens(ctx, user_id)), RevokedOut
    )


@router.get("/{user_id}", response_model=UserOut, responses=READ)
def get_user(user_id: UserId, actor: CurrentPrincipal, db: DbDep) -> UserView:
    """One user (administrators and auditors; anyone may read themself)."""
    return lifecycle.get_user(db, actor, user_id)


@router.post("/{user_id}/deactivate", response_model=UserOut, responses=FOUR_EYES)
def deactivate(user_id: UserId, writer: WriterDep) -> JSONResponse:
    """Deactivate a user (admin): every live token is revoked and sign-in (password or member
    card) and card payments are refused; their accounts and history stay. Not yourself (409
    `own_user_not_deactivatable`), not the last active administrator (409 `last_active_admin`);
    an inactive user is 409 `user_already_inactive`. Another administrator is filed for a second
    administrator's approval (202), who is not the one deactivated."""
    return writer.run(lambda ctx: four_eyes.deactivate_user(ctx, user_id), UserOut, 200, DEFERRED)


@router.post("/{user_id}/reactivate", response_model=UserOut, responses=FOUR_EYES)
def reactivate(user_id: UserId, writer: WriterDep) -> JSONResponse:
    """Let a deactivated user sign in again (admin); revoked tokens stay revoked. An active user
    is 409 `user_already_active`. An administrator, while another administrator than you is
    active, is filed for a second administrator's approval (202)."""
    return writer.run(lambda ctx: four_eyes.reactivate_user(ctx, user_id), UserOut, 200, DEFERRED)


@router.post("/{user_id}/password", response_model=PasswordChangedOut, responses=FOUR_EYES)
def set_password(
    user_id: UserId, body: PasswordIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Give a user a new password (admin): every token of theirs is revoked (`revoked` says how
    many) and their failed sign-ins are forgotten. Another administrator's, while there is more
    than one active administrator, is filed for a second administrator's approval (202), who is
    neither you nor the one whose password it is; with the four-eyes threshold set, so is anyone
    else's but your own (whoever knows it could move their tokens). The request keeps only the
    password's hash."""
    password = NewPassword.of(body.password)
    return writer.run(
        lambda ctx: four_eyes.set_password(ctx, user_id, password, settings.four_eyes_above),
        PasswordChangedOut,
        200,
        DEFERRED,
    )
