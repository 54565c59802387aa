"""Test builders: users with tokens, a currency, accounts and funds, made through the services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.identity import users
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts, currencies, journal
from torekes.ledger.read_models import AccountView, CurrencyView, TransactionView
from torekes.settings import Settings

_names = itertools.count(1)
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Actor:
    principal: Principal
    token: str

    @property
    def id(self) -> int:
        return self.principal.user_id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Ledger:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._admin: Actor | None = None

    @property
    def admin(self) -> Actor:
        if self._admin is None:
            self._admin = self.user(Role.ADMIN, "root-admin")
        return self._admin

    def user(self, role: Role, username: str | None = None) -> Actor:
        name = username or f"{role.value}{next(_names)}"
        command = users.UserCommand(name, name.title(), role, PASSWORD)
        operator = Principal(0, "operator", Role.ADMIN)
        issued = write(
            self.db,
            operator,
            lambda ctx: users.issue_token(ctx, self.settings, users.add_user(ctx, command).id),
        )
        return Actor(Principal(issued.user.id, name, role), issued.access_token)

    def currency(self, code: str = "TRK", decimals: int = 0) -> CurrencyView:
        command = currencies.CurrencyCommand(code, f"{code} tokens", decimals, Decimal("0.10"))
        return write(
            self.db, self.admin.principal, lambda ctx: currencies.create_currency(ctx, command)
        )

    def account(
        self, kind: AccountKind, owner: Actor | None = None, currency: str = "TRK"
    ) -> AccountView:
        command = accounts.AccountCommand(
            currency, kind, f"{kind.value} {next(_names)}", None if owner is None else owner.id
        )
        return write(self.db, self.admin.principal, lambda ctx: accounts.open_account(ctx, command))

    def budget(self, amount: int, currency: str = "TRK") -> AccountView:
        """A budget account funded with ``amount`` by an issuance."""
        account = self.account(AccountKind.BUDGET, currency=currency)
        if amount:
            self.issue(account.id, amount)
        return account

    def issue(self, budget_id: int, amount: int) -> TransactionView:
        command = journal.IssuanceCommand(budget_id, amount, "test funding")
        return write(self.db, self.admin.principal, lambda ctx: journal.issue(ctx, command))

    def transfer(
        self, source: int, target: int, amount: int, actor: Principal | None = None
    ) -> TransactionView:
        command = journal.TransferCommand(source, target, amount, "test transfer")
        return write(
            self.db, actor or self.admin.principal, lambda ctx: journal.transfer(ctx, command)
        )

    def funded_member(self, owner: Actor, amount: int, currency: str = "TRK") -> AccountView:
        """A member account of ``owner`` holding ``amount``, paid from a fresh budget."""
        member = self.account(AccountKind.MEMBER, owner, currency)
        if amount:
            budget = self.budget(amount, currency)
            self.transfer(budget.id, member.id, amount)
        return member
