"""The coordinator's pages: a project's budget and hours, its activities (create, pause, resume,
close), sheets of claim QR codes to print, and claims to approve or reject in bulk.

Coordinators act inside their own projects, administrators everywhere; auditors read the same
pages without their forms, and never see codes. Forms that create something carry a one-time
key, so a form sent twice (a double tap, a reload) acts once and shows the first outcome.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import APIRouter, Form, Path
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from torekes.api.schemas import MAX_ID, ActivityIn, BatchIn, BulkDecisionIn
from torekes.api.sheets import sheet_cells
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.earning import RewardKind
from torekes.domain.reporting import MAX_MONTHS, Month
from torekes.services import activities, claim_codes, claim_queue, clock, projects, reports
from torekes.services.activities import ActivityCommand
from torekes.services.claim_codes import BatchCommand
from torekes.services.reports import ProjectReport
from torekes.services.unit_of_work import (
    WriteContext,
    request_fingerprint,
    write,
    write_idempotently,
)
from torekes.services.views import ProjectView
from torekes.web.forms import hours as parse_hours
from torekes.web.forms import minor_units
from torekes.web.problems import N_, PLAIN_WORDS, SOMETHING_WRONG
from torekes.web.session import Page, PageContext

router = APIRouter(include_in_schema=False)

READERS = (Role.ADMIN, Role.COORDINATOR, Role.AUDITOR)
ACTORS = (Role.ADMIN, Role.COORDINATOR)
STATUS_ACTIONS = ("pause", "resume", "close")

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Typed = Annotated[str, Form(max_length=1000)]
LongText = Annotated[str, Form(max_length=10_000)]
T = TypeVar("T")

# What a field's refusal means on the form, in plain words.
FIELD_WORDS: dict[str, str] = {
    "title": N_("Give the activity a name of at most 200 characters."),
    "description": N_("The description is too long or holds characters that cannot be shown."),
    "reward_kind": N_("Choose a fixed reward or a reward per hour."),
    "reward_amount": N_("Type the reward as a number above zero."),
    "max_hours": N_("Type the most hours per claim: above zero, at most two decimals."),
    "capacity": N_("Type each limit as a whole number of at least 1, or leave it empty."),
    "per_member_limit": N_("Type each limit as a whole number of at least 1, or leave it empty."),
    "period_limit": N_("Type each limit as a whole number of at least 1, or leave it empty."),
    "period": N_("Choose a day or a week for the limit per period."),
    "valid_from": N_("That date and time is not valid."),
    "valid_until": N_("That date and time is not valid."),
    "expires_at": N_("Choose an expiry in the future."),
    "kind": N_("Choose codes that can be used once or several times."),
    "count": N_("A sheet holds 1 to 500 codes."),
    "max_uses": N_("Type how often each code may be used: a whole number of at least 1."),
    "claim_ids": N_("Select at least one claim (at most 500)."),
    "reason": N_("The reason is too long or holds characters that cannot be shown."),
    "decision": N_("Choose to approve or to reject."),
}


# --- projects --------------------------------------------------------------------------------


@router.get("/projects")
def project_list(page: Page) -> Response:
    """The projects the person coordinates (administrators and auditors: all), with what is left."""
    actor = page.guard(*READERS)
    if isinstance(actor, Response):
        return actor
    found = projects.list_projects(page.db, actor)
    return page.render("coord_projects.html", projects=found, decimals=page.decimals_of)


@router.get("/projects/{project_id}")
def project_page(page: Page, project_id: Id) -> Response:
    """The budget, the hours and tokens of this month and in total, and the activities."""
    actor = page.guard(*READERS)
    if isinstance(actor, Response):
        return actor
    try:
        project = projects.get_project(page.db, actor, project_id)
        listed = activities.list_activities(page.db, actor, project_id)
        summaries = {a.id: activities.summary(page.db, actor, a.id) for a in listed}
        report = _report(page, actor, project)
    except errors.TorekesError as error:
        return page.problem(error)
    return _render(
        page,
        "coord_project.html",
        actor,
        project=project,
        activities=listed,
        summaries=summaries,
        this_month=report.months[-1],
        total=report.total,
        waiting=sum(summary.claims_pending for summary in summaries.values()),
        decimals=page.decimals_of(project.currency),
    )


def _report(page: PageContext, actor: Principal, project: ProjectView) -> ProjectReport:
    """The project's months from its first (at most as many as a report covers) to this one."""
    zone = ZoneInfo(page.settings.timezone)
    now = Month.of(clock.now(), zone)
    first = max(Month.of(project.created_at, zone), now.minus(MAX_MONTHS - 1))
    found = reports.project_reports(
        page.db, actor, page.settings.timezone, None, project.id, (str(first), str(now))
    )
    return found[0]


