"""Claiming a reward from the phone: the page a claim QR opens (``/c/{code}``) says what the
activity is and what it pays (asking the hours when it pays per hour), one button claims, and
the next page shows the new balance, or that a coordinator will approve it first.

The form carries a one-time key made when the page was drawn, and the claim runs once per key
(``write_once_as_api``): a double tap or a reload on a poster's code, which a member may use
again, shows the first claim instead of claiming twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from babel.numbers import format_decimal
from fastapi import APIRouter, Form
from fastapi.responses import Response

from torekes.api.code_guard import guard_of
from torekes.api.schemas import ClaimOut
from torekes.domain.earning import MAX_HOURS_PER_CLAIM, RewardKind
from torekes.earning import claims
from torekes.earning.claims import ClaimCommand, ClaimPreview
from torekes.ledger import accounts
from torekes.web.fields import MAX_TYPED_HOURS, Code, Key
from torekes.web.form_pages import drawn_on
from torekes.web.forms import hours as parse_hours
from torekes.web.problems import N_
from torekes.web.session import CurrentPage, PageContext
from torekes.web.writes import new_key, write_once_as_api

router = APIRouter(include_in_schema=False)

# The hours refused, said with the range this activity allows.
HOURS_WORDS = {
    "hours_out_of_range": N_("Type a number of hours above 0 and at most %(hours)s."),
    "hours_required": N_("Type how many hours you helped: above 0 and at most %(hours)s."),
}


@router.get("/c/{code}")
def claim_page(page: CurrentPage, code: Code) -> Response:
    actor = page.require(back=f"/c/{code}")
    with page.explaining():
        guard_of(page.request, page.db).claim_code(code)
        activity = claims.preview(page.db, actor, code)
    return page.render(
        "member/claim.html",
        code=code,
        activity=activity,
        per_hour=activity.reward_kind == RewardKind.PER_HOUR.value,
        most_hours=_most_hours(page, activity),
        key=new_key(),
    )


def _most_hours(page: PageContext, activity: ClaimPreview) -> str:
    """The most hours a claim of the activity may say, as the page's language writes them."""
    most = activity.max_hours or MAX_HOURS_PER_CLAIM
    return format_decimal(most, locale=page.lang)


def _hours_words(page: PageContext, code: str) -> Mapping[str, object]:
    """The range of hours the code's activity allows, for the refusal that names it."""
    actor = page.require(back=f"/c/{code}")
    with page.explaining():
        guard_of(page.request, page.db).claim_code(code)
        activity = claims.preview(page.db, actor, code, claimable=False)
    return {"hours": _most_hours(page, activity)}


@router.post("/c/{code}")
@drawn_on(lambda page, path: claim_page(page, path["code"]))
def claim(
    page: CurrentPage,
    code: Code,
    hours: Annotated[str, Form(max_length=MAX_TYPED_HOURS)] = "",
    key: Key = "",
) -> Response:
    actor = page.require(back=f"/c/{code}")
    with page.explaining(HOURS_WORDS, params=_hours_words(page, code)):
        command = ClaimCommand(code, parse_hours(hours))
        made = write_once_as_api(
            page,
            actor,
            key,
            {"code": code, "hours": str(command.hours)},
            lambda ctx: claims.claim(ctx, page.settings, command),
            ClaimOut,
        )
        # Read after the claim: a repeat of the form finds the code used, and shows its claim.
        activity = claims.preview(page.db, actor, code, claimable=False)
        wallet = accounts.get_account(page.db, actor, made.account_id)
    return page.render("member/claimed.html", 201, claim=made, activity=activity, wallet=wallet)
