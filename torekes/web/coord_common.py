"""What the coordinator's pages share: who may read and who may act, how a page is drawn, how a
form's fields are checked by the API's own rules and refused in plain words, and the write that a
form's one-time key runs once.

Coordinators act inside their own projects, administrators everywhere; auditors read the same
pages without their forms, and never see codes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import Form, Path
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from torekes.api.schemas import MAX_ID
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.earning import activities, projects
from torekes.earning.read_models import ActivityView, ProjectView
from torekes.kit.unit_of_work import WriteContext, write
from torekes.web.once import new_key, write_once
from torekes.web.problems import N_
from torekes.web.session import PageContext

READERS = (Role.ADMIN, Role.COORDINATOR, Role.AUDITOR)
ACTORS = (Role.ADMIN, Role.COORDINATOR)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Typed = Annotated[str, Form(max_length=1000)]
LongText = Annotated[str, Form(max_length=10_000)]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

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


def render(
    page: PageContext, template: str, actor: Principal, status: int = 200, **values: Any
) -> Response:
    """A page with what every coordinator's page needs: whether the person may act (auditors
    read only), a fresh one-time form key, and hours written the way the language writes them."""
    return page.render(
        template,
        status,
        may_act=actor.role in ACTORS,
        form_key=new_key(),
        hours=lambda number: format_decimal(number, locale=page.lang),
        **values,
    )


def activity_and_project(
    page: PageContext, actor: Principal, activity_id: int
) -> tuple[ActivityView, ProjectView]:
    """An activity the person may see, with the project it belongs to."""
    activity = activities.get_activity(page.db, actor, activity_id)
    return activity, projects.get_project(page.db, actor, activity.project_id)


def once(
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
    stored = write_once(
        page, actor, f"page-form:{form_key}", form, operation, lambda result: (200, outcome(result))
    )
    return stored.body


def validated(model: type[M], values: dict[str, Any]) -> M:
    """The form as the API's request body, checked by the same rules; a refusal names its field."""
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise errors.InvalidInput(first["msg"], field=field) from None


def refused(page: PageContext, error: errors.TorekesError) -> Response:
    field = error.extra.get("field")
    if isinstance(error, errors.InvalidInput) and field in FIELD_WORDS:
        return page.render("problem.html", 422, message=FIELD_WORDS[field])
    return page.problem(error)


def whole(typed: str, field: str) -> int | None:
    text = typed.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise errors.InvalidInput(field=field)
    return int(text)


def moment(typed: str, field: str, timezone: str) -> datetime | None:
    """A date and time as a phone's picker sends it, on the installation's local clock."""
    text = typed.strip()
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise errors.InvalidInput(field=field) from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=ZoneInfo(timezone))
    return found
