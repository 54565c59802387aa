"""A project's claims waiting for a coordinator: who claimed what, for how many hours and when,
and deciding several of them at once from the project's own page (a claim of another project
is not decided there, even by someone who coordinates both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.earning import claims, queries
from torekes.earning.projects import require_project_coordinator, require_project_reader
from torekes.earning.read_models import ResolutionOutcome
from torekes.kit.unit_of_work import WriteContext

MAX_WAITING_SHOWN = 500
DECISIONS = ("approve", "reject")


@dataclass(frozen=True, slots=True)
class WaitingClaim:
    id: int
    activity_id: int
    activity: str
    member: str
    hours: Decimal | None
    amount: int
    created_at: datetime


def waiting(
    db: Database, actor: Principal, project_id: int, limit: int = MAX_WAITING_SHOWN
) -> list[WaitingClaim]:
    """The project's pending claims, oldest first (its coordinators, administrators, auditors)."""
    with db.read_session() as session:
        _require_project(session, project_id)
        require_project_reader(session, actor, project_id)
        return [
            WaitingClaim(
                id=row.claim.id,
                activity_id=row.claim.activity_id,
                activity=row.activity_title,
                member=row.member_name,
                hours=row.claim.hours,
                amount=row.claim.amount,
                created_at=row.claim.created_at,
            )
            for row in queries.waiting_claims(session, project_id, limit)
        ]


def decide(
    ctx: WriteContext, project_id: int, claim_ids: list[int], decision: str, reason: str = ""
) -> list[ResolutionOutcome]:
    """Approve or reject these claims of the project, each on its own (see
    ``claims.resolve_many``); a claim outside the project is reported as not found."""
    if decision not in DECISIONS:
        raise errors.InvalidInput("Approve or reject", decision=decision)
    _require_project(ctx.session, project_id)
    require_project_coordinator(ctx.session, ctx.actor, project_id)
    wanted = list(dict.fromkeys(claim_ids))
    inside = queries.claim_ids_in_project(ctx.session, project_id, wanted)
    chosen = [claim_id for claim_id in wanted if claim_id in inside]
    decided = (
        {o.claim_id: o for o in claims.resolve_many(ctx, chosen, decision, reason)}
        if chosen
        else {}
    )
    outside = errors.ClaimNotFound.code
    return [
        decided.get(claim_id) or ResolutionOutcome(claim_id, False, None, outside)
        for claim_id in wanted
    ]


def _require_project(session: Session, project_id: int) -> None:
    if session.get(m.Project, project_id) is None:
        raise errors.ProjectNotFound(project_id=project_id)
