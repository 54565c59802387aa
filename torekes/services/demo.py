"""A demo community for a first look: currency TRK, a community garden budget, members, shops
and a few dozen transactions, with a printed list of logins (development only)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.services import accounts, currencies, ledger, users
from torekes.services.unit_of_work import WriteContext
from torekes.services.views import AccountView


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str


PEOPLE = [
    (Role.ADMIN, "admin", "Anna Admin"),
    (Role.AUDITOR, "auditor", "Oscar Auditor"),
    (Role.COORDINATOR, "coord", "Chris Coordinator"),
    (Role.MEMBER, "fatima", "Fatima"),
    (Role.MEMBER, "jonas", "Jonas"),
    (Role.MEMBER, "elif", "Elif"),
    (Role.SHOPKEEPER, "bakker", "Bakkerij Rabot"),
    (Role.SHOPKEEPER, "fietser", "Fietsatelier"),
]


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


def load(db: Database, only_if_empty: bool = False, seed: int = 7) -> list[DemoLogin] | None:
    """Load the demo community in one transaction; ``None`` when skipped because users exist."""
    with db.write_session() as session:
        if only_if_empty and (session.scalar(select(func.count()).select_from(m.User)) or 0) > 0:
            return None
        operator = Principal(user_id=0, username="demo", role=Role.ADMIN)
        ctx = WriteContext(session, operator)
        people = {
            username: users.add_user(
                ctx, users.UserCommand(username, name, role, demo_password(username))
            )
            for role, username, name in PEOPLE
        }
        admin = Principal(people["admin"].id, "admin", Role.ADMIN)
        ctx = WriteContext(session, admin)
        currencies.create_currency(
            ctx, currencies.CurrencyCommand("TRK", "Torekes", 0, Decimal("0.10"))
        )

        def open_account(kind: AccountKind, name: str, owner: str | None) -> AccountView:
            owner_id = None if owner is None else people[owner].id
            command = accounts.AccountCommand("TRK", kind, name, owner_id)
            return accounts.open_account(ctx, command)

        garden = open_account(AccountKind.BUDGET, "Community garden", "coord")
        members = [
            open_account(AccountKind.MEMBER, f"{people[u].display_name}'s wallet", u)
            for u in ("fatima", "jonas", "elif")
        ]
        shops = [
            open_account(AccountKind.SHOP, people[u].display_name, u) for u in ("bakker", "fietser")
        ]
        rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not a secret
        _demo_activity(ctx, garden, members, shops, rng)
        session.commit()
    return [DemoLogin(role.value, u, demo_password(u)) for role, u, _ in PEOPLE]


def _demo_activity(
    ctx: WriteContext,
    garden: AccountView,
    members: list[AccountView],
    shops: list[AccountView],
    rng: random.Random,
) -> None:
    ledger.issue(ctx, ledger.IssuanceCommand(garden.id, 20_000, "Garden budget 2026"))
    for week in range(1, 13):
        member = rng.choice(members)
        hours = rng.randint(1, 4)
        ledger.transfer(
            ctx,
            ledger.TransferCommand(
                garden.id, member.id, 25 * hours, f"Garden work, week {week}", {"hours": hours}
            ),
        )
    for member in members:
        ledger.transfer(ctx, ledger.TransferCommand(garden.id, member.id, 100, "Welcome bonus"))
    for _ in range(14):
        member, shop = rng.choice(members), rng.choice(shops)
        ledger.transfer(
            ctx, ledger.TransferCommand(member.id, shop.id, rng.randint(5, 40), "Purchase")
        )
