"""Signing in (the OAuth2 password flow, so Swagger UI's Authorize button works) and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm

from torekes.api.client import ClientAddress
from torekes.api.deps import BearerToken, CurrentPrincipal, DbDep, SettingsDep
from torekes.api.routes.common import problems
from torekes.api.schemas import TokenOut
from torekes.identity import auth
from torekes.kit.unit_of_work import write

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, responses=problems(400, 401, 413, 422, 429))
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db: DbDep,
    settings: SettingsDep,
    client: ClientAddress,
) -> TokenOut:
    """Exchange a username and password for a bearer token. Failed attempts are counted per
    username and client address and per client address: past the limits, that client gets 429
    `too_many_attempts` with `Retry-After`, while the right password from elsewhere still
    works."""
    issued = auth.sign_in(db, settings, form.username, form.password, client)
    return TokenOut(
        access_token=issued.access_token,
        expires_at=issued.expires_at,
        expires_in=issued.expires_in,
    )


@router.post("/revoke", status_code=204, responses=problems(401))
def revoke(
    actor: CurrentPrincipal, token: BearerToken, db: DbDep, settings: SettingsDep
) -> Response:
    """Revoke the bearer token this request carries (sign out)."""
    assert token is not None  # CurrentPrincipal has already refused a missing token
    write(db, actor, lambda ctx: auth.revoke_token(ctx, settings, token))
    return Response(status_code=204)
