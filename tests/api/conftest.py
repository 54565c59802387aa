"""Fixtures for the API tests: cheap password hashing, and a small world of users of every role,
each owning a funded account, with a project to earn in, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests.support import Actor, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.earning import activities, claim_codes, claims, projects
from torekes.earning.activities import ActivityCommand
from torekes.earning.claim_codes import BatchCommand
from torekes.earning.claims import ClaimCommand
from torekes.earning.projects import ProjectCommand
from torekes.earning.read_models import ActivityView, BatchView, ClaimView, CodeView, ProjectView
from torekes.kit import security
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts
from torekes.ledger.read_models import AccountView, CurrencyView

OWN_FUNDS = 100
BUDGET_FUNDS = 10_000
PROJECT_FUNDS = 1_000
REWARD = 10


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with the cheapest parameters: these tests create many users."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@dataclass
class Earning:
    """The world's project, coordinated by the world's coordinator, its budget funded with
    ``PROJECT_FUNDS`` out of the world's budget (so nothing more is issued); an activity paying
    ``REWARD`` per claim with approval; a batch of three single-use codes of it; and the world's
    member's pending claim with the batch's first code."""

    project: ProjectView
    activity: ActivityView
    batch: BatchView
    pending: ClaimView


@dataclass
class World:
    """A currency TRK; one user of each role, each owning an account funded with ``OWN_FUNDS``
    (a shop for the shopkeeper, member accounts for the rest); a stranger (a member) with a funded
    account of their own; an unowned budget account holding what is left of the funding; a
    project to earn in (see ``Earning``); and an outsider, a coordinator of no project."""

    ledger: Ledger
    currency: CurrencyView
    actors: dict[Role, Actor]
    own: dict[Role, AccountView]
    own_tx: dict[Role, int]
    stranger: Actor
    stranger_account: AccountView
    stranger_tx: int
    budget: AccountView
    earning: Earning
    outsider: Actor

    def headers(self, role: Role) -> dict[str, str]:
        return self.actors[role].headers

    @property
    def admin(self) -> Actor:
        return self.actors[Role.ADMIN]

    def account_of(self, role: Role, funded: bool = False) -> AccountView:
        """A further member account owned by the actor of ``role``."""
        account = self.ledger.account(AccountKind.MEMBER, self.actors[role])
        if funded:
            self.ledger.transfer(self.budget.id, account.id, OWN_FUNDS)
        return account

    def set_status(self, account_id: int, action: str) -> None:
        write(
            self.ledger.db,
            self.admin.principal,
            lambda ctx: accounts.change_status(ctx, account_id, action),
        )

    def new_activity(self, action: str | None = None, **changes: Any) -> ActivityView:
        """A further activity of the world's project (like the world's one unless changed),
        paused or closed when ``action`` says so."""
        return new_activity(self.ledger, self.earning.project.id, action, **changes)

    def new_code(self, activity_id: int | None = None) -> CodeView:
        """A fresh single-use code of the world's activity (or of ``activity_id``)."""
        return new_batch(self.ledger, activity_id or self.earning.activity.id).codes[0]

    def new_pending_claim(self) -> ClaimView:
        """A further pending claim by the world's member on the world's activity."""
        return claim(self.ledger, self.actors[Role.MEMBER], self.new_code().code)


def new_activity(
    ledger: Ledger, project_id: int, action: str | None = None, **changes: Any
) -> ActivityView:
    fields: dict[str, Any] = {
        "title": "Weeding",
        "description": "The community garden",
        "reward_kind": RewardKind.FIXED,
        "reward_amount": REWARD,
        "requires_approval": True,
    }
    fields.update(changes)
    command = ActivityCommand(**fields)
    admin = ledger.admin.principal
    activity = write(
        ledger.db, admin, lambda ctx: activities.create_activity(ctx, project_id, command)
    )
    steps = {"pause": ["pause"], "close": ["pause", "close"], None: []}[action]
    for step in steps:
        activity = write(
            ledger.db,
            admin,
            partial(activities.change_status, activity_id=activity.id, action=step),
        )
    return activity


def new_batch(
    ledger: Ledger, activity_id: int, count: int = 1, kind: CodeKind = CodeKind.SINGLE, **more: Any
) -> BatchView:
    command = BatchCommand(kind, count, **more)
    return write(
        ledger.db,
        ledger.admin.principal,
        lambda ctx: claim_codes.create_batch(ctx, ledger.settings, activity_id, command),
    )


def claim(ledger: Ledger, member: Actor, code: str, **more: Any) -> ClaimView:
    command = ClaimCommand(code, **more)
    return write(
        ledger.db, member.principal, lambda ctx: claims.claim(ctx, ledger.settings, command)
    )


def new_project(
    ledger: Ledger, funds: int, *coordinators: Actor, name: str = "Garden"
) -> ProjectView:
    command = ProjectCommand(name, "TRK", [actor.id for actor in coordinators])
    project = write(
        ledger.db, ledger.admin.principal, lambda ctx: projects.create_project(ctx, command)
    )
    if funds:
        ledger.issue(project.budget_account_id, funds)
    return project


@pytest.fixture
def world(ledger: Ledger) -> World:
    currency = ledger.currency()
    budget = ledger.budget(BUDGET_FUNDS)
    actors = {Role.ADMIN: ledger.admin}
    for role in Role:
        if role is not Role.ADMIN:
            actors[role] = ledger.user(role)
    own: dict[Role, AccountView] = {}
    own_tx: dict[Role, int] = {}
    for role, actor in actors.items():
        kind = AccountKind.SHOP if role is Role.SHOPKEEPER else AccountKind.MEMBER
        own[role] = ledger.account(kind, actor)
        own_tx[role] = ledger.transfer(budget.id, own[role].id, OWN_FUNDS).id
    stranger = ledger.user(Role.MEMBER)
    stranger_account = ledger.account(AccountKind.MEMBER, stranger)
    stranger_tx = ledger.transfer(budget.id, stranger_account.id, OWN_FUNDS).id
    project = new_project(ledger, 0, actors[Role.COORDINATOR])
    ledger.transfer(budget.id, project.budget_account_id, PROJECT_FUNDS)
    activity = new_activity(ledger, project.id)
    batch = new_batch(ledger, activity.id, count=3)
    pending = claim(ledger, actors[Role.MEMBER], batch.codes[0].code)
    return World(
        ledger=ledger,
        currency=currency,
        actors=actors,
        own=own,
        own_tx=own_tx,
        stranger=stranger,
        stranger_account=stranger_account,
        stranger_tx=stranger_tx,
        budget=budget,
        earning=Earning(project, activity, batch, pending),
        outsider=ledger.user(Role.COORDINATOR),
    )
