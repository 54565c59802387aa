"""Users: administrators create them; administrators and auditors list them; anyone sees
themselves."""

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
from torekes.api.schemas import Page, RevokedOut, UserIn, UserOut
from torekes.approvals import four_eyes
from torekes.identity import auth, users
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
