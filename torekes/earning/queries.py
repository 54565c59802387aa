"""Queries for projects, activities, claim codes, claims and holds (rows are locked with
``torekes.db.locking.lock``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from torekes.db.models import (
    Activity,
    Claim,
    ClaimCode,
    CodeBatch,
    Hold,
    Project,
    ProjectCoordinator,
    User,
)


def is_coordinator(session: Session, project_id: int, user_id: int) -> bool:
    statement = select(ProjectCoordinator).where(
        ProjectCoordinator.project_id == project_id, ProjectCoordinator.user_id == user_id
    )
    return session.scalars(statement).first() is not None


def coordinator_ids(session: Session, project_id: int) -> list[int]:
    statement = select(ProjectCoordinator.user_id).where(
        ProjectCoordinator.project_id == project_id
    )
    return list(session.scalars(statement.order_by(ProjectCoordinator.user_id)))


def coordinated_project_ids(session: Session, user_id: int) -> list[int]:
    statement = select(ProjectCoordinator.project_id).where(ProjectCoordinator.user_id == user_id)
    return list(session.scalars(statement))


def list_projects(session: Session, only_ids: Sequence[int] | None) -> list[Project]:
    statement = select(Project).order_by(Project.id)
    if only_ids is not None:
        statement = statement.where(Project.id.in_(only_ids))
    return list(session.scalars(statement))


def list_activities(session: Session, project_id: int) -> list[Activity]:
    statement = select(Activity).where(Activity.project_id == project_id).order_by(Activity.id)
    return list(session.scalars(statement))


def activity_ids_of_claims(session: Session, claim_ids: Sequence[int]) -> dict[int, int]:
    """Map each existing claim id to its activity's id (fixed for a claim's life, so unlocked)."""
    statement = select(Claim.id, Claim.activity_id).where(Claim.id.in_(claim_ids))
    return {row.id: row.activity_id for row in session.execute(statement)}


def code_by_digest(session: Session, digest: str, short: bool) -> ClaimCode | None:
    column = ClaimCode.short_hash if short else ClaimCode.code_hash
    return session.scalars(select(ClaimCode).where(column == digest)).one_or_none()


def codes_of_batch(session: Session, batch_id: int) -> list[ClaimCode]:
    statement = select(ClaimCode).where(ClaimCode.batch_id == batch_id).order_by(ClaimCode.position)
    return list(session.scalars(statement))


def latest_claim_with_code(session: Session, code_id: int, member_id: int) -> Claim | None:
    """The member's latest claim made with the code."""
    statement = (
        select(Claim)
        .where(Claim.code_id == code_id, Claim.member_id == member_id)
        .order_by(Claim.id.desc())
        .limit(1)
    )
    return session.scalars(statement).one_or_none()


def member_claims_since(
    session: Session, activity_id: int, member_id: int, since: datetime | None
) -> int:
    """How many claims, not rejected, the member made on the activity (since a moment)."""
    statement = select(func.count()).where(
        Claim.activity_id == activity_id, Claim.member_id == member_id, Claim.status != "rejected"
    )
    if since is not None:
        statement = statement.where(Claim.created_at >= since)
    return session.scalar(statement) or 0


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    project_ids: Sequence[int] | None = None
    activity_id: int | None = None
    status: str | None = None
    member_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(statement: Select[Any], where: ClaimFilter) -> Select[Any]:
    if where.project_ids is not None:
        statement = statement.join(Activity, Activity.id == Claim.activity_id).where(
            Activity.project_id.in_(where.project_ids)
        )
    if where.activity_id is not None:
        statement = statement.where(Claim.activity_id == where.activity_id)
    if where.status is not None:
        statement = statement.where(Claim.status == where.status)
    if where.member_id is not None:
        statement = statement.where(Claim.member_id == where.member_id)
    if where.since is not None:
        statement = statement.where(Claim.created_at >= where.since)
    if where.until is not None:
        statement = statement.where(Claim.created_at < where.until)
    return statement


def list_claims(
    session: Session, where: ClaimFilter, before_id: int | None, limit: int
) -> list[Claim]:
    """Claims, newest first."""
    statement = _filtered(select(Claim), where).order_by(Claim.id.desc()).limit(limit)
    if before_id is not None:
        statement = statement.where(Claim.id < before_id)
    return list(session.scalars(statement))


@dataclass(frozen=True, slots=True)
class ClaimTotals:
    status: str
    claims: int
    hours: Any
    amount: int
    volunteers: int


def claim_totals(session: Session, activity_id: int) -> list[ClaimTotals]:
    statement = (
        select(
            Claim.status,
            func.count(),
            func.coalesce(func.sum(Claim.hours), 0),
            func.coalesce(func.sum(Claim.amount), 0),
            func.count(distinct(Claim.member_id)),
        )
        .where(Claim.activity_id == activity_id)
        .group_by(Claim.status)
    )
    return [ClaimTotals(s, c, h, int(a), v) for s, c, h, a, v in session.execute(statement)]


def unique_volunteers(session: Session, activity_id: int, statuses: Sequence[str]) -> int:
    statement = select(func.count(distinct(Claim.member_id))).where(
        Claim.activity_id == activity_id, Claim.status.in_(statuses)
    )
    return session.scalar(statement) or 0


def pending_holds_by_account(session: Session, account_ids: Sequence[int]) -> dict[int, int]:
    statement = (
        select(Hold.account_id, func.sum(Hold.amount))
        .where(Hold.status == "pending", Hold.account_id.in_(account_ids))
        .group_by(Hold.account_id)
    )
    return {account_id: int(total) for account_id, total in session.execute(statement)}


@dataclass(frozen=True, slots=True)
class WaitingClaimRow:
    claim: Claim
    activity_title: str
    member_name: str


def waiting_claims(session: Session, project_id: int, limit: int) -> list[WaitingClaimRow]:
    """A project's pending claims, oldest first, with the activity's title and who claimed."""
    statement = (
        select(Claim, Activity.title, User.display_name)
        .join(Activity, Activity.id == Claim.activity_id)
        .join(User, User.id == Claim.member_id)
        .where(Activity.project_id == project_id, Claim.status == "pending")
        .order_by(Claim.id)
        .limit(limit)
    )
    return [WaitingClaimRow(c, title, name) for c, title, name in session.execute(statement)]


def claim_ids_in_project(session: Session, project_id: int, claim_ids: Sequence[int]) -> set[int]:
    statement = (
        select(Claim.id)
        .join(Activity, Activity.id == Claim.activity_id)
        .where(Activity.project_id == project_id, Claim.id.in_(claim_ids))
    )
    return set(session.scalars(statement))


def batches_of_activity(session: Session, activity_id: int) -> list[CodeBatch]:
    """An activity's batches of codes, newest first."""
    statement = (
        select(CodeBatch).where(CodeBatch.activity_id == activity_id).order_by(CodeBatch.id.desc())
    )
    return list(session.scalars(statement))
