"""Users: administrators create, deactivate and reactivate them and set their passwords;
administrators and auditors list and read them; anyone sees themselves."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, WriterDep
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


@router.post("/{user_id}/deactivate", response_model=UserOut, responses=WRITE)
def deactivate(user_id: UserId, writer: WriterDep) -> JSONResponse:
    """Deactivate a user (admin): every live token is revoked and sign-in (password or member
    card) and card payments are refused; their accounts and history stay. Not yourself (409
    `own_user_not_deactivatable`), not the last active administrator (409 `last_active_admin`);
    an inactive user is 409 `user_already_inactive`."""
    return writer.run(lambda ctx: lifecycle.deactivate_user(ctx, user_id), UserOut)


@router.post("/{user_id}/reactivate", response_model=UserOut, responses=WRITE)
def reactivate(user_id: UserId, writer: WriterDep) -> JSONResponse:
    """Let a deactivated user sign in again (admin); revoked tokens stay revoked. An active user
    is 409 `user_already_active`."""
    return writer.run(lambda ctx: lifecycle.reactivate_user(ctx, user_id), UserOut)


@router.post("/{user_id}/password", response_model=PasswordChangedOut, responses=WRITE)
def set_password(user_id: UserId, body: PasswordIn, writer: WriterDep) -> JSONResponse:
    """Give a user a new password (admin): every token of theirs is revoked (`revoked` says how
    many) and their failed sign-ins are forgotten."""
    password = NewPassword.of(body.password)
    return writer.run(
        lambda ctx: lifecycle.set_password(ctx, user_id, password), PasswordChangedOut
    )
