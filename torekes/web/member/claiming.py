"""Claiming a reward from the phone: the page a claim QR opens (``/c/{code}``) says what the
activity is and what it pays (asking the hours when it pays per hour), one button claims, and
the next page shows the new balance, or that a coordinator will approve it first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from torekes.domain.earning import RewardKind
from torekes.earning import claims
from torekes.earning.claims import ClaimCommand
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts
from torekes.web.fields import Code
from torekes.web.forms import hours as parse_hours
from torekes.web.session import CurrentPage

router = APIRouter(include_in_schema=False)


@router.get("/c/{code}")
def claim_page(page: CurrentPage, code: Code) -> Response:
    actor = page.require(back=f"/c/{code}")
    with page.explaining():
        activity = claims.preview(page.db, actor, code)
    return page.render(
        "member/claim.html",
        code=code,
        activity=activity,
        per_hour=activity.reward_kind == RewardKind.PER_HOUR.value,
    )


@router.post("/c/{code}")
def claim(
    page: CurrentPage,
    code: Code,
    hours: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    actor = page.require(back=f"/c/{code}")
    with page.explaining():
        activity = claims.preview(page.db, actor, code)
        command = ClaimCommand(code, parse_hours(hours))
        made = write(page.db, actor, lambda ctx: claims.claim(ctx, page.settings, command))
        wallet = accounts.get_account(page.db, actor, made.account_id)
    return page.render("member/claimed.html", 201, claim=made, activity=activity, wallet=wallet)
