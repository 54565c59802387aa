"""The coordinator's project pages: the projects with what is left of their budgets, a project's
budget, hours and tokens (this month and in total) with its activities, and the form that adds
an activity to it.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.api.schemas import ActivityIn
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.earning import HOURS_QUANTUM, MAX_HOURS_PER_CLAIM, RewardKind
from torekes.domain.reporting import MAX_MONTHS, Month
from torekes.earning import activities, projects
from torekes.earning.activities import ActivityCommand
from torekes.earning.read_models import ProjectView
from torekes.kit import clock
from torekes.reporting import reports
from torekes.reporting.reports import ProjectReport
from torekes.web.confirming import ask_to_confirm
from torekes.web.coordinator.forms import (
    LongText,
    Typed,
    create_once,
    moment,
    project_form,
    validated,
    whole,
)
from torekes.web.coordinator.rendering import render
from torekes.web.fields import Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.forms import hours as parse_hours
from torekes.web.forms import minor_units
from torekes.web.roles import PROJECT_READERS
from torekes.web.session import CurrentPage, PageContext
from torekes.web.writes import Confirmation, Unconfirmed

router = APIRouter(include_in_schema=False)


@router.get("/projects")
def project_list(page: CurrentPage) -> Response:
    """The projects the person coordinates (administrators and auditors: all), with what is left."""
    actor = page.require(*PROJECT_READERS)
    found = projects.list_projects(page.db, actor)
    return page.render("coordinator/projects.html", projects=found, decimals=page.decimals_of)


@router.get("/projects/{project_id}")
def project_page(page: CurrentPage, project_id: PathId) -> Response:
    """The budget, the hours and tokens of this month and in total, and the activities."""
    actor = page.require(*PROJECT_READERS)
    with page.explaining():
        project = projects.get_project(page.db, actor, project_id)
        listed = activities.list_activities(page.db, actor, project_id)
        summaries = {a.id: activities.summary(page.db, actor, a.id) for a in listed}
        report = _report(page, actor, project)
    return render(
        page,
        "coordinator/project.html",
        actor,
        project,
        activities=listed,
        summaries=summaries,
        this_month=report.months[-1],
        total=report.total,
        first_month=report.months[0].month,
        waiting=sum(summary.claims_pending for summary in summaries.values()),
        most_hours=MAX_HOURS_PER_CLAIM,
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
@drawn_on(lambda page, path: project_page(page, int(path["project_id"])))
def create_activity(
    page: CurrentPage,
    project_id: PathId,
    key: Key = "",
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
    confirm: Typed = "",
) -> Response:
    """Add the activity; a reward above the currency's ``confirm_above`` is asked to be
    confirmed first."""
    with project_form(page) as actor:
        project = projects.get_project(page.db, actor, project_id)
        currency = page.currency_of(project.currency)
        per_hour = reward_kind == RewardKind.PER_HOUR.value
        reward = minor_units(reward_amount, currency, page.lang, field="reward_amount")
        body = validated(
            ActivityIn,
            {
                "title": title,
                "description": description.strip(),
                "reward_kind": reward_kind,
                "reward_amount": reward,
                "max_hours": _max_hours(max_hours, page.lang) if per_hour else None,
                "capacity": whole(capacity, "capacity"),
                "per_member_limit": whole(per_member_limit, "per_member_limit"),
                "period_limit": whole(period_limit, "period_limit"),
                "period": period or None,
                "valid_from": moment(valid_from, "valid_from", page.settings.timezone),
                "valid_until": moment(valid_until, "valid_until", page.settings.timezone),
                "requires_approval": bool(requires_approval),
            },
        )
        command = ActivityCommand(**body.model_dump())
        try:
            made = create_once(
                page,
                actor,
                key,
                body,
                lambda ctx: activities.create_activity(ctx, project_id, command),
                Confirmation(reward, currency.confirm_above, confirm),
            )
        except Unconfirmed as unconfirmed:
            action = f"/projects/{project_id}/activities"
            return ask_to_confirm(page, unconfirmed, currency.code, action, "reward_amount")
    return page.redirect(f"/activities/{made}")


def _max_hours(typed: str, lang: str) -> Decimal:
    """The most hours per claim: typed as the language writes them, within what a claim may."""
    found = parse_hours(typed, lang, field="max_hours")
    if found is None:
        raise errors.InvalidInput(field="max_hours")
    if not 0 < found <= MAX_HOURS_PER_CLAIM:
        raise errors.HoursOutOfRange(
            field="max_hours",
            min_hours=str(HOURS_QUANTUM),
            max_hours=str(MAX_HOURS_PER_CLAIM),
        )
    return found
