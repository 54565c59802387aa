"""What every administrator's and auditor's page shares: who may look (administrators and
auditors), who may act (administrators only: an auditor changes nothing, so every form of
theirs is refused with a 403 page), form fields, and a write that answers a refusal with a page
in plain words, or a form's whole round: the write, then on to the page that shows it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Form, Path
from fastapi.responses import Response

from torekes.api.schemas import MAX_ID
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.kit.unit_of_work import WriteContext, write
from torekes.web.problems import N_
from torekes.web.session import PageContext

T = TypeVar("T")

READERS = (Role.ADMIN, Role.AUDITOR)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Reason = Annotated[str, Form(max_length=500)]

KIND_NAMES = {
    "issuance": N_("Issuance"),
    "budget": N_("Project budget"),
    "member": N_("Member wallet"),
    "shop": N_("Shop"),
    "partner": N_("Partner"),
    "redemption": N_("Redeemed tokens"),
}
STATUS_NAMES = {
    "active": N_("active"),
    "frozen": N_("frozen"),
    "closed": N_("closed"),
    "blocked": N_("blocked"),
    "requested": N_("requested"),
    "approved": N_("approved"),
    "paid": N_("paid"),
    "rejected": N_("rejected"),
    "open": N_("open"),
}
ROLE_NAMES = {
    "admin": N_("Administrator"),
    "auditor": N_("Auditor"),
    "coordinator": N_("Coordinator"),
    "shopkeeper": N_("Shopkeeper"),
    "member": N_("Member"),
}
NAMES: dict[str, Any] = {
    "kind_names": KIND_NAMES,
    "status_names": STATUS_NAMES,
    "role_names": ROLE_NAMES,
}


def reader(page: PageContext) -> Principal | Response:
    """An administrator or an auditor; otherwise the sign-in redirect or a 403 page."""
    return page.guard(*READERS)


def actor(page: PageContext) -> Principal | Response:
    """For a form: an administrator (auditors get a 403 page)."""
    return page.guard(Role.ADMIN)


def run(page: PageContext, who: Principal, operation: Callable[[WriteContext], T]) -> T | Response:
    """One write as ``who``; a refusal becomes a page in plain words and changes nothing."""
    try:
        return write(page.db, who, operation)
    except errors.TorekesError as error:
        return page.problem(error)


def act(
    page: PageContext,
    operation: Callable[[WriteContext], T],
    then: str | Callable[[T], str],
    refusal: str | None = None,
) -> Response:
    """A form's write as an administrator, then a redirect to ``then`` (or to the address it
    makes of the result). An auditor gets a 403 page; a form filled in wrongly (``refusal``: what
    to fix) a page saying so, before any service is asked; a refusal of the service a page in
    plain words."""
    who = actor(page)
    if isinstance(who, Response):
        return who
    if refusal is not None:
        return refuse(page, refusal)
    done = run(page, who, operation)
    if isinstance(done, Response):
        return done
    return page.redirect(then if isinstance(then, str) else then(done))


def refuse(page: PageContext, message: str, status_code: int = 422) -> Response:
    """A form filled in wrongly, before any service is asked: a page saying what to fix."""
    return page.render("problem.html", status_code, message=message)


def can_act(who: Principal) -> bool:
    """Whether the page shows its forms: administrators act, auditors only read."""
    return who.role is Role.ADMIN
