"""Sheets of claim QR codes: the form on an activity's page that makes one (codes used once or
several times, with an expiry), and the printable A4 sheet itself.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.api.schemas import BatchIn
from torekes.documents.sheets import sheet_cells
from torekes.earning import activities, claim_codes
from torekes.earning.claim_codes import BatchCommand
from torekes.web.coordinator.activities import activity_and_project, activity_page
from torekes.web.coordinator.forms import Typed, create_once, moment, project_form, validated, whole
from torekes.web.coordinator.rendering import render
from torekes.web.fields import Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.roles import PROJECT_ACTORS
from torekes.web.session import CurrentPage

router = APIRouter(include_in_schema=False)


@router.post("/activities/{activity_id}/sheets")
@drawn_on(lambda page, path: activity_page(page, int(path["activity_id"])))
def create_sheet(
    page: CurrentPage,
    activity_id: PathId,
    key: Key = "",
    count: Typed = "",
    kind: Typed = "single",
    max_uses: Typed = "",
    expires_at: Typed = "",
) -> Response:
    with project_form(page) as actor:
        activities.get_activity(page.db, actor, activity_id)
        body = validated(
            BatchIn,
            {
                "kind": kind,
                "count": whole(count, "count"),
                "max_uses": whole(max_uses, "max_uses") if kind == "multi" else 1,
                "expires_at": moment(expires_at, "expires_at", page.settings.timezone),
            },
        )
        command = BatchCommand(body.kind, body.count, body.max_uses, body.expires_at)
        made = create_once(
            page,
            actor,
            key,
            body,
            lambda ctx: claim_codes.create_batch(ctx, page.settings, activity_id, command),
        )
    return page.redirect(f"/sheets/{made}")


@router.get("/sheets/{batch_id}")
def sheet(page: CurrentPage, batch_id: PathId) -> Response:
    """A printable A4 sheet: each code's QR (its claim URL) with the short code under it."""
    actor = page.require(*PROJECT_ACTORS)
    with page.explaining():
        batch = claim_codes.get_batch(page.db, page.settings, actor, batch_id)
        activity, project = activity_and_project(page, actor, batch.activity_id)
    return render(
        page,
        "coordinator/sheet.html",
        actor,
        project,
        batch=batch,
        activity=activity,
        cells=sheet_cells(batch),
    )
