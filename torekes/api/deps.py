"""FastAPI dependencies: the database, settings, the authenticated principal, and the writer
that runs a write use case in its transaction, honouring ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, TypeAdapter

from torekes.api.errors import REPLAYED_HEADER, refusal_problem
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.identity import auth
from torekes.kit.unit_of_work import (
    KeyedRequest,
    StoredResponse,
    WriteContext,
    request_fingerprint,
    stored_response,
    write,
    write_idempotently,
)
from torekes.settings import Settings

T = TypeVar("T")

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_principal(
    db: DbDep, settings: SettingsDep, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal:
    if not token:
        raise errors.Unauthenticated("Send a bearer token: Authorization: Bearer <token>")
    return auth.principal_for_token(db, settings, token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
BearerToken = Annotated[str | None, Depends(bearer_scheme)]


@cache
def _adapter(schema: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(schema)


class Writer:
    """Runs one write use case in one database transaction and renders its response."""

    def __init__(self, db: Database, actor: Principal, keyed: KeyedRequest | None) -> None:
        self.db = db
        self.actor = actor
        self.keyed = keyed

    def run(
        self,
        operation: Callable[[WriteContext], T],
        schema: type[BaseModel] | TypeAdapter[Any],
        status_code: int = 200,
        deferred: tuple[type[Any], type[BaseModel], int] | None = None,
    ) -> JSONResponse:
        """Run ``operation`` and render its result with ``schema`` and ``status_code``; a result
        of the type ``deferred`` names (a request filed for approval, say) is rendered with that
        schema and status instead."""
        adapter = schema if isinstance(schema, TypeAdapter) else _adapter(schema)

        def render(result: T) -> tuple[int, Any]:
            if deferred is not None and isinstance(result, deferred[0]):
                other = _adapter(deferred[1])
                validated = other.validate_python(result, from_attributes=True)
                return deferred[2], other.dump_python(validated, mode="json")
            validated = adapter.validate_python(result, from_attributes=True)
            return status_code, adapter.dump_python(validated, mode="json")

        if self.keyed is None:
            status, body = render(write(self.db, self.actor, operation))
            return JSONResponse(body, status_code=status)
        return _respond(write_idempotently(self.db, self.actor, self.keyed, operation, render))

    def replay(self) -> JSONResponse | None:
        """The stored response when this request retries an earlier one with its key (a stored
        refusal is raised again, and answered as it was)."""
        if self.keyed is None:
            return None
        stored = stored_response(self.db, self.actor, self.keyed)
        return None if stored is None else _respond(stored)


def _respond(stored: StoredResponse) -> JSONResponse:
    headers = {REPLAYED_HEADER: "true"} if stored.replayed else {}
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)


async def get_writer(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Retry-safe key: the same key and body replay the first response "
            "(a refusal once the write has begun included); the same key with another body is "
            "refused with 409 idempotency_key_reused.",
        ),
    ] = None,
) -> Writer:
    if idempotency_key is None:
        return Writer(db, actor, None)
    body = await request.body()
    path = request.url.path
    keyed = KeyedRequest(
        idempotency_key,
        request_fingerprint(request.method, path, body),
        settings.secret_key,
        refusal_problem(path),
    )
    return Writer(db, actor, keyed)


WriterDep = Annotated[Writer, Depends(get_writer)]
