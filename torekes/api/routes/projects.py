"""Projects and their activities: administrators create projects; coordinators run their own."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, WriterDep
from torekes.api.routes.common import READ, WRITE, ActivityId, ProjectId
from torekes.api.schemas import (
    ActivityIn,
    ActivityOut,
    ActivitySummaryOut,
    CoordinatorIn,
    ProjectIn,
    ProjectOut,
)
from torekes.earning import activities, projects
from torekes.earning.activities import ActivityCommand
from torekes.earning.projects import ProjectCommand
from torekes.earning.read_models import ActivitySummary, ActivityView, ProjectView

router = APIRouter(tags=["projects"])


@router.post("/projects", status_code=201, response_model=ProjectOut, responses=WRITE)
def create_project(body: ProjectIn, writer: WriterDep) -> JSONResponse:
    """A project with a budget account of its own; fund it with `POST /issuances` (admin)."""
    command = ProjectCommand(body.name, body.currency, body.coordinator_ids)
    return writer.run(lambda ctx: projects.create_project(ctx, command), ProjectOut, 201)


@router.get("/projects", response_model=list[ProjectOut], responses=READ)
def list_projects(actor: CurrentPrincipal, db: DbDep) -> list[ProjectView]:
    """All projects for administrators and auditors; a coordinator's own projects."""
    return projects.list_projects(db, actor)


@router.get("/projects/{project_id}", response_model=ProjectOut, responses=READ)
def get_project(project_id: ProjectId, actor: CurrentPrincipal, db: DbDep) -> ProjectView:
    return projects.get_project(db, actor, project_id)


@router.post("/projects/{project_id}/coordinators", response_model=ProjectOut, responses=WRITE)
def add_coordinator(project_id: ProjectId, body: CoordinatorIn, writer: WriterDep) -> JSONResponse:
    return writer.run(
        lambda ctx: projects.add_coordinator(ctx, project_id, body.user_id), ProjectOut
    )


@router.post(
    "/projects/{project_id}/activities",
    status_code=201,
    response_model=ActivityOut,
    responses=WRITE,
)
def create_activity(project_id: ProjectId, body: ActivityIn, writer: WriterDep) -> JSONResponse:
    command = ActivityCommand(**body.model_dump())
    return writer.run(
        lambda ctx: activities.create_activity(ctx, project_id, command), ActivityOut, 201
    )


@router.get("/projects/{project_id}/activities", response_model=list[ActivityOut], responses=READ)
def list_activities(
    project_id: ProjectId, actor: CurrentPrincipal, db: DbDep
) -> list[ActivityView]:
    return activities.list_activities(db, actor, project_id)


@router.get("/activities/{activity_id}", response_model=ActivityOut, responses=READ)
def get_activity(activity_id: ActivityId, actor: CurrentPrincipal, db: DbDep) -> ActivityView:
    return activities.get_activity(db, actor, activity_id)


@router.get("/activities/{activity_id}/summary", response_model=ActivitySummaryOut, responses=READ)
def activity_summary(
    activity_id: ActivityId, actor: CurrentPrincipal, db: DbDep
) -> ActivitySummary:
    """Claims, hours, tokens paid and unique volunteers (paid claims; pending shown apart)."""
    return activities.summary(db, actor, activity_id)


def _status_route(action: Literal["pause", "resume", "close"]) -> None:
    def change(activity_id: ActivityId, writer: WriterDep) -> JSONResponse:
        return writer.run(
            lambda ctx: activities.change_status(ctx, activity_id, action), ActivityOut
        )

    change.__name__ = f"{action}_activity"
    router.add_api_route(
        f"/activities/{{activity_id}}/{action}",
        change,
        methods=["POST"],
        response_model=ActivityOut,
        responses=WRITE,
        summary=f"{action.capitalize()} an activity",
    )


_ACTIONS: tuple[Literal["pause", "resume", "close"], ...] = ("pause", "resume", "close")
for _action in _ACTIONS:
    _status_route(_action)
