"""The coordinator's activity pages: an activity's rules and figures (with its sheets of codes
for those who may see codes), and pausing, resuming or closing it; closing is final, so it is
asked once more on a page of its own.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.domain import errors
from torekes.earning import activities, claim_codes
from torekes.kit.unit_of_work import write
from torekes.web.coord_common import ACTORS, READERS, Id, activity_and_project, render
from torekes.web.session import Page

router = APIRouter(include_in_schema=False)

STATUS_ACTIONS = ("pause", "resume", "close")


@router.get("/activities/{activity_id}")
def activity_page(page: Page, activity_id: Id) -> Response:
    """The activity's rules and figures, and (for those who may see codes) a new sheet of codes."""
    actor = page.guard(*READERS)
    if isinstance(actor, Response):
        return actor
    try:
        activity, project = activity_and_project(page, actor, activity_id)
        summary = activities.summary(page.db, actor, activity_id)
        sheets = (
            claim_codes.list_batches(page.db, actor, activity_id) if actor.role in ACTORS else []
        )
    except errors.TorekesError as error:
        return page.problem(error)
    return render(
        page,
        "coord_activity.html",
        actor,
        activity=activity,
        project=project,
        summary=summary,
        sheets=sheets,
        decimals=page.decimals_of(project.currency),
    )


@router.get("/activities/{activity_id}/close")
def confirm_close(page: Page, activity_id: Id) -> Response:
    """Closing is final, so it is asked once more on a page of its own."""
    actor = page.guard(*ACTORS)
    if isinstance(actor, Response):
        return actor
    try:
        activity, project = activity_and_project(page, actor, activity_id)
    except errors.TorekesError as error:
        return page.problem(error)
    return page.render("coord_close.html", activity=activity, project=project)


def _status_route(action: str) -> None:
    def change(page: Page, activity_id: Id) -> Response:
        actor = page.guard(*ACTORS)
        if isinstance(actor, Response):
            return actor
        try:
            activity = activities.get_activity(page.db, actor, activity_id)
            write(page.db, actor, lambda ctx: activities.change_status(ctx, activity_id, action))
        except errors.TorekesError as error:
            return page.problem(error)
        return page.redirect(f"/projects/{activity.project_id}#activity-{activity_id}")

    change.__name__ = f"{action}_activity_page"
    router.add_api_route(f"/activities/{{activity_id}}/{action}", change, methods=["POST"])


for _action in STATUS_ACTIONS:
    _status_route(_action)
