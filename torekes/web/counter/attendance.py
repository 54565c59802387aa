"""An attendance list after a garden morning: a coordinator of the activity's project (or an
administrator) lists the card numbers of the members who were there, one per line, and the hours;
the coordinator vouches for them (no PIN is asked). Each line is recorded as one claim for that
member, or refused on its own; the page shows each line's outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response
from pydantic import TypeAdapter

from torekes.api.schemas import AttendanceRowOut
from torekes.counter.attendance import MAX_LINES, AttendanceList, record_attendance
from torekes.domain import errors
from torekes.web.coordinator.activities import activity_and_project
from torekes.web.counter.consent import explaining
from torekes.web.fields import MAX_TYPED_HOURS, Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.forms import hours as parse_hours
from torekes.web.problems import N_, PLAIN_WORDS, SOMETHING_WRONG
from torekes.web.roles import PROJECT_ACTORS
from torekes.web.session import CurrentPage
from torekes.web.writes import write_once

router = APIRouter(include_in_schema=False)

Rows = TypeAdapter(list[AttendanceRowOut])
# A line's refusal as the coordinator reads it: about the member listed, not the reader.
LINE_WORDS = {
    "card_number_mistyped": N_("Mistyped: check the ten digits."),
    "card_not_found": N_("No card has this number."),
    "card_blocked": N_("This card is blocked."),
    "card_listed_twice": N_("Listed twice: this card is on an earlier line, recorded there."),
    "too_many_attempts": N_("Not tried: too many numbers that name no card. Wait a while."),
    "activity_full": N_("The activity is full."),
    "member_limit_reached": N_("This member has claimed this as often as they may."),
    "member_daily_limit_reached": N_("This member has already claimed this today."),
    "member_weekly_limit_reached": N_("This member has already claimed this this week."),
    "budget_exhausted": N_("The project's budget is used up."),
    "no_member_account": N_("This member has no wallet in this currency."),
    "user_inactive": N_("This member is deactivated."),
}
Hours = Annotated[str, Form(max_length=MAX_TYPED_HOURS)]
Cards = Annotated[str, Form(max_length=MAX_LINES * 40)]


def _form(activity_id: int) -> str:
    return f"/activities/{activity_id}/attendance"


@router.get("/activities/{activity_id}/attendance")
def attendance_form(page: CurrentPage, activity_id: PathId) -> Response:
    """The hours and the card numbers of who was there."""
    actor = page.require(*PROJECT_ACTORS, back=_form(activity_id))
    with explaining(page, f"/activities/{activity_id}"):
        activity, project = activity_and_project(page, actor, activity_id)
    return page.render(
        "counter/attendance.html", activity=activity, project=project, max_lines=MAX_LINES
    )


@router.post("/activities/{activity_id}/attendance")
@drawn_on(lambda page, path: attendance_form(page, int(path["activity_id"])))
def record(
    page: CurrentPage, activity_id: PathId, cards: Cards = "", hours: Hours = "", key: Key = ""
) -> Response:
    """Each listed member's claim, recorded once per form; every line's outcome."""
    actor = page.require(*PROJECT_ACTORS, back=_form(activity_id))
    with explaining(page, _form(activity_id)):
        activity, project = activity_and_project(page, actor, activity_id)
        listed = [line.strip() for line in cards.splitlines() if line.strip()]
        if not listed:
            raise errors.CardNotFound()
        order = AttendanceList(activity_id, listed, parse_hours(hours, page.lang))
        body = write_once(
            page,
            actor,
            key,
            {"cards": listed, "hours": str(order.hours)},
            lambda ctx: record_attendance(ctx, page.settings, order),
            lambda rows: (200, Rows.dump_python(Rows.validate_python(rows), mode="json")),
        )
    rows = Rows.validate_python(body)
    return page.render(
        "counter/attended.html",
        activity=activity,
        project=project,
        rows=rows,
        words={row.line: _said(row.refusal) for row in rows if row.refusal},
        decimals=page.decimals_of(project.currency),
    )


def _said(code: str) -> str:
    """A line's refusal, known only by its stored code: its words, unless they name values the
    code does not carry (the page would fail to draw them), then the general words."""
    words = LINE_WORDS.get(code) or PLAIN_WORDS.get(code, SOMETHING_WRONG)
    return SOMETHING_WRONG if "%(" in words else words
