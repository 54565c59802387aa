"""Acting for a member with their card and PIN as consent: their statement (shopkeepers and
administrators), a claim recorded for them (coordinators of the activity's project and
administrators), and an attendance list of claims a coordinator vouches for."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from torekes.api.deps import DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import WRITE, problems
from torekes.api.schemas import (
    AttendanceIn,
    AttendanceRowOut,
    CardConsentIn,
    ClaimOnBehalfIn,
    ClaimRecordedOut,
    MemberStatementOut,
)
from torekes.counter import acts
from torekes.counter.acts import ClaimForCard
from torekes.counter.attendance import AttendanceList, record_attendance

router = APIRouter(tags=["counter"])

AttendanceRows = TypeAdapter(list[AttendanceRowOut])
CONSENT = {**WRITE, **problems(429)}


@router.post("/members/statement", response_model=MemberStatementOut, responses=CONSENT)
def member_statement(
    body: CardConsentIn, writer: WriterDep, db: DbDep, settings: SettingsDep
) -> JSONResponse:
    """A member's balance and latest entries, shown by a shopkeeper or an administrator for the
    member, with the member's card and PIN as consent. The PIN is checked as a card payment's:
    a wrong one is 403 `wrong_pin` with `tries_left`, five in a row lock the card (409
    `card_locked`), too many wrong PINs by one person are 429; a number whose check digit does not
    fit is 422 `card_number_mistyped` before any PIN is tried. Recorded in the audit trail as
    `member.statement_shown` with `by` and `for`."""
    replayed = writer.replay()
    if replayed is not None:  # a retry is answered before the PIN is tried again
        return replayed
    return acts.show_statement(
        db,
        settings,
        writer.actor,
        body.card,
        body.pin,
        lambda operation: writer.run(operation, MemberStatementOut),
    )


@router.post(
    "/claims/on-behalf", status_code=201, response_model=ClaimRecordedOut, responses=CONSENT
)
def claim_on_behalf(
    body: ClaimOnBehalfIn, writer: WriterDep, db: DbDep, settings: SettingsDep
) -> JSONResponse:
    """Record a claim of hours worked at an activity for a member (a coordinator of the
    activity's project, or an administrator), with the member's card and PIN as consent, checked
    as at `POST /members/statement`. The claim keeps every rule of a claim with a code (window,
    capacity, per-member limits, budget, approval) and is stored as recorded by you for the
    member: `recorded_by_id` on the claim, `by` and `for` in its reward's metadata, and
    `claim.recorded_for_member` in the audit trail."""
    replayed = writer.replay()
    if replayed is not None:
        return replayed
    order = ClaimForCard(body.card, body.pin, body.activity_id, body.hours)
    return acts.claim_for_card(
        db,
        settings,
        writer.actor,
        order,
        lambda operation: writer.run(operation, ClaimRecordedOut, 201),
    )


@router.post("/claims/attendance", response_model=list[AttendanceRowOut], responses=CONSENT)
def attendance(body: AttendanceIn, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """Record the same hours at an activity for every member whose card is listed (a coordinator
    of the activity's project, or an administrator), vouching for their presence: no PIN is asked.
    Each claim keeps every rule a claim for one member keeps, and is paid or held for approval as
    the activity says; one member's refusal undoes only their line. Each row says its claim or its
    refusal's code (`card_number_mistyped`, `card_not_found`, `activity_full`,
    `member_limit_reached`, ...). A card listed more than once (the same digits however spaced, or
    the same card by number and by QR code) is recorded on its first line only; each later line
    naming it is `card_listed_twice`. Numbers that name no card count against you as wrong PINs
    do; past the limit, rows are refused with `too_many_attempts`."""
    listed = AttendanceList(body.activity_id, list(body.cards), body.hours)
    return writer.run(lambda ctx: record_attendance(ctx, settings, listed), AttendanceRows)