@router.post("/projects/{project_id}/activities")
def create_activity(
    page: Page,
    project_id: Id,
    form_key: Typed = "",
    title: Typed = "",
    description: LongText = "",
    reward_kind: Typed = "",
    reward_amount: Typed = "",
    max_hours: Typed = "",
    requires_approval: Typed = "",
    capacity: Typed = "",
    per_member_limit: Typed = "",
    period_limit: Typed = "",
    period: Typed = "",
    valid_from: Typed = "",
    valid_until: Typed = "",
) -> Response:
    actor = page.guard(*ACTORS)
    if isinstance(actor, Response):
        return actor
    try:
        project = projects.get_project(page.db, actor, project_id)
        per_hour = reward_kind == RewardKind.PER_HOUR.value
        body = _validated(
            ActivityIn,
            {
                "title": title,
                "description": description.strip(),
                "reward_kind": reward_kind,
                "reward_amount": _reward(reward_amount, page.decimals_of(project.currency)),
                "max_hours": _max_hours(max_hours) if per_hour else None,
                "capacity": _whole(capacity, "capacity"),
                "per_member_limit": _whole(per_member_limit, "per_member_limit"),
                "period_limit": _whole(period_limit, "period_limit"),
                "period": period or None,
                "valid_from": _moment(valid_from, "valid_from", page.settings.timezone),
                "valid_until": _moment(valid_until, "valid_until", page.settings.timezone),
                "requires_approval": bool(requires_approval),
            },
        )
        command = ActivityCommand(**body.model_dump())
        made = _once(
            page,
            actor,
            form_key,
            body.model_dump(mode="json"),
            lambda ctx: activities.create_activity(ctx, project_id, command),
            lambda view: {"id": view.id},
        )
    except errors.TorekesError as error:
        return _refused(page, error)
    return page.redirect(f"/activities/{made['id']}")


# --- activities ------------------------------------------------------------------------------


