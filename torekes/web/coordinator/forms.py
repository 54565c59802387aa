"""The coordinator's forms: what they send, read the way the API reads the same request (the
fields with their limits, whole numbers and dates as a phone types them, the form checked by the
API's own request model), a refusal that names the field to fix in plain words
(``project_form``), and the write that a form's one-time key (``key``) runs once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Form
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.web.problems import N_
from torekes.web.refusals import refusals_as_pages
from torekes.web.roles import PROJECT_ACTORS
from torekes.web.session import PageContext
from torekes.web.writes import Confirmation, Operation, write_once

Typed = Annotated[str, Form(max_length=1000)]
LongText = Annotated[str, Form(max_length=10_000)]
M = TypeVar("M", bound=BaseModel)


class Made(Protocol):
    """What a form creates: it has an id, which the page goes on to."""

    @property
    def id(self) -> int: ...


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
    "claim": N_("Select at least one claim (at most 500)."),
    "reason": N_("The reason is too long or holds characters that cannot be shown."),
    "decision": N_("Choose to approve or to reject."),
}


def create_once(
    page: PageContext,
    actor: Principal,
    key: str,
    body: BaseModel,
    operation: Operation[Made],
    confirmation: Confirmation | None = None,
) -> int:
    """Create what the form asks (``body``: the form as the API's request) once per form key, and
    answer the id of what was made: the first one's, for the same form sent again. With a
    ``confirmation`` of an amount above its currency's limit, only once the form confirms it."""
    made = write_once(
        page,
        actor,
        key,
        body.model_dump(mode="json"),
        operation,
        lambda view: (200, {"id": view.id}),
        confirmation,
    )
    return int(made["id"])


def validated(model: type[M], values: dict[str, Any], fields: Mapping[str, str] | None = None) -> M:
    """The form as the API's request body, checked by the same rules; a refusal names its form
    field (the body's field, or the form's name for it in ``fields``)."""
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raise errors.InvalidInput(first["msg"], field=(fields or {}).get(field, field)) from None


def refused(page: PageContext, error: errors.TorekesError) -> Response:
    """A refusal of the form: what to fix in the field it names, else the refusal in plain words
    (a number or an amount read wrongly says exactly what is wrong with it)."""
    field = error.extra.get("field")
    said_by_field = (errors.InvalidInput.code, errors.AmountRequired.code)
    if error.code in said_by_field and field in FIELD_WORDS:
        return page.refuse(FIELD_WORDS[field], field=field)
    return page.problem(error)


@contextmanager
def project_form(page: PageContext) -> Iterator[Principal]:
    """The coordinator (or administrator) sending a form of a project's pages; inside, a refusal
    is answered with ``refused``'s page, which names the field to fix."""
    actor = page.require(*PROJECT_ACTORS)
    with refusals_as_pages(partial(refused, page)):
        yield actor


def whole(typed: str, field: str) -> int | None:
    """A typed whole number of at least 0, or None when the field was left empty."""
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
