"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from torekes.api.deps import DbDep
from torekes.api.schemas import HealthOut, ReadyOut
from torekes.db.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """The process is up (touches nothing else)."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def readyz(db: DbDep) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    try:
        with db.read_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(db.read_engine)
    except SQLAlchemyError:
        body = ReadyOut(status="unavailable", database="unreachable", schema_revision=None)
        return JSONResponse(body.model_dump(), status_code=503)
    if revision != head_revision():
        body = ReadyOut(status="unavailable", database="not migrated", schema_revision=revision)
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(ReadyOut(status="ok", database="ok", schema_revision=revision).model_dump())
