"""The coordinator's activity pages: an activity's rules and figures (with its sheets of codes
for those who may see codes), and pausing, resuming or closing it; closing is final, so it is
asked once more on a page of its own.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.domain.access import Principal
from torekes.earning import activities, claim_codes, projects
from torekes.earning.read_models import ActivityView, ProjectView
from torekes.web.coordinator.rendering import render
from torekes.web.fields import Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.roles import PROJECT_ACTORS, PROJECT_READERS
from torekes.web.session import CurrentPage, PageContext
from torekes.web.writes import redirect_once

router = APIRouter(include_in_schema=False)

STATUS_ACTIONS = ("pause", "resume", "close")


@router.get("/activities/{activity_id}")
def activity_page(page: CurrentPage, activity_id: PathId) -> Response:
    """The activity's rules and figures, and (for those who may see codes) a new sheet of codes."""
    actor = page.require(*PROJECT_READERS)
    with page.explaining():
        activity, project = activity_and_project(page, actor, activity_id)
        summary = activities.summary(page.db, actor, activity_id)
        sheets = (
            claim_codes.list_batches(page.db, actor, activity_id)
            if actor.role in PROJECT_ACTORS
            else []
        )
    return render(
        page,
        "coordinator/activity.html",
        actor,
        project,
        activity=activity,
        summary=summary,
        sheets=sheets,
    )


@router.get("/activities/{activity_id}/close")
def confirm_close(page: CurrentPage, activity_id: PathId) -> Response:
    """Closing is final, so it is asked once more on a page of its own."""
    actor = page.require(*PROJECT_ACTORS)
    with page.explaining():
        activity, project = activity_and_project(page, actor, activity_id)
    return page.render("coordinator/close.html", activity=activity, project=project)


def activity_and_project(
    page: PageContext, actor: Principal, activity_id: int
) -> tuple[ActivityView, ProjectView]:
    """An activity the person may see, with the project it belongs to."""
    activity = activities.get_activity(page.db, actor, activity_id)
    return activity, projects.get_project(page.db, actor, activity.project_id)


def _status_route(action: str) -> None:
    def change(page: CurrentPage, activity_id: PathId, key: Key = "") -> Response:
        actor = page.require(*PROJECT_ACTORS)
        with page.explaining():
            activity = activities.get_activity(page.db, actor, activity_id)
            return redirect_once(
                page,
                actor,
                key,
                {"action": action},
                lambda ctx: activities.change_status(ctx, activity_id, action),
                f"/projects/{activity.project_id}#activity-{activity_id}",
            )

    change.__name__ = f"{action}_activity_page"
    # Closing is asked on a page of its own; pausing and resuming from the activity's page.
    draw = confirm_close if action == "close" else activity_page
    drawn_on(lambda page, path: draw(page, int(path["activity_id"])))(change)
    router.add_api_route(f"/activities/{{activity_id}}/{action}", change, methods=["POST"])


for _action in STATUS_ACTIONS:
    _status_route(_action)
