"""Projects: a budget account of their own, funded by issuances, and the coordinators who run it.

Coordinators act only inside their own projects; administrators act everywhere; auditors read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind, AccountStatus
from torekes.earning import queries
from torekes.earning.read_models import ProjectView
from torekes.kit import audit_trail
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger.currencies import get_currency_id


@dataclass(frozen=True, slots=True)
class ProjectCommand:
    name: str
    currency: str
    coordinator_ids: Sequence[int] = field(default_factory=tuple)


def create_project(ctx: WriteContext, command: ProjectCommand) -> ProjectView:
    access.require_admin(ctx.actor)
    session = ctx.session
    currency_id = get_currency_id(session, command.currency)
    budget = m.Account(
        currency_id=currency_id,
        kind=AccountKind.BUDGET.value,
        name=f"{command.name} budget",
        owner_id=None,
        status=AccountStatus.ACTIVE.value,
        balance=0,
        held=0,
    )
    session.add(budget)
    session.flush()
    project = m.Project(name=command.name, currency_id=currency_id, budget_account_id=budget.id)
    session.add(project)
    session.flush()
    for user_id in sorted(set(command.coordinator_ids)):
        _add_coordinator(session, project.id, user_id)
    after = {"name": project.name, "currency": command.currency, "budget_account_id": budget.id}
    audit_trail.record(ctx, "project.created", "project", project.id, None, after)
    return project_view(session, project)


def add_coordinator(ctx: WriteContext, project_id: int, user_id: int) -> ProjectView:
    access.require_admin(ctx.actor)
    project = _project(ctx.session, project_id)
    if not queries.is_coordinator(ctx.session, project_id, user_id):
        _add_coordinator(ctx.session, project_id, user_id)
        audit_trail.record(
            ctx, "project.coordinator_added", "project", project_id, None, {"user_id": user_id}
        )
    return project_view(ctx.session, project)


def list_projects(db: Database, actor: Principal) -> list[ProjectView]:
    with db.read_session() as session:
        only = (
            None
            if actor.reads_everything
            else queries.coordinated_project_ids(session, actor.user_id)
        )
        return [project_view(session, project) for project in queries.list_projects(session, only)]


def get_project(db: Database, actor: Principal, project_id: int) -> ProjectView:
    with db.read_session() as session:
        project = _project(session, project_id)
        require_project_reader(session, actor, project_id)
        return project_view(session, project)


def require_project_coordinator(session: Session, actor: Principal, project_id: int) -> None:
    """Writes inside a project: its coordinators, or an administrator."""
    if actor.is_admin:
        return
    if actor.role is Role.COORDINATOR and queries.is_coordinator(
        session, project_id, actor.user_id
    ):
        return
    raise errors.NotProjectCoordinator(project_id=project_id)


def require_project_reader(session: Session, actor: Principal, project_id: int) -> None:
    if actor.reads_everything:
        return
    require_project_coordinator(session, actor, project_id)


def project_view(session: Session, project: m.Project) -> ProjectView:
    budget = referenced(session, m.Account, project.budget_account_id)
    currency = referenced(session, m.Currency, project.currency_id)
    return ProjectView(
        id=project.id,
        name=project.name,
        currency=currency.code,
        budget_account_id=budget.id,
        budget_balance=budget.balance,
        budget_held=budget.held,
        budget_available=budget.balance - budget.held,
        coordinator_ids=queries.coordinator_ids(session, project.id),
        created_at=project.created_at,
    )


def _project(session: Session, project_id: int) -> m.Project:
    project = session.get(m.Project, project_id)
    if project is None:
        raise errors.ProjectNotFound(project_id=project_id)
    return project


def _add_coordinator(session: Session, project_id: int, user_id: int) -> None:
    user = session.get(m.User, user_id)
    if user is None:
        raise errors.UserNotFound(f"No user {user_id}", user_id=user_id)
    if user.role != Role.COORDINATOR:
        raise errors.InvalidInput(f"User {user_id} is not a coordinator", user_id=user_id)
    session.add(m.ProjectCoordinator(project_id=project_id, user_id=user_id))
    session.flush()
