"""Claiming a reward from the phone: the page a claim QR opens (``/c/{code}``) says what the
activity is and what it pays (asking the hours when it pays per hour), one button claims, and
the next page shows the new balance, or that a coordinator will approve it first.

The form carries a one-time key made when the page was drawn, and the claim runs once per key
(``write_once_as_api``): a double tap or a reload on a poster's code, which a member may use
again, shows the first claim instead of claiming twice. Back on a single-use code they used
themselves, a member sees their claim ("already claimed by you"), not a refusal.

Members who cannot scan type the short code printed under each QR on ``/c`` (``typed_code``):
the code is looked up under the same limit on guessing as ``/c/{code}``, and leads to its page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from babel.numbers import format_decimal
from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from torekes.api.code_guard import guard_of
from torekes.api.schemas import ClaimOut
from torekes.domain import errors
from torekes.domain.access import Principal, Role
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

TYPED_CODE_PAGE = "/c"
# Twelve characters with dashes and spaces fit, and a full code pasted from a link too.
MAX_TYPED_LENGTH = 40
# What was typed before switching the language, sent back in the address to fill in again.
TypedHoursInAddress = Annotated[str, Query(max_length=MAX_TYPED_HOURS)]
NO_SUCH_CODE = N_("No code has these characters. Check them against the sheet and try again.")


@router.get(TYPED_CODE_PAGE)
def typed_code(
    page: CurrentPage,
    code: Annotated[str, Query(max_length=MAX_TYPED_LENGTH)] = "",
) -> Response:
    """A form for the short code printed under a QR; a code that names one leads to its claim
    page, any other is refused on the form, keeping what was typed (and counted against the
    client, as on ``/c/{code}``)."""
    page.require(Role.MEMBER, back=TYPED_CODE_PAGE)
    typed = " ".join(code.split())
    if not typed:
        return page.render("member/typed_code.html", typed="")
    words = {errors.CodeNotFound.code: NO_SUCH_CODE}
    with page.explaining(words, "member/typed_code.html", typed=typed):
        guard_of(page.request, page.db).claim_code(typed)
    return page.redirect(f"/c/{quote(typed, safe='')}")


@router.get("/c/{code}")
def claim_page(page: CurrentPage, code: Code, hours: TypedHoursInAddress = "") -> Response:
    """What the code pays and one button; ``hours`` is what was typed before switching the
    language, filled in again."""
    actor = page.require(back=f"/c/{code}")
    with page.explaining():
        guard_of(page.request, page.db).claim_code(code)
        try:
            activity = claims.preview(page.db, actor, code)
        except errors.CodeAlreadyUsed:
            return _claimed_before(page, actor, code)
    return page.render(
        "member/claim.html",
        code=code,
        activity=activity,
        per_hour=activity.reward_kind == RewardKind.PER_HOUR.value,
        most_hours=_most_hours(page, activity),
        typed_hours=hours,
        key=new_key(),
    )


def _most_hours(page: PageContext, activity: ClaimPreview) -> str:
    """The most hours a claim of the activity may say, as the page's language writes them."""
    most = activity.max_hours or MAX_HOURS_PER_CLAIM
    return format_decimal(most, locale=page.lang)


@router.post("/c/{code}")
@drawn_on(lambda page, path: claim_page(page, path["code"]))
def claim(
    page: CurrentPage,
    code: Code,
    hours: Annotated[str, Form(max_length=MAX_TYPED_HOURS)] = "",
    key: Key = "",
) -> Response:
    actor = page.require(back=f"/c/{code}")
    with page.explaining():
        guard_of(page.request, page.db).claim_code(code)
        command = ClaimCommand(code, parse_hours(hours, page.lang))
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


def _claimed_before(page: PageContext, actor: Principal, code: str) -> Response:
    """A used single-use code: the member's own claim with it, or the refusal when it was
    someone else's."""
    made = claims.own_claim_with_code(page.db, actor, code)
    if made is None:
        raise errors.CodeAlreadyUsed()
    activity = claims.preview(page.db, actor, code, claimable=False)
    wallet = accounts.get_account(page.db, actor, made.account_id)
    return page.render(
        "member/claimed.html", claim=made, activity=activity, wallet=wallet, before=True
    )
