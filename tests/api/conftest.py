"""Fixtures for the API tests: cheap password hashing, and a small world of users of every role,
each owning a funded account, built through the services."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher

from tests.support import Actor, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.services import accounts, security
from torekes.services.unit_of_work import write
from torekes.services.views import AccountView, CurrencyView

OWN_FUNDS = 100
BUDGET_FUNDS = 10_000


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with the cheapest parameters: these tests create many users."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@dataclass
class World:
    """A currency TRK; one user of each role, each owning an account funded with ``OWN_FUNDS``
    (a shop for the shopkeeper, member accounts for the rest); a stranger (a member) with a funded
    account of their own; and an unowned budget account holding what is left of the funding."""

    ledger: Ledger
    currency: CurrencyView
    actors: dict[Role, Actor]
    own: dict[Role, AccountView]
    own_tx: dict[Role, int]
    stranger: Actor
    stranger_account: AccountView
    stranger_tx: int
    budget: AccountView

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
    )
