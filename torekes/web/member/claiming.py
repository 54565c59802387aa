"""Claiming a reward from the phone: the page a claim QR opens (``/c/{code}``) says what the
activity is and what it pays (asking the hours when it pays per hour), one button claims, and
the next page shows the new balance, or that a coordinator will approve it first.

The form carries a one-time key made when the page was drawn, and the claim runs once per key
(``write_once_as_api``): a double tap or a reload on a poster's code, which a member may use
again, shows the first claim instead of claiming twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from torekes.api.code_guard import guard_of
from torekes.api.schemas import ClaimOut
from torekes.domain.earning import RewardKind
from torekes.earning import claims
from torekes.earning.claims import ClaimCommand
from torekes.ledger import accounts
from torekes.web.fields import Code, Key
from torekes.web.forms import hours as parse_hours
from torekes.web.session import CurrentPage
from torekes.web.writes import new_key, write_once_as_api

router = APIRouter(include_in_schema=False)


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
        key=new_key(),
    )


@router.post("/c/{code}")
def claim(
    page: CurrentPage,
    code: Code,
    hours: Annotated[str, Form(max_length=10)] = "",
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
