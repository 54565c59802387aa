"""Activities of a project: what volunteers do, what it pays, and the limits on claiming it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.earning import (
    HOURS_QUANTUM,
    ActivityRules,
    ActivityStatus,
    ClaimStatus,
    RewardKind,
    next_activity_status,
)
from torekes.domain.periods import LimitPeriod
from torekes.earning import queries
from torekes.earning.projects import require_project_coordinator, require_project_reader
from torekes.earning.read_models import ActivitySummary, ActivityView
from torekes.kit.unit_of_work import WriteContext


@dataclass(frozen=True, slots=True)
class ActivityCommand:
    title: str
    description: str
    reward_kind: RewardKind
    reward_amount: int
    max_hours: Decimal | None = None
    capacity: int | None = None
    per_member_limit: int | None = None
    period_limit: int | None = None
    period: LimitPeriod | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    requires_approval: bool = False


def create_activity(ctx: WriteContext, project_id: int, command: ActivityCommand) -> ActivityView:
    if ctx.session.get(m.Project, project_id) is None:
        raise errors.ProjectNotFound(project_id=project_id)
    require_project_coordinator(ctx.session, ctx.actor, project_id)
    activity = m.Activity(
        project_id=project_id,
        title=command.title,
        description=command.description,
        reward_kind=command.reward_kind.value,
        reward_amount=command.reward_amount,
        max_hours=None if command.max_hours is None else command.max_hours.quantize(HOURS_QUANTUM),
        capacity=command.capacity,
        per_member_limit=command.per_member_limit,
        period_limit=command.period_limit,
        period=None if command.period is None else command.period.value,
        valid_from=_utc(command.valid_from),
        valid_until=_utc(command.valid_until),
        requires_approval=command.requires_approval,
        status=ActivityStatus.ACTIVE.value,
        claims_count=0,
        created_by_id=ctx.actor.user_id,
    )
    rules_of(activity).check_consistent()
    ctx.session.add(activity)
    ctx.session.flush()
    return activity_view(activity)


def change_status(ctx: WriteContext, activity_id: int, action: str) -> ActivityView:
    """``pause``, ``resume`` or ``close`` an activity (closing is final)."""
    activity = lock(ctx.session, m.Activity, activity_id)
    if activity is None:
        raise errors.ActivityNotFound(activity_id=activity_id)
    require_project_coordinator(ctx.session, ctx.actor, activity.project_id)
    activity.status = next_activity_status(ActivityStatus(activity.status), action).value
    ctx.session.flush()
    return activity_view(activity)


def list_activities(db: Database, actor: Principal, project_id: int) -> list[ActivityView]:
    with db.read_session() as session:
        if session.get(m.Project, project_id) is None:
            raise errors.ProjectNotFound(project_id=project_id)
        require_project_reader(session, actor, project_id)
        return [activity_view(a) for a in queries.list_activities(session, project_id)]


def get_activity(db: Database, actor: Principal, activity_id: int) -> ActivityView:
    with db.read_session() as session:
        return activity_view(readable_activity(session, actor, activity_id))


def summary(db: Database, actor: Principal, activity_id: int) -> ActivitySummary:
    """Claims, hours, tokens paid and unique volunteers of an activity, for funders' reports.

    Hours and volunteers count paid claims; pending claims are shown apart.
    """
    with db.read_session() as session:
        readable_activity(session, actor, activity_id)
        totals = {row.status: row for row in queries.claim_totals(session, activity_id)}
        paid = totals.get(ClaimStatus.PAID)
        pending = totals.get(ClaimStatus.PENDING)
        rejected = totals.get(ClaimStatus.REJECTED)
        return ActivitySummary(
            activity_id=activity_id,
            claims_paid=paid.claims if paid else 0,
            claims_pending=pending.claims if pending else 0,
            claims_rejected=rejected.claims if rejected else 0,
            hours_paid=Decimal(paid.hours) if paid else Decimal(0),
            tokens_paid=paid.amount if paid else 0,
            tokens_pending=pending.amount if pending else 0,
            unique_volunteers=queries.unique_volunteers(session, activity_id, [ClaimStatus.PAID]),
        )


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def readable_activity(session: Session, actor: Principal, activity_id: int) -> m.Activity:
    activity = session.get(m.Activity, activity_id)
    if activity is None:
        raise errors.ActivityNotFound(activity_id=activity_id)
    require_project_reader(session, actor, activity.project_id)
    return activity


def rules_of(activity: m.Activity) -> ActivityRules:
    return ActivityRules(
        reward_kind=RewardKind(activity.reward_kind),
        reward_amount=activity.reward_amount,
        max_hours=activity.max_hours,
        capacity=activity.capacity,
        per_member_limit=activity.per_member_limit,
        period_limit=activity.period_limit,
        period=None if activity.period is None else LimitPeriod(activity.period),
        valid_from=activity.valid_from,
        valid_until=activity.valid_until,
        status=ActivityStatus(activity.status),
    )


def activity_view(activity: m.Activity) -> ActivityView:
    return ActivityView(
        id=activity.id,
        project_id=activity.project_id,
        title=activity.title,
        description=activity.description,
        reward_kind=activity.reward_kind,
        reward_amount=activity.reward_amount,
        max_hours=activity.max_hours,
        capacity=activity.capacity,
        per_member_limit=activity.per_member_limit,
        period_limit=activity.period_limit,
        period=activity.period,
        valid_from=activity.valid_from,
        valid_until=activity.valid_until,
        requires_approval=activity.requires_approval,
        status=activity.status,
        claims_count=activity.claims_count,
        created_at=activity.created_at,
    )
