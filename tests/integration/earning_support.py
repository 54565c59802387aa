"""Builders and raw-SQL checks for the earning side's integration tests.

Members are made in bulk straight into the ``users`` table (with an unusable password hash):
the claims only need a principal and a member account, and fifty argon2 hashes would cost
seconds per test. Everything else goes through the services.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, text

from tests.support import Ledger
from torekes.audit import verification
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.domain.periods import LimitPeriod
from torekes.earning import activities, claim_codes, claims, projects
from torekes.earning.read_models import ActivityView, BatchView, ClaimView, CodeView, ProjectView
from torekes.kit import clock
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts
from torekes.settings import Settings

_serial = itertools.count(1)


@dataclass(frozen=True)
class Member:
    principal: Principal
    account_id: int

    @property
    def id(self) -> int:
        return self.principal.user_id


def people(ledger: Ledger, role: Role, count: int) -> list[Principal]:
    """``count`` users of ``role``, inserted in one transaction without password hashing."""

    def insert(ctx: Any) -> list[Principal]:
        made: list[Principal] = []
        for _ in range(count):
            name = f"{role.value}-e{next(_serial)}"
            user = m.User(
                username=name,
                display_name=name.title(),
                role=role.value,
                password_hash="!unusable",
                is_active=True,
            )
            ctx.session.add(user)
            ctx.session.flush()
            made.append(Principal(user.id, name, role))
        return made

    return write(ledger.db, ledger.admin.principal, insert)


def members(ledger: Ledger, count: int, currency: str = "TRK") -> list[Member]:
    """``count`` members, each with one member account in ``currency``."""
    principals = people(ledger, Role.MEMBER, count)

    def open_all(ctx: Any) -> list[Member]:
        made: list[Member] = []
        for principal in principals:
            command = accounts.AccountCommand(
                currency, AccountKind.MEMBER, f"wallet of {principal.username}", principal.user_id
            )
            made.append(Member(principal, accounts.open_account(ctx, command).id))
        return made

    return write(ledger.db, ledger.admin.principal, open_all)


def coordinator(ledger: Ledger) -> Principal:
    return people(ledger, Role.COORDINATOR, 1)[0]


def project(
    ledger: Ledger, coordinators: list[Principal], funding: int, currency: str = "TRK"
) -> ProjectView:
    command = projects.ProjectCommand(
        f"Project {next(_serial)}", currency, [c.user_id for c in coordinators]
    )
    view = write(
        ledger.db, ledger.admin.principal, lambda ctx: projects.create_project(ctx, command)
    )
    if funding:
        ledger.issue(view.budget_account_id, funding)
    return view


def activity(
    db: Database,
    actor: Principal,
    project_id: int,
    *,
    reward_kind: RewardKind = RewardKind.FIXED,
    reward_amount: int = 10,
    max_hours: Decimal | None = None,
    capacity: int | None = None,
    per_member_limit: int | None = None,
    period_limit: int | None = None,
    period: LimitPeriod | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    requires_approval: bool = False,
    title: str = "Weeding",
) -> ActivityView:
    command = activities.ActivityCommand(
        title=title,
        description="Pulling weeds in the community garden",
        reward_kind=reward_kind,
        reward_amount=reward_amount,
        max_hours=max_hours,
        capacity=capacity,
        per_member_limit=per_member_limit,
        period_limit=period_limit,
        period=period,
        valid_from=valid_from,
        valid_until=valid_until,
        requires_approval=requires_approval,
    )
    return write(db, actor, lambda ctx: activities.create_activity(ctx, project_id, command))


def batch(
    db: Database,
    settings: Settings,
    actor: Principal,
    activity_id: int,
    *,
    kind: CodeKind = CodeKind.SINGLE,
    count: int = 1,
    max_uses: int = 1,
    expires_at: datetime | None = None,
) -> BatchView:
    command = claim_codes.BatchCommand(kind, count, max_uses, expires_at)
    return write(
        db, actor, lambda ctx: claim_codes.create_batch(ctx, settings, activity_id, command)
    )


def single_codes(
    db: Database, settings: Settings, actor: Principal, activity_id: int, count: int = 1
) -> list[CodeView]:
    return batch(db, settings, actor, activity_id, count=count).codes


def multi_code(
    db: Database,
    settings: Settings,
    actor: Principal,
    activity_id: int,
    max_uses: int,
    expires_at: datetime,
) -> CodeView:
    made = batch(
        db,
        settings,
        actor,
        activity_id,
        kind=CodeKind.MULTI,
        max_uses=max_uses,
        expires_at=expires_at,
    )
    return made.codes[0]


def claim(
    db: Database,
    settings: Settings,
    actor: Principal,
    code: str,
    hours: Decimal | None = None,
    account_id: int | None = None,
) -> ClaimView:
    command = claims.ClaimCommand(code, hours, account_id)
    return write(db, actor, lambda ctx: claims.claim(ctx, settings, command))


def approve(db: Database, actor: Principal, claim_id: int) -> ClaimView:
    return write(db, actor, lambda ctx: claims.approve(ctx, claim_id))


def reject(db: Database, actor: Principal, claim_id: int, reason: str = "not seen") -> ClaimView:
    return write(db, actor, lambda ctx: claims.reject(ctx, claim_id, reason))


# --- raw SQL views ---------------------------------------------------------------------------


EARNING_TABLES = ("claims", "claim_codes", "code_batches", "activities", "holds", "projects")


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the journal, the accounts and the earning tables: a refusal changes none."""
    tables = ("transactions", "postings", "accounts", "currencies", *EARNING_TABLES)
    with db.read_engine.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            ]
            for table in tables
        }


