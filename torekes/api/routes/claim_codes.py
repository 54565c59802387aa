"""Claim codes: batches, their printable sheet, QR images and revocation (coordinators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import HTMLResponse, JSONResponse, Response

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.images import IMAGE_RESPONSES, ImageFormat, qr_image
from torekes.api.routes.common import READ, WRITE, ActivityId, BatchId, CodeId
from torekes.api.schemas import BatchIn, BatchOut, CodeOut
from torekes.documents.sheets import Reader, render_sheet
from torekes.earning import activities, claim_codes, projects
from torekes.earning.claim_codes import BatchCommand
from torekes.earning.read_models import BatchView
from torekes.kit.languages import negotiated
from torekes.ledger import currencies

router = APIRouter(tags=["claim codes"])


@router.post(
    "/activities/{activity_id}/code-batches",
    status_code=201,
    response_model=BatchOut,
    responses=WRITE,
)
def create_batch(
    activity_id: ActivityId, body: BatchIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """`count` single-use codes (a sheet), or `count` multi-use codes (posters) that each allow
    `max_uses` claims until `expires_at`."""
    command = BatchCommand(body.kind, body.count, body.max_uses, body.expires_at)
    return writer.run(
        lambda ctx: claim_codes.create_batch(ctx, settings, activity_id, command), BatchOut, 201
    )


@router.get("/code-batches/{batch_id}", response_model=BatchOut, responses=READ)
def get_batch(
    batch_id: BatchId, actor: CurrentPrincipal, db: DbDep, settings: SettingsDep
) -> BatchView:
    return claim_codes.get_batch(db, settings, actor, batch_id)


@router.get(
    "/code-batches/{batch_id}/sheet",
    response_class=HTMLResponse,
    responses={**READ, 200: {"content": {"text/html": {}}, "description": "A printable sheet"}},
)
def batch_sheet(
    batch_id: BatchId,
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> HTMLResponse:
    """A printable A4 sheet: per code its QR, the activity, the reward, the expiry and the short
    code to type instead of scanning; in the language of `Accept-Language` (Dutch or English,
    else Dutch)."""
    batch = claim_codes.get_batch(db, settings, actor, batch_id)
    activity = activities.get_activity(db, actor, batch.activity_id)
    project = projects.get_project(db, actor, activity.project_id)
    decimals = {c.code: c.decimals for c in currencies.list_currencies(db)}[project.currency]
    reader = Reader(negotiated(None, accept_language), settings.timezone)
    return HTMLResponse(render_sheet(batch, activity, project, decimals, reader))


@router.get(
    "/claim-codes/{code_id}/qr.{image_format}",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
def code_qr(
    code_id: CodeId,
    image_format: ImageFormat,
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
) -> Response:
    """The code's QR image (its `url`), as SVG or PNG."""
    return qr_image(claim_codes.get_code(db, settings, actor, code_id).url, image_format)


@router.post("/claim-codes/{code_id}/revoke", response_model=CodeOut, responses=WRITE)
def revoke_code(code_id: CodeId, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    return writer.run(lambda ctx: claim_codes.revoke_code(ctx, settings, code_id), CodeOut)
