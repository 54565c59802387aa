"""Redemptions to settle: those asked for and those approved, approving or rejecting each, a
settlement of every approved one of a currency, its CSV for the bookkeeper and its pain.001 file
for the bank (the API's exports, read with the session cookie), and marking it paid with the
bank's reference. Administrators act; auditors see the same lists and download the same files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from torekes.approvals import four_eyes
from torekes.domain.access import Principal
from torekes.domain.redemption import RedemptionStatus
from torekes.ledger import currencies
from torekes.redemption import redemptions, settlements
from torekes.redemption.redemptions import RedemptionQuery
from torekes.web.admin.approvals import filed_or
from torekes.web.admin.forms import Reason, write_and_redirect
from torekes.web.admin.rendering import render
from torekes.web.fields import MAX_BANK_REFERENCE, Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.problems import N_
from torekes.web.roles import ADMIN_READERS
from torekes.web.session import CurrentPage, PageContext

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
HOME = "/admin/redemptions"


@router.get(HOME)
def redemption_list(page: CurrentPage) -> Response:
    who = page.require(*ADMIN_READERS)
    asked, approved = (
        redemptions.list_redemptions(
            page.db, who, RedemptionQuery(status=status, limit=PAGE_SIZE)
        ).items
        for status in (RedemptionStatus.REQUESTED, RedemptionStatus.APPROVED)
    )
    return render(
        page,
        "admin/redemptions.html",
        who,
        asked=asked,
        approved=approved,
        settlements=settlements.list_settlements(page.db, who),
        currencies=currencies.list_currencies(page.db),
    )


@router.post(HOME + "/{redemption_id}/approve")
@drawn_on(lambda page, _path: redemption_list(page))
def approve(page: CurrentPage, redemption_id: PathId, key: Key = "") -> Response:
    """Approve at the euro rate in force now; above the four-eyes threshold, file it for a
    second administrator and show it in the approvals queue."""
    above = page.settings.four_eyes_above
    return write_and_redirect(
        page,
        key,
        {},
        lambda ctx: four_eyes.approve_redemption(ctx, redemption_id, above),
        filed_or(HOME),
    )


@router.post(HOME + "/{redemption_id}/reject")
@drawn_on(lambda page, _path: redemption_list(page))
def reject(
    page: CurrentPage, redemption_id: PathId, reason: Reason = "", key: Key = ""
) -> Response:
    """Refuse it; the held tokens are the shop's to spend again."""
    return write_and_redirect(
        page,
        key,
        {"reason": reason.strip()},
        lambda ctx: redemptions.reject(ctx, redemption_id, reason.strip()),
        HOME,
    )


@router.post("/admin/settlements")
@drawn_on(lambda page, _path: redemption_list(page))
def settle(
    page: CurrentPage,
    currency: Annotated[str, Form(max_length=12)] = "",
    key: Key = "",
) -> Response:
    """Gather every approved redemption of the currency not yet in a settlement (above the
    four-eyes threshold, filed for a second administrator)."""
    above = page.settings.four_eyes_above
    return write_and_redirect(
        page,
        key,
        {"currency": currency},
        lambda ctx: four_eyes.create_settlement(ctx, currency, above),
        lambda made: filed_or(f"{HOME}#settlement-{made.id}")(made),
        refusal=None if currency else N_("Choose a currency."),
        field="currency",
    )


@router.get("/admin/settlements/{settlement_id}/export.csv")
def settlement_csv(page: CurrentPage, settlement_id: PathId) -> Response:
    """One line per redemption, for the bookkeeper (as the API's ``export.csv``)."""
    return _download(
        page,
        lambda who: settlements.export_csv(page.db, who, settlement_id),
        "text/csv; charset=utf-8",
        f"settlement-{settlement_id}.csv",
    )


@router.get("/admin/settlements/{settlement_id}/pain.001.xml")
def settlement_pain_001(page: CurrentPage, settlement_id: PathId) -> Response:
    """The SEPA credit transfers for the bank: as ``GET /api/v1/settlements/{id}/pain.001.xml``."""
    return _download(
        page,
        lambda who: settlements.export_pain_001(page.db, page.settings, who, settlement_id),
        "application/xml",
        f"settlement-{settlement_id}.xml",
    )


@router.post("/admin/settlements/{settlement_id}/pay")
@drawn_on(lambda page, _path: redemption_list(page))
def pay_settlement(
    page: CurrentPage,
    settlement_id: PathId,
    payout_reference: Annotated[str, Form(max_length=MAX_BANK_REFERENCE)] = "",
    key: Key = "",
) -> Response:
    """Mark the whole settlement paid, once the bank has paid it (above the four-eyes
    threshold, filed for a second administrator)."""
    reference = payout_reference.strip()
    above = page.settings.four_eyes_above
    return write_and_redirect(
        page,
        key,
        {"payout_reference": reference},
        lambda ctx: four_eyes.pay_settlement(ctx, settlement_id, reference, above),
        filed_or(f"{HOME}#settlement-{settlement_id}"),
        refusal=None if reference else N_("Type the bank's reference of the transfer."),
        field="payout_reference",
    )


def _download(
    page: PageContext,
    export: Callable[[Principal], str | bytes],
    media_type: str,
    filename: str,
) -> Response:
    """A settlement's file, for administrators and auditors alike, as an attachment."""
    who = page.require(*ADMIN_READERS)
    with page.explaining():
        content = export(who)
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