@dataclass(frozen=True)
class ClaimRow:
    id: int
    activity_id: int
    code_id: int | None
    member_id: int
    account_id: int
    hours: Decimal | None
    amount: int
    status: str
    hold_id: int | None
    transaction_id: int | None


def claim_rows(db: Database, activity_id: int | None = None) -> list[ClaimRow]:
    query = (
        "SELECT id, activity_id, code_id, member_id, account_id, hours, amount, status, "
        "hold_id, transaction_id FROM claims"
    )
    params: dict[str, Any] = {}
    if activity_id is not None:
        query += " WHERE activity_id = :a"
        params["a"] = activity_id
    with db.read_engine.connect() as connection:
        rows = connection.execute(text(query + " ORDER BY id"), params).all()
    return [
        ClaimRow(
            int(r[0]),
            int(r[1]),
            None if r[2] is None else int(r[2]),
            int(r[3]),
            int(r[4]),
            None if r[5] is None else Decimal(str(r[5])).quantize(Decimal("0.01")),
            int(r[6]),
            str(r[7]),
            None if r[8] is None else int(r[8]),
            None if r[9] is None else int(r[9]),
        )
        for r in rows
    ]


def scalar(db: Database, query: str, **params: Any) -> Any:
    with db.read_engine.connect() as connection:
        return connection.execute(text(query), params).scalar_one()


def statuses(db: Database, activity_id: int) -> Counter[str]:
    return Counter(row.status for row in claim_rows(db, activity_id))


