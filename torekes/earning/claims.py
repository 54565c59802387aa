"""Claiming rewards with a code, and approving or rejecting the claims that wait for it.

Every path takes its locks in one order: activity, code, claim, hold, the currency's chain head,
accounts. A claim locks the activity row, then the code row: the capacity, the per-member limits
and the code's uses are all checked and counted under those locks, so racing phones cannot
overshoot any of them. Without approval the reward is posted at once (budget to member); with
approval it is held on the budget until a coordinator approves (the hold becomes the reward) or
rejects it (the hold is released and the claim stops counting towards the limits), once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.earning import (
    HOURS_QUANTUM,
    ClaimCounts,
    ClaimStatus,
    CodeKind,
    CodeState,
    check_activity_open,
    check_code_usable,
    check_limits,
    reward_for,
)
from torekes.domain.entries import TransactionKind, transfer_postings
from torekes.domain.periods import LimitPeriod, period_start
from torekes.earning import queries
from torekes.earning.activities import rules_of
from torekes.earning.claim_codes import find_code
from torekes.earning.projects import require_project_coordinator
from torekes.earning.read_models import ClaimView, ResolutionOutcome
from torekes.kit import audit_trail, clock, pagination
from torekes.kit.pagination import Listing
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import holds
from torekes.ledger.journal import post_entry
from torekes.ledger.queries import member_accounts
from torekes.settings import Settings


@dataclass(frozen=True, slots=True)
class ClaimCommand:
    code: str
    hours: Decimal | None = None
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimQuery:
    project_id: int | None = None
    activity_id: int | None = None
    status: ClaimStatus | None = None
    member_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = pagination.DEFAULT_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class ClaimPreview:
    """What a code pays for, shown to the member before claiming it."""

    title: str
    description: str
    project: str
    currency: str
    decimals: int
    reward_kind: str
    reward_amount: int
    max_hours: Decimal | None
    requires_approval: bool


def preview(db: Database, actor: Principal, code: str, claimable: bool = True) -> ClaimPreview:
    """The activity behind a code, refused as claiming it would be refused now (an unknown,
    revoked, expired or used code; an activity paused, closed or not yet open). With
    ``claimable=False``, only an unknown code is refused: for showing a claim already made."""
    access.require_role(actor, Role.MEMBER)
    with db.read_session() as session:
        found = find_code(session, code)
        activity = referenced(session, m.Activity, found.activity_id)
        if claimable:
            now = clock.now()
            check_code_usable(_code_state(found), now)
            check_activity_open(rules_of(activity), now)
        project = referenced(session, m.Project, activity.project_id)
        currency = referenced(session, m.Currency, project.currency_id)
        return ClaimPreview(
            title=activity.title,
            description=activity.description,
            project=project.name,
            currency=currency.code,
            decimals=currency.decimals,
            reward_kind=activity.reward_kind,
            reward_amount=activity.reward_amount,
            max_hours=activity.max_hours,
            requires_approval=activity.requires_approval,
        )


def check_hours(activity: m.Activity, hours: Decimal | None) -> None:
    """Refuse hours the activity refuses whoever claims (out of its range, or missing where it
    pays per hour): an act for members checks them before any card or PIN is asked."""
    reward_for(rules_of(activity), hours)


def own_claim_with_code(db: Database, actor: Principal, code: str) -> ClaimView | None:
    """The actor's latest claim made with this code (the full code or its short code), if any:
    a member back on a code they used sees their claim, not a refusal."""
    access.require_role(actor, Role.MEMBER)
    with db.read_session() as session:
        row = queries.latest_claim_with_code(session, find_code(session, code).id, actor.user_id)
        return None if row is None else claim_view(row)


@dataclass(frozen=True, slots=True)
class ClaimFor:
    """A claim recorded for a member by a coordinator of the activity's project (or an
    administrator): hours worked at the activity, without a code."""

    activity_id: int
    member_id: int
    hours: Decimal | None = None


def claim(ctx: WriteContext, settings: Settings, command: ClaimCommand) -> ClaimView:
    access.require_role(ctx.actor, Role.MEMBER)
    session = ctx.session
    found = find_code(session, command.code)
    activity = lock(session, m.Activity, found.activity_id)
    code = lock(session, m.ClaimCode, found.id)
    assert activity is not None
    assert code is not None
    check_code_usable(_code_state(code), clock.now())
    member_id = ctx.actor.user_id
    row = _record(ctx, settings, activity, member_id, command.account_id, command.hours, code)
    return claim_view(row)


def claim_for(ctx: WriteContext, settings: Settings, order: ClaimFor) -> ClaimView:
    """Record a claim for a member, as the member's own claim with a code is recorded (the
    activity's window, capacity, per-member limits, budget and approval rule alike), stored as
    recorded by the actor for the member: on the claim, in its reward's metadata and in the audit
    trail (``claim.recorded_for_member``)."""
    access.require_role(ctx.actor, Role.ADMIN, Role.COORDINATOR)
    session = ctx.session
    activity = lock(session, m.Activity, order.activity_id)
    if activity is None:
        raise errors.ActivityNotFound(activity_id=order.activity_id)
    require_project_coordinator(session, ctx.actor, activity.project_id)
    member = session.get(m.User, order.member_id)
    if member is None:
        raise errors.UserNotFound(user_id=order.member_id)
    if member.role != Role.MEMBER:
        raise errors.NotAMember(user_id=member.id)
    if not member.is_active:
        raise errors.UserInactive(user_id=member.id)
    row = _record(ctx, settings, activity, member.id, None, order.hours, recorded=True)
    after = {
        "by": ctx.actor.user_id,
        "for": member.id,
        "activity_id": activity.id,
        "amount": row.amount,
        "status": row.status,
    }
    audit_trail.record(ctx, "claim.recorded_for_member", "claim", row.id, None, after)
    return claim_view(row)


def _record(
    ctx: WriteContext,
    settings: Settings,
    activity: m.Activity,
    member_id: int,
    requested_account: int | None,
    hours: Decimal | None,
    code: m.ClaimCode | None = None,
    recorded: bool = False,
) -> m.Claim:
    """The claim's row, counted and paid (or held) under the activity's lock, by the rules every
    claim keeps: with the member's ``code`` (locked and found usable), or ``recorded`` by the
    actor for the member."""
    session = ctx.session
    now = clock.now()
    rules = rules_of(activity)
    check_activity_open(rules, now)
    check_limits(rules, _counts(session, settings, activity, member_id, now))
    amount = reward_for(rules, hours)
    project = referenced(session, m.Project, activity.project_id)
    account_id = _member_account(session, member_id, project.currency_id, requested_account)
    if code is not None:
        code.uses += 1
    activity.claims_count += 1
    row = m.Claim(
        activity_id=activity.id,
        code_id=None if code is None else code.id,
        member_id=member_id,
        account_id=account_id,
        recorded_by_id=ctx.actor.user_id if recorded else None,
        hours=None if hours is None else hours.quantize(HOURS_QUANTUM),
        amount=amount,
        status=ClaimStatus.PENDING.value,
        created_at=now,
    )
    try:
        if activity.requires_approval:
            row.hold_id = holds.place(ctx, project.budget_account_id, amount).id
        else:
            row.transaction_id = _pay(ctx, project, activity, row)
            row.status = ClaimStatus.PAID.value
            row.resolved_at = now
    except errors.InsufficientFunds as refusal:
        if refusal.extra.get("account_id") == project.budget_account_id:
            raise errors.BudgetExhausted(project_id=project.id) from None
        raise
    session.add(row)
    session.flush()
    return row


def approve(ctx: WriteContext, claim_id: int) -> ClaimView:
    row, activity, project = _pending_claim(ctx, claim_id)
    hold = _hold_of(ctx, row)
    row.transaction_id = holds.post(ctx, hold, lambda: _pay(ctx, project, activity, row))
    return _resolve(ctx, row, ClaimStatus.PAID, reason=None)


def reject(ctx: WriteContext, claim_id: int, reason: str) -> ClaimView:
    row, activity, _project = _pending_claim(ctx, claim_id)
    holds.release(ctx, _hold_of(ctx, row))
    activity.claims_count -= 1
    return _resolve(ctx, row, ClaimStatus.REJECTED, reason=reason)


def resolve_many(
    ctx: WriteContext, claim_ids: list[int], decision: str, reason: str = ""
) -> list[ResolutionOutcome]:
    """Approve or reject several claims in one transaction, each behind a savepoint: a refusal
    (already resolved, a frozen budget) undoes only that claim and is reported with its code.

    All the activities, then all the claims, are locked first in id order, so two bulk decisions
    over the same claims, or a bulk decision and single ones, queue instead of deadlocking.
    """
    access.require_role(ctx.actor, Role.ADMIN, Role.COORDINATOR)
    wanted = list(dict.fromkeys(claim_ids))
    _lock_in_order(ctx, wanted)
    outcomes: dict[int, ResolutionOutcome] = {}
    for claim_id in sorted(wanted):
        try:
            with ctx.session.begin_nested():
                if decision == "approve":
                    view = approve(ctx, claim_id)
                else:
                    view = reject(ctx, claim_id, reason)
            outcomes[claim_id] = ResolutionOutcome(claim_id, True, view.status, None)
        except errors.TorekesError as refusal:
            outcomes[claim_id] = ResolutionOutcome(claim_id, False, None, refusal.code)
    return [outcomes[claim_id] for claim_id in wanted]


def list_claims(db: Database, actor: Principal, query: ClaimQuery) -> Listing[ClaimView]:
    """Claims, newest first: all for administrators and auditors, those of their own projects
    for coordinators, their own for members."""
    with db.read_session() as session:
        project_ids: list[int] | None = None
        member_id = query.member_id
        if actor.role is Role.COORDINATOR:
            project_ids = queries.coordinated_project_ids(session, actor.user_id)
            if query.project_id is not None:
                if query.project_id not in project_ids:
                    raise errors.NotProjectCoordinator(project_id=query.project_id)
                project_ids = [query.project_id]
        else:
            if not actor.reads_everything:
                if member_id not in (None, actor.user_id):
                    raise errors.RoleNotAllowed("You may list only your own claims")
                member_id = actor.user_id
            if query.project_id is not None:
                project_ids = [query.project_id]
        where = queries.ClaimFilter(
            project_ids=project_ids,
            activity_id=query.activity_id,
            status=None if query.status is None else query.status.value,
            member_id=member_id,
            since=query.since,
            until=query.until,
        )
        found = queries.list_claims(
            session, where, pagination.parse_cursor(query.cursor), query.limit
        )
        return Listing(
            [claim_view(row) for row in found],
            pagination.next_cursor([row.id for row in found], query.limit),
        )


def claim_view(row: m.Claim) -> ClaimView:
    return ClaimView(
        id=row.id,
        activity_id=row.activity_id,
        code_id=row.code_id,
        member_id=row.member_id,
        recorded_by_id=row.recorded_by_id,
        account_id=row.account_id,
        hours=row.hours,
        amount=row.amount,
        status=row.status,
        transaction_id=row.transaction_id,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
        resolved_by_id=row.resolved_by_id,
        reject_reason=row.reject_reason,
    )


def _pay(ctx: WriteContext, project: m.Project, activity: m.Activity, row: m.Claim) -> int:
    postings = transfer_postings(project.budget_account_id, row.account_id, row.amount)
    # No sentence is stored: the pages write "Reward: <activity>" in the reader's language from
    # the kind and the activity in the metadata.
    metadata: dict[str, object] = {"activity_id": activity.id, "project_id": project.id}
    if row.recorded_by_id is not None:
        # Who recorded the claim for whom, by user id: ids stay true when a name changes, and
        # the append-only journal keeps no one's name.
        metadata |= {"by": row.recorded_by_id, "for": row.member_id}
    return post_entry(ctx, postings, TransactionKind.REWARD, "", metadata).id


def _lock_in_order(ctx: WriteContext, claim_ids: list[int]) -> None:
    """Take the locks of these claims in the one order every path uses: activities, then claims
    (then holds, the currency and accounts, as each decision goes on)."""
    activity_ids = queries.activity_ids_of_claims(ctx.session, claim_ids)
    for activity_id in sorted(set(activity_ids.values())):
        lock(ctx.session, m.Activity, activity_id)
    for claim_id in sorted(activity_ids):
        lock(ctx.session, m.Claim, claim_id)


def _pending_claim(ctx: WriteContext, claim_id: int) -> tuple[m.Claim, m.Activity, m.Project]:
    activity_id = queries.activity_ids_of_claims(ctx.session, [claim_id]).get(claim_id)
    if activity_id is None:
        raise errors.ClaimNotFound(claim_id=claim_id)
    activity = lock(ctx.session, m.Activity, activity_id)
    row = lock(ctx.session, m.Claim, claim_id)
    assert activity is not None
    assert row is not None
    require_project_coordinator(ctx.session, ctx.actor, activity.project_id)
    if row.status != ClaimStatus.PENDING:
        raise errors.ClaimAlreadyResolved(claim_id=claim_id, status=row.status)
    project = referenced(ctx.session, m.Project, activity.project_id)
    return row, activity, project


def _hold_of(ctx: WriteContext, row: m.Claim) -> m.Hold:
    hold = None if row.hold_id is None else lock(ctx.session, m.Hold, row.hold_id)
    assert hold is not None, "a pending claim always has a hold"
    return hold


def _resolve(ctx: WriteContext, row: m.Claim, status: ClaimStatus, reason: str | None) -> ClaimView:
    row.status = status.value
    row.resolved_at = clock.now()
    row.resolved_by_id = ctx.actor.user_id
    row.reject_reason = reason
    ctx.session.flush()
    return claim_view(row)


def _code_state(code: m.ClaimCode) -> CodeState:
    return CodeState(
        kind=CodeKind.SINGLE if code.max_uses == 1 else CodeKind.MULTI,
        max_uses=code.max_uses,
        uses=code.uses,
        expires_at=code.expires_at,
        revoked=code.revoked_at is not None,
    )


def _counts(
    session: Session, settings: Settings, activity: m.Activity, member_id: int, now: datetime
) -> ClaimCounts:
    member_total = 0
    if activity.per_member_limit is not None:
        member_total = queries.member_claims_since(session, activity.id, member_id, None)
    in_period = 0
    if activity.period is not None:
        start = period_start(now, LimitPeriod(activity.period), ZoneInfo(settings.timezone))
        in_period = queries.member_claims_since(session, activity.id, member_id, start)
    return ClaimCounts(activity.claims_count, member_total, in_period)


def _member_account(
    session: Session, member_id: int, currency_id: int, requested: int | None
) -> int:
    accounts = member_accounts(session, member_id, currency_id)
    if requested is None:
        if not accounts:
            raise errors.NoMemberAccount()
        return accounts[0].id
    if requested not in {account.id for account in accounts}:
        raise errors.NotAccountOwner(
            f"Account {requested} is not an open member account of yours in this currency",
            account_id=requested,
        )
    return requested
