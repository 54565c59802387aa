"""An attendance list: after a garden morning, a coordinator of the activity's project (or an
administrator) records a claim of the same hours for each member whose card number is listed.

The coordinator vouches for who was there, in the member's stead: no PIN is asked (a PIN per
member is impractical in a batch), just as a coordinator hands out claim codes on their own word.
Each claim is recorded exactly as one claim for a member is (``torekes.earning.claims.claim_for``):
the activity's window, capacity, budget and per-member limits alike, paid at once or held for a
coordinator's approval as the activity says, each stored as recorded by the coordinator for the
member. The list runs in one transaction, each line behind a savepoint, so one member's refusal
undoes only that line; every line gets its outcome.

A number that names no card counts as a failure against the coordinator, in the same window that
bounds their wrong PINs, so a list cannot be used to find out which card numbers exist.

A card listed twice (its digits the same however they are spaced, or the same card by its number
and by its QR code) is recorded once, on its first line; every later line naming it is refused as
``card_listed_twice``, before it is looked up, so it neither claims again nor counts as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from torekes.db import models as m
from torekes.db.locking import PIN_ATTEMPTS_BY_ACTOR, lock, lock_number
from torekes.domain import access, errors
from torekes.domain.cards import (
    CardStatus,
    check_typed_card,
    masked_card_number,
    normalise_card_number,
)
from torekes.earning import claims
from torekes.earning.claims import ClaimFor
from torekes.earning.projects import require_project_coordinator
from torekes.kit import clock
from torekes.kit.unit_of_work import WriteContext
from torekes.settings import Settings
from torekes.spending import queries as spending
from torekes.spending.cards import find_card

from .acts import CLAIM_ACTORS
from .read_models import AttendanceRow

MAX_LINES = 60


@dataclass(frozen=True, slots=True)
class AttendanceList:
    activity_id: int
    cards: list[str]
    hours: Decimal | None = None


def record_attendance(
    ctx: WriteContext, settings: Settings, attendance: AttendanceList
) -> list[AttendanceRow]:
    access.require_role(ctx.actor, *CLAIM_ACTORS)
    if not attendance.cards or len(attendance.cards) > MAX_LINES:
        raise errors.InvalidInput(f"An attendance list has 1 to {MAX_LINES} card numbers")
    session = ctx.session
    # The actor's failures and this list's unknown numbers are one step; the activity's lock,
    # taken by each claim, comes after it, in the order a single claim for a member takes them.
    lock_number(session, PIN_ATTEMPTS_BY_ACTOR, ctx.actor.user_id)
    activity = lock(session, m.Activity, attendance.activity_id)
    if activity is None:
        raise errors.ActivityNotFound(activity_id=attendance.activity_id)
    require_project_coordinator(session, ctx.actor, activity.project_id)
    # The hours are everyone's on the list: hours the activity refuses refuse the whole list.
    claims.check_hours(activity, attendance.hours)
    since = clock.now() - timedelta(seconds=settings.pin_window_seconds)
    failures, _oldest = spending.pin_failures_since(session, since, None, ctx.actor.user_id)
    rows = []
    listed: set[str] = set()
    for line, typed in enumerate(attendance.cards, start=1):
        row, failed = _attend(ctx, settings, attendance, line, typed.strip(), failures, listed)
        failures += failed
        rows.append(row)
    return rows


def _attend(
    ctx: WriteContext,
    settings: Settings,
    attendance: AttendanceList,
    line: int,
    typed: str,
    failures: int,
    listed: set[str],
) -> tuple[AttendanceRow, int]:
    """One line's outcome, and whether it counted as a failure; ``listed`` holds the numbers and
    cards of the lines before it."""
    number = normalise_card_number(typed)
    shown = typed if number is None else masked_card_number(number[-4:])
    try:
        check_typed_card(typed)
    except errors.CardNumberMistyped as mistyped:
        return AttendanceRow(line, shown, None, None, mistyped.code), 0
    if number is not None and _seen(listed, f"number:{number}"):
        return AttendanceRow(line, shown, None, None, errors.CardListedTwice.code), 0
    if failures >= settings.pin_shop_max_failures:
        return AttendanceRow(line, shown, None, None, errors.RateLimited.code), 0
    session = ctx.session
    try:
        card = find_card(session, settings, typed)
    except errors.CardNotFound as unknown:
        session.add(
            m.PinAttempt(
                card_id=None,
                shop_account_id=None,
                actor_id=ctx.actor.user_id,
                outcome="wrong",
                attempted_at=clock.now(),
            )
        )
        return AttendanceRow(line, shown, None, None, unknown.code), 1
    member = session.get(m.User, card.member_id)
    name = None if member is None else member.display_name
    if _seen(listed, f"card:{card.id}"):
        return AttendanceRow(line, shown, name, None, errors.CardListedTwice.code), 0
    if card.status == CardStatus.BLOCKED:
        return AttendanceRow(line, shown, name, None, errors.CardBlocked.code), 0
    order = ClaimFor(attendance.activity_id, card.member_id, attendance.hours)
    try:
        with session.begin_nested():
            claim = claims.claim_for(ctx, settings, order)
    except errors.TorekesError as refusal:
        return AttendanceRow(line, shown, name, None, refusal.code), 0
    return AttendanceRow(line, shown, name, claim, None), 0


def _seen(listed: set[str], what: str) -> bool:
    """Whether an earlier line named ``what`` already; from now on this line has."""
    seen = what in listed
    listed.add(what)
    return seen