def assert_earning_consistent(db: Database) -> None:
    """Claims, code uses, activity counts, holds and reward transactions agree, and the ledger
    verifies: checked with plain SQL, independent of the services' own reads."""
    report = verification.verify(db)
    assert report.ok, report.problems
    rows = claim_rows(db)
    with db.read_engine.connect() as connection:
        uses: dict[Any, Any] = dict(
            connection.execute(text("SELECT id, uses FROM claim_codes")).all()
        )
        max_uses: dict[Any, Any] = dict(
            connection.execute(text("SELECT id, max_uses FROM claim_codes")).all()
        )
        counts: dict[Any, Any] = dict(
            connection.execute(text("SELECT id, claims_count FROM activities")).all()
        )
        capacity: dict[Any, Any] = dict(
            connection.execute(text("SELECT id, capacity FROM activities")).all()
        )
        budgets: dict[Any, Any] = dict(
            connection.execute(
                text(
                    "SELECT a.id, p.budget_account_id FROM activities a JOIN projects p "
                    "ON p.id = a.project_id"
                )
            ).all()
        )
        holds = {
            int(r[0]): (int(r[1]), int(r[2]), str(r[3]), r[4])
            for r in connection.execute(
                text("SELECT id, account_id, amount, status, transaction_id FROM holds")
            ).all()
        }
        rewards = {
            int(r[0]): str(r[1])
            for r in connection.execute(text("SELECT id, kind FROM transactions")).all()
        }
        postings: dict[int, dict[int, int]] = {}
        for tx, account, amount in connection.execute(
            text("SELECT transaction_id, account_id, amount FROM postings")
        ).all():
            postings.setdefault(int(tx), {})[int(account)] = int(amount)
    # A used code stays used: every claim, rejected or not, took one use.
    per_code = Counter(row.code_id for row in rows if row.code_id is not None)
    for code_id, used in uses.items():
        assert used == per_code.get(code_id, 0), (code_id, used, per_code.get(code_id, 0))
        assert used <= max_uses[code_id]
    # The activity's counter is its claims not rejected, and never above its capacity.
    live = Counter(row.activity_id for row in rows if row.status != "rejected")
    for activity_id, count in counts.items():
        assert count == live.get(activity_id, 0), (activity_id, count, live.get(activity_id, 0))
        if capacity[activity_id] is not None:
            assert count <= capacity[activity_id]
    linked_transactions = [row.transaction_id for row in rows if row.transaction_id is not None]
    assert len(linked_transactions) == len(set(linked_transactions))
    for row in rows:
        budget = budgets[row.activity_id]
        if row.status == "paid":
            assert row.transaction_id is not None, row
            assert rewards[row.transaction_id] == "reward", row
            assert postings[row.transaction_id] == {budget: -row.amount, row.account_id: row.amount}
            if row.hold_id is not None:
                hold = holds[row.hold_id]
                assert hold[:3] == (budget, row.amount, "posted"), (row, hold)
                assert hold[3] == row.transaction_id
        else:
            assert row.transaction_id is None, row
            assert row.hold_id is not None, row  # only claims awaiting approval are not paid
            hold = holds[row.hold_id]
            expected = "pending" if row.status == "pending" else "released"
            assert hold[:3] == (budget, row.amount, expected), (row, hold)
    # Every reward transaction belongs to exactly one paid claim.
    reward_ids = {tx for tx, kind in rewards.items() if kind == "reward"}
    assert reward_ids == {row.transaction_id for row in rows if row.status == "paid"}
    # Every hold of the earning side belongs to a claim.
    assert set(holds) == {row.hold_id for row in rows if row.hold_id is not None}


def all_text(db: Database) -> list[str]:
    """Every value of every column of every table in the database, as text."""
    found: list[str] = []
    with db.read_engine.connect() as connection:
        names = inspect(connection).get_table_names()
        for name in names:
            for row in connection.execute(text(f'SELECT * FROM "{name}"')).all():
                found.extend(str(value) for value in row if value is not None)
    assert {t.name for t in m.Base.metadata.sorted_tables} <= set(names)
    return found


@dataclass(frozen=True)
class Scene:
    """A funded project with one coordinator, in the currency TRK."""

    ledger: Ledger
    settings: Settings
    coordinator: Principal
    project: ProjectView

    @property
    def db(self) -> Database:
        return self.ledger.db

    @property
    def budget_id(self) -> int:
        return self.project.budget_account_id

    def activity(self, **options: Any) -> ActivityView:
        return activity(self.db, self.coordinator, self.project.id, **options)

    def codes(self, activity_id: int, count: int = 1) -> list[CodeView]:
        return single_codes(self.db, self.settings, self.coordinator, activity_id, count)

    def multi(
        self, activity_id: int, max_uses: int, expires_at: datetime | None = None
    ) -> CodeView:
        until = expires_at or clock.now() + timedelta(days=30)
        return multi_code(self.db, self.settings, self.coordinator, activity_id, max_uses, until)

    def members(self, count: int) -> list[Member]:
        return members(self.ledger, count)

    def claim(
        self, actor: Principal, code: str, hours: Decimal | None = None, db: Database | None = None
    ) -> ClaimView:
        return claim(db or self.db, self.settings, actor, code, hours)

    def approve(self, claim_id: int, actor: Principal | None = None) -> ClaimView:
        return approve(self.db, actor or self.coordinator, claim_id)

    def reject(self, claim_id: int, actor: Principal | None = None) -> ClaimView:
        return reject(self.db, actor or self.coordinator, claim_id)

    def budget(self) -> tuple[int, int]:
        """The budget's (balance, held), read with plain SQL."""
        with self.db.read_engine.connect() as connection:
            row = connection.execute(
                text("SELECT balance, held FROM accounts WHERE id = :a"), {"a": self.budget_id}
            ).one()
        return int(row[0]), int(row[1])

    def balance(self, account_id: int) -> int:
        return int(scalar(self.db, "SELECT balance FROM accounts WHERE id = :a", a=account_id))


def make_scene(ledger: Ledger, settings: Settings, funding: int = 10_000) -> Scene:
    lead = coordinator(ledger)
    return Scene(ledger, settings, lead, project(ledger, [lead], funding))