@router.get("/activities/{activity_id}")
def activity_page(page: Page, activity_id: Id) -> Response:
    """The activity's rules and figures, and (for those who may see codes) a new sheet of codes."""
    actor = page.guard(*READERS)
    if isinstance(actor, Response):
        return actor
    try:
        activity = activities.get_activity(page.db, actor, activity_id)
        project = projects.get_project(page.db, actor, activity.project_id)
        summary = activities.summary(page.db, actor, activity_id)
        sheets = (
            claim_codes.list_batches(page.db, actor, activity_id) if actor.role in ACTORS else []
        )
    except errors.TorekesError as error:
        return page.problem(error)
    return _render(
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
        activity = activities.get_activity(page.db, actor, activity_id)
        project = projects.get_project(page.db, actor, activity.project_id)
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


# --- sheets of claim codes -------------------------------------------------------------------


@router.post("/activities/{activity_id}/sheets")
def create_sheet(
    page: Page,
    activity_id: Id,
    form_key: Typed = "",
    count: Typed = "",
    kind: Typed = "single",
    max_uses: Typed = "",
    expires_at: Typed = "",
) -> Response:
    actor = page.guard(*ACTORS)
    if isinstance(actor, Response):
        return actor
    try:
        activities.get_activity(page.db, actor, activity_id)
        body = _validated(
            BatchIn,
            {
                "kind": kind,
                "count": _whole(count, "count"),
                "max_uses": _whole(max_uses, "max_uses") if kind == "multi" else 1,
                "expires_at": _moment(expires_at, "expires_at", page.settings.timezone),
            },
        )
        command = BatchCommand(body.kind, body.count, body.max_uses, body.expires_at)
        made = _once(
            page,
            actor,
            form_key,
            body.model_dump(mode="json"),
            lambda ctx: claim_codes.create_batch(ctx, page.settings, activity_id, command),
            lambda view: {"id": view.id},
        )
    except errors.TorekesError as error:
        return _refused(page, error)
    return page.redirect(f"/sheets/{made['id']}")


@router.get("/sheets/{batch_id}")
def sheet(page: Page, batch_id: Id) -> Response:
    """A printable A4 sheet: each code's QR (its claim URL) with the short code under it."""
    actor = page.guard(*ACTORS)
    if isinstance(actor, Response):
        return actor
    try:
        batch = claim_codes.get_batch(page.db, page.settings, actor, batch_id)
        activity = activities.get_activity(page.db, actor, batch.activity_id)
        project = projects.get_project(page.db, actor, activity.project_id)
    except errors.TorekesError as error:
        return page.problem(error)
    return _render(
        page,
        "coord_sheet.html",
        actor,
        batch=batch,
        activity=activity,
        project=project,
        cells=sheet_cells(batch),
        decimals=page.decimals_of(project.currency),
    )


# --- claims waiting for approval -------------------------------------------------------------


@router.get("/projects/{project_id}/claims")
def waiting_claims(page: Page, project_id: Id) -> Response:
    actor = page.guard(*READERS)
    if isinstance(actor, Response):
        return actor
    try:
        project = projects.get_project(page.db, actor, project_id)
        waiting = claim_queue.waiting(page.db, actor, project_id)
    except errors.TorekesError as error:
        return page.problem(error)
    return _render(
        page,
        "coord_claims.html",
        actor,
        project=project,
        claims=waiting,
        decimals=page.decimals_of(project.currency),
    )


@router.post("/projects/{project_id}/claims")
def decide_claims(
    page: Page,
    project_id: Id,
    form_key: Typed = "",
    decision: Typed = "",
    reason: Typed = "",
    claim: Annotated[list[str] | None, Form(max_length=1000)] = None,
) -> Response:
    """Approve or reject the selected claims; each is decided on its own, as the page shows."""
    actor = page.guard(*ACTORS)
    if isinstance(actor, Response):
        return actor
    try:
        project = projects.get_project(page.db, actor, project_id)
        if decision not in claim_queue.DECISIONS:
            raise errors.InvalidInput(field="decision")
        ids = [_whole(typed, "claim_ids") for typed in claim or []]
        body = _validated(BulkDecisionIn, {"claim_ids": ids, "reason": reason.strip()})
        known = {c.id: c for c in claim_queue.waiting(page.db, actor, project_id)}
        outcomes = _once(
            page,
            actor,
            form_key,
            {"decision": decision, **body.model_dump(mode="json")},
            lambda ctx: claim_queue.decide(ctx, project_id, body.claim_ids, decision, body.reason),
            lambda found: [
                {"claim_id": o.claim_id, "ok": o.ok, "error_code": o.error_code} for o in found
            ],
        )
    except errors.TorekesError as error:
        return _refused(page, error)
    rows = [
        (
            outcome,
            known.get(outcome["claim_id"]),
            None if outcome["ok"] else _words_of(outcome["error_code"]),
        )
        for outcome in outcomes
    ]
    status = 200 if any(outcome["ok"] for outcome in outcomes) else 409
    return _render(
        page,
        "coord_decided.html",
        actor,
        status,
        project=project,
        rows=rows,
        decision=decision,
        decimals=page.decimals_of(project.currency),
    )


# --- helpers ---------------------------------------------------------------------------------


def _render(
    page: PageContext, template: str, actor: Principal, status: int = 200, **values: Any
) -> Response:
    """A page with what every coordinator's page needs: whether the person may act (auditors
    read only), a fresh one-time form key, and hours written the way the language writes them."""
    return page.render(
        template,
        status,
        may_act=actor.role in ACTORS,
        form_key=secrets.token_urlsafe(24),
        hours=lambda number: format_decimal(number, locale=page.lang),
        **values,
    )


def _once(
    page: PageContext,
    actor: Principal,
    form_key: str,
    form: dict[str, Any],
    operation: Callable[[WriteContext], T],
    outcome: Callable[[T], Any],
) -> Any:
    """Run the write once per form key: the same form sent again gets the first outcome back."""
    if not form_key:
        return outcome(write(page.db, actor, operation))
    fingerprint = request_fingerprint(
        "POST", page.request.url.path, json.dumps(form, sort_keys=True).encode()
    )
    stored = write_idempotently(
        page.db,
        actor,
        f"page-form:{form_key}",
        fingerprint,
        operation,
        lambda result: (200, outcome(result)),
    )
    return stored.body


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], values: dict[str, Any]) -> M:
    """The form as the API's request body, checked by the same rules; a refusal names its field."""
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise errors.InvalidInput(first["msg"], field=field) from None


def _refused(page: PageContext, error: errors.TorekesError) -> Response:
    field = error.extra.get("field")
    if isinstance(error, errors.InvalidInput) and field in FIELD_WORDS:
        return page.render("problem.html", 422, message=FIELD_WORDS[field])
    return page.problem(error)


def _words_of(code: str | None) -> str:
    return PLAIN_WORDS.get(code or "", SOMETHING_WRONG)


def _whole(typed: str, field: str) -> int | None:
    text = typed.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise errors.InvalidInput(field=field)
    return int(text)


def _reward(typed: str, decimals: int) -> int:
    try:
        return minor_units(typed, decimals)
    except errors.InvalidInput:
        raise errors.InvalidInput(field="reward_amount") from None


def _max_hours(typed: str) -> Decimal:
    try:
        found = parse_hours(typed)
    except errors.InvalidInput:
        found = None
    if found is None:
        raise errors.InvalidInput(field="max_hours")
    return found


def _moment(typed: str, field: str, timezone: str) -> datetime | None:
    """A date and time as a phone's picker sends it, on the installation's local clock."""
    text = typed.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise errors.InvalidInput(field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment
