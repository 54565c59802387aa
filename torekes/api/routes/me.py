"""The signed-in person's own settings: changing their password."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from torekes.api.client import ClientAddress
from torekes.api.deps import BearerToken, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import WRITE, problems
from torekes.api.schemas import PasswordChangedOut, PasswordChangeIn
from torekes.identity import lifecycle

router = APIRouter(prefix="/me", tags=["users"])


@router.post("/password", response_model=PasswordChangedOut, responses={**WRITE, **problems(429)})
def change_password(
    body: PasswordChangeIn,
    writer: WriterDep,
    token: BearerToken,
    client: ClientAddress,
    db: DbDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Change your password, giving the current one. A wrong one is 403 `wrong_password` and
    counts as a failed sign-in (too many are 429 `too_many_attempts`); the new one follows the
    rules of `POST /users` (422 `weak_password`). The token of this request stays valid; every
    other token of yours is revoked (`revoked` says how many)."""
    replayed = writer.replay()
    if replayed is not None:  # a retry is answered before the old password is tried again
        return replayed
    assert token is not None  # the writer's principal has already refused a missing token
    return lifecycle.change_own_password(
        db,
        settings,
        writer.actor,
        token,
        body.current_password,
        body.new_password,
        client,
        lambda operation: writer.run(operation, PasswordChangedOut),
    )
