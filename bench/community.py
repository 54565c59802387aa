"""The benchmark's community, made through the services as a real one would be: a currency, a
shop with a standing QR at its till, and one member per client (own login token, own funded
wallet, own poster code of an activity that pays at once, with no per-member limits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.domain.spending import RequestKind
from torekes.earning import activities, claim_codes, projects
from torekes.earning.claim_codes import MAX_USES_PER_CODE
from torekes.identity import users
from torekes.kit import clock
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import accounts, currencies, journal
from torekes.settings import Settings
from torekes.spending import payment_requests

CURRENCY = "BNC"
WALLET = 1_000_000
BUDGET = 1_000_000_000
PASSWORD = "bench-password-2026"
OPERATOR = Principal(0, "operator", Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Member:
    token: str
    account_id: int
    claim_code: str


@dataclass(frozen=True, slots=True)
class Community:
    members: tuple[Member, ...]
    shop_account_id: int
    standing_code: str


def build(url: str, settings: Settings, size: int) -> Community:
    """A community with ``size`` members in the fresh database at ``url``."""
    database = Database(url)
    try:
        return _build(database, settings, size)
    finally:
        database.dispose()


def _build(database: Database, settings: Settings, size: int) -> Community:
    def person(role: Role, name: str) -> tuple[Principal, str]:
        command = users.UserCommand(name, name.title(), role, PASSWORD)

        def add(ctx: WriteContext) -> users.IssuedToken:
            return users.issue_token(ctx, settings, users.add_user(ctx, command).id)

        issued = write(database, OPERATOR, add)
        return Principal(issued.user.id, name, role), issued.access_token

    admin, _ = person(Role.ADMIN, "bench-admin")
    coordinator, _ = person(Role.COORDINATOR, "bench-coordinator")
    keeper, _ = person(Role.SHOPKEEPER, "bench-shop")
    money = currencies.CurrencyCommand(CURRENCY, "Bench tokens", 0, Decimal("0.10"))
    write(database, admin, lambda ctx: currencies.create_currency(ctx, money))

    def open_account(kind: AccountKind, name: str, owner: int | None) -> int:
        command = accounts.AccountCommand(CURRENCY, kind, name, owner)
        return write(database, admin, lambda ctx: accounts.open_account(ctx, command)).id

    shop = open_account(AccountKind.SHOP, "Bench shop", keeper.user_id)
    till = payment_requests.RequestCommand(shop, RequestKind.STANDING, memo="Till")
    standing = write(
        database, keeper, lambda ctx: payment_requests.create_request(ctx, settings, till)
    )
    project_command = projects.ProjectCommand("Bench garden", CURRENCY, [coordinator.user_id])
    project = write(database, admin, lambda ctx: projects.create_project(ctx, project_command))
    funding = journal.IssuanceCommand(project.budget_account_id, BUDGET, "bench funding")
    write(database, admin, lambda ctx: journal.issue(ctx, funding))
    task = activities.ActivityCommand("Bench work", "Claimed by the benchmark", RewardKind.FIXED, 1)
    activity = write(
        database, coordinator, lambda ctx: activities.create_activity(ctx, project.id, task)
    )
    posters = claim_codes.BatchCommand(
        CodeKind.MULTI, size, MAX_USES_PER_CODE, clock.now() + timedelta(days=30)
    )
    batch = write(
        database,
        coordinator,
        lambda ctx: claim_codes.create_batch(ctx, settings, activity.id, posters),
    )
    members = []
    for index, poster in enumerate(batch.codes):
        principal, token = person(Role.MEMBER, f"bench-member-{index}")
        wallet = open_account(AccountKind.MEMBER, f"Wallet {index}", principal.user_id)
        gift = journal.TransferCommand(project.budget_account_id, wallet, WALLET, "bench wallet")
        write(database, admin, partial(journal.transfer, command=gift))
        members.append(Member(token, wallet, poster.code))
    return Community(tuple(members), shop, standing.code)
