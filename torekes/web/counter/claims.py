"""A claim recorded for a member by a coordinator of the activity's project (or an
administrator): the hours and the member's card number, then the member types the PIN; the page
says what was recorded, by whom for whom."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from torekes.api.schemas import ClaimRecordedOut
from torekes.counter import acts
from torekes.counter.acts import ClaimForCard
from torekes.domain import errors
from torekes.web.coordinator.activities import activity_and_project
from torekes.web.counter.consent import (
    CARD_NOW_LOCKED,
    PROBLEM,
    CardText,
    Pin,
    consented_once,
    explaining,
    pin_page,
    typed_card,
)
from torekes.web.fields import MAX_TYPED_HOURS, Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.forms import hours as parse_hours
from torekes.web.roles import PROJECT_ACTORS
from torekes.web.session import CurrentPage
from torekes.web.writes import as_api, carried_key, new_key

router = APIRouter(include_in_schema=False)

Hours = Annotated[str, Form(max_length=MAX_TYPED_HOURS)]


def _form(activity_id: int) -> str:
    return f"/activities/{activity_id}/claim-for"


@router.get("/activities/{activity_id}/claim-for")
def claim_form(page: CurrentPage, activity_id: PathId) -> Response:
    """The hours and the member's card number."""
    actor = page.require(*PROJECT_ACTORS, back=_form(activity_id))
    with explaining(page, f"/activities/{activity_id}"):
        activity, project = activity_and_project(page, actor, activity_id)
    return page.render("counter/claim_for.html", activity=activity, project=project)


@router.post("/activities/{activity_id}/claim-for")
@drawn_on(lambda page, path: claim_form(page, int(path["activity_id"])))
def asks_pin(
    page: CurrentPage,
    activity_id: PathId,
    card: CardText = "",
    hours: Hours = "",
    key: Key = "",
) -> Response:
    """The number checked for its form and check digit; then the device goes to the member,
    with the form's key."""
    actor = page.require(*PROJECT_ACTORS, back=_form(activity_id))
    with explaining(page, _form(activity_id)):
        key = carried_key(key)
        activity, _project = activity_and_project(page, actor, activity_id)
        typed = typed_card(card)
        acts.check_claim_for(page.db, actor, activity_id, parse_hours(hours, page.lang))
    fields = {"card": typed, "hours": hours.strip()}
    back = _form(activity_id)
    return pin_page(page, f"{back}/record", fields, key, back, activity=activity)


@router.post("/activities/{activity_id}/claim-for/record")
@drawn_on(lambda page, path: claim_form(page, int(path["activity_id"])))
def record(
    page: CurrentPage,
    activity_id: PathId,
    card: CardText = "",
    hours: Hours = "",
    pin: Pin = "",
    key: Key = "",
) -> Response:
    """The claim, with the PIN as the member's consent, recorded once per form."""
    actor = page.require(*PROJECT_ACTORS, back=_form(activity_id))
    back = _form(activity_id)
    with explaining(page, back):
        activity, _project = activity_and_project(page, actor, activity_id)
        typed = typed_card(card)
        order = ClaimForCard(typed, pin, activity_id, parse_hours(hours, page.lang))
        try:
            stored = consented_once(
                page,
                actor,
                key,
                {"card": typed, "pin": pin, "hours": str(order.hours)},
                as_api(ClaimRecordedOut),
                lambda commit: acts.claim_for_card(page.db, page.settings, actor, order, commit),
            )
        except errors.WrongPin as error:
            left = int(error.extra.get("tries_left", 0))
            if left:
                fields = {"card": typed, "hours": hours.strip()}
                return pin_page(
                    page,
                    f"{back}/record",
                    fields,
                    new_key(),
                    back,
                    tries_left=left,
                    activity=activity,
                )
            return page.refuse(CARD_NOW_LOCKED, 409, PROBLEM, back=back)
    recorded = ClaimRecordedOut.model_validate(stored.body)
    return page.render(
        "counter/claimed.html",
        201,
        recorded=recorded,
        decimals=page.decimals_of(recorded.currency),
        activity=activity,
    )
