"""Every report figure reconciles with the ledger, on generated data.

A seeded random town (two currencies, two projects with fixed and per-hour activities, members,
shops and a redeemable partner) lives through a few months: issuances, transfers, claims with
hours (paid at once or approved later, some rejected), payments (by members, and by shops at other
shops), partial and full refunds, reversals, redemptions asked, approved, paid alone or in a
settlement, rejected, and euro rate changes. The clock (``FakeClock``: the services' ``now`` and
the journal's ``created_at`` together) moves after every step, sometimes by days and sometimes to
just before, at or just after a month's first moment in Brussels, so no two steps share a moment.

Then every report is checked against figures computed here from plain SQL over the tables
(transactions, postings, accounts, claims, payments, refunds, redemptions, rates), never through
``torekes.reporting.reports`` or ``torekes.reporting.queries``: circulation at many sequence numbers
and moments (against the postings and the trial balance, the identity included), every project month
(budget edges, funding, rewards, other moves, claims, hours, volunteers, first-timers), every shop
month (payments, refunds, redemptions, pending at month end, the balance identity), statements
over many windows (opening balance, running balances, counterparties), and the audit with both its
identities.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests.integration.earning_support import Member, members, people
from tests.integration.spending_support import FakeClock
from tests.support import Ledger
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.earning import activities, claim_codes, claims, projects
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import accounts, journal
from torekes.redemption import payouts, rates, redemptions, settlements
from torekes.reporting import reports
from torekes.settings import Settings
from torekes.spending import payment_requests, payments, reversals

ZONE = ZoneInfo("Europe/Brussels")
START = datetime(2026, 1, 3, 9, 0, tzinfo=UTC)
STEPS = 120
SEEDS = [7, 2026]
IBAN = "BE71096123456769"
CODES_PER_ACTIVITY = 120
MICRO = timedelta(microseconds=1)


# --- the town -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    id: int
    per_hour: bool
    coordinator: Principal


@dataclass(frozen=True)
class Payee:
    keeper: Principal
    account_id: int


@dataclass
class Town:
    ledger: Ledger
    settings: Settings
    clock: FakeClock
    rng: random.Random
    budget_id: int
    project_budgets: list[int]
    project_ids: list[int]
    coordinators: list[Principal]
    activities: list[Activity]
    codes: dict[int, list[str]]
    members: list[Member]
    payees: list[Payee]
    cnt_budget_id: int
    cnt_member: Member
    cnt_shop: Payee
    pending_claims: list[tuple[int, Principal]] = field(default_factory=list)
    payment_transactions: list[int] = field(default_factory=list)
    reversible: list[int] = field(default_factory=list)
    done: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def db(self) -> Database:
        return self.ledger.db

    @property
    def admin(self) -> Principal:
        return self.ledger.admin.principal

    def run(self, actor: Principal, operation: Callable[[WriteContext], Any]) -> Any:
        return write(self.db, actor, operation)

    def available(self, account_id: int) -> int:
        with self.db.read_engine.connect() as connection:
            row = connection.execute(
                text("SELECT balance - held FROM accounts WHERE id = :a"), {"a": account_id}
            ).one()
        return int(row[0])


def build_town(ledger: Ledger, settings: Settings, clock: FakeClock, seed: int) -> Town:
    """Two projects (the first pays fixed rewards after approval and hours at once, the second
    the other way round), six members, three shops and a redeemable partner with payout
    details, and a currency with cents with a member and a shop of its own."""
    admin = ledger.admin.principal
    ledger.currency("TRK")
    ledger.currency("CNT", decimals=2)
    budget = ledger.budget(20_000)
    coordinators = people(ledger, Role.COORDINATOR, 2)
    project_ids: list[int] = []
    project_budgets: list[int] = []
    found: list[Activity] = []
    codes: dict[int, list[str]] = {}
    for number, lead in enumerate(coordinators):
        project = write(
            ledger.db,
            admin,
            partial(
                projects.create_project,
                command=projects.ProjectCommand(f"Project {number}", "TRK", [lead.user_id]),
            ),
        )
        project_ids.append(project.id)
        project_budgets.append(project.budget_account_id)
        ledger.issue(project.budget_account_id, 400)
        for per_hour, approval in ((False, number == 0), (True, number == 1)):
            rules = activities.ActivityCommand(
                title="Reading" if per_hour else "Weeding",
                description="",
                reward_kind=RewardKind.PER_HOUR if per_hour else RewardKind.FIXED,
                reward_amount=9 if per_hour else 10,
                max_hours=Decimal(6) if per_hour else None,
                requires_approval=approval,
            )
            activity = write(
                ledger.db,
                lead,
                partial(activities.create_activity, project_id=project.id, command=rules),
            )
            batch = write(
                ledger.db,
                lead,
                partial(
                    claim_codes.create_batch,
                    settings=settings,
                    activity_id=activity.id,
                    command=claim_codes.BatchCommand(CodeKind.SINGLE, CODES_PER_ACTIVITY),
                ),
            )
            found.append(Activity(activity.id, per_hour, lead))
            codes[activity.id] = [code.code for code in batch.codes]
    town_members = members(ledger, 6)
    keepers = people(ledger, Role.SHOPKEEPER, 4)
    payees: list[Payee] = []
    for number, keeper in enumerate(keepers):
        kind = AccountKind.PARTNER if number == 3 else AccountKind.SHOP
        opening = accounts.AccountCommand("TRK", kind, f"{kind.value} {number}", keeper.user_id)
        account = write(ledger.db, admin, partial(accounts.open_account, command=opening))
        if kind is AccountKind.PARTNER:
            write(
                ledger.db,
                admin,
                partial(payouts.set_redeemable, account_id=account.id, redeemable=True),
            )
        write(
            ledger.db,
            admin,
            partial(
                payouts.set_payout_details, account_id=account.id, iban=IBAN, payout_name="Payee"
            ),
        )
        payees.append(Payee(keeper, account.id))
    cnt_budget = ledger.budget(500_000, currency="CNT")
    cnt_member = members(ledger, 1, currency="CNT")[0]
    opening = accounts.AccountCommand("CNT", AccountKind.SHOP, "cnt shop", keepers[0].user_id)
    cnt_shop = write(ledger.db, admin, partial(accounts.open_account, command=opening))
    ledger.transfer(cnt_budget.id, cnt_member.account_id, 100_000)
    return Town(
        ledger=ledger,
        settings=settings,
        clock=clock,
        rng=random.Random(seed),
        budget_id=budget.id,
        project_budgets=project_budgets,
        project_ids=project_ids,
        coordinators=coordinators,
        activities=found,
        codes=codes,
        members=town_members,
        payees=payees,
        cnt_budget_id=cnt_budget.id,
        cnt_member=cnt_member,
        cnt_shop=Payee(keepers[0], cnt_shop.id),
    )


# --- the steps ----------------------------------------------------------------------------------


def issue(town: Town) -> bool:
    target = town.rng.choice([town.budget_id, *town.project_budgets])
    command = journal.IssuanceCommand(target, town.rng.randint(20, 400), "funding")
    made = town.run(town.admin, lambda ctx: journal.issue(ctx, command))
    town.reversible.append(made.id)
    return True


def move(town: Town) -> bool:
    """From the budget to a project's budget or a member, or between members."""
    rng = town.rng
    choice = rng.random()
    if choice < 0.4:
        source, target = town.budget_id, rng.choice(town.project_budgets)
    elif choice < 0.6:
        source, target = rng.choice(town.project_budgets), town.budget_id
    elif choice < 0.85:
        source, target = town.budget_id, rng.choice(town.members).account_id
    else:
        payer, payee = rng.sample(town.members, 2)
        source, target = payer.account_id, payee.account_id
    available = town.available(source)
    if available <= 0:
        return False
    amount = rng.randint(1, min(available, 300))
    command = journal.TransferCommand(source, target, amount, "moved")
    made = town.run(town.admin, lambda ctx: journal.transfer(ctx, command))
    town.reversible.append(made.id)
    return True


def claim(town: Town) -> bool:
    activity = town.rng.choice(town.activities)
    if not town.codes[activity.id]:
        return False
    code = town.codes[activity.id].pop()
    member = town.rng.choice(town.members)
    hours = Decimal(town.rng.randint(1, 20)) / 4 if activity.per_hour else None
    command = claims.ClaimCommand(code, hours)
    view = town.run(member.principal, lambda ctx: claims.claim(ctx, town.settings, command))
    if view.status == "pending":
        town.pending_claims.append((view.id, activity.coordinator))
    elif view.transaction_id is not None:
        town.reversible.append(view.transaction_id)
    return True


def decide_claim(town: Town) -> bool:
    if not town.pending_claims:
        return False
    claim_id, coordinator = town.pending_claims.pop(town.rng.randrange(len(town.pending_claims)))
    if town.rng.random() < 0.75:
        view = town.run(coordinator, lambda ctx: claims.approve(ctx, claim_id))
        if view.transaction_id is not None:
            town.reversible.append(view.transaction_id)
    else:
        town.run(coordinator, lambda ctx: claims.reject(ctx, claim_id, "not seen"))
    return True


def pay(town: Town) -> bool:
    """A member pays a shop or the partner; now and then a shop pays at another."""
    rng = town.rng
    payee = rng.choice(town.payees)
    if rng.random() < 0.8:
        member = rng.choice(town.members)
        payer, account_id = member.principal, member.account_id
    else:
        other = rng.choice([p for p in town.payees if p.keeper != payee.keeper])
        payer, account_id = other.keeper, other.account_id
    available = town.available(account_id)
    if available <= 0:
        return False
    amount = rng.randint(1, min(available, 80))
    request = payment_requests.RequestCommand(payee.account_id, amount=amount, memo="=SUM(A1)")
    made = town.run(
        payee.keeper, lambda ctx: payment_requests.create_request(ctx, town.settings, request)
    )
    command = payment_requests.PayCommand(account_id=account_id)
    receipt = town.run(
        payer, lambda ctx: payment_requests.pay(ctx, town.settings, made.code, command)
    )
    town.payment_transactions.append(receipt.transaction_id)
    town.reversible.append(receipt.transaction_id)
    return True


def pay_in_cents(town: Town) -> bool:
    request = payment_requests.RequestCommand(
        town.cnt_shop.account_id, amount=town.rng.randint(1, 2_500), memo="lunch"
    )
    made = town.run(
        town.cnt_shop.keeper,
        lambda ctx: payment_requests.create_request(ctx, town.settings, request),
    )
    command = payment_requests.PayCommand(account_id=town.cnt_member.account_id)
    town.run(
        town.cnt_member.principal,
        lambda ctx: payment_requests.pay(ctx, town.settings, made.code, command),
    )
    return True


def refund(town: Town) -> bool:
    if not town.payment_transactions:
        return False
    transaction_id = town.rng.choice(town.payment_transactions)
    with town.db.read_engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT amount - refunded_amount, shop_account_id FROM payments "
                "WHERE transaction_id = :t"
            ),
            {"t": transaction_id},
        ).one()
    left, shop_id = int(row[0]), int(row[1])
    if left <= 0:
        return False
    amount = None if town.rng.random() < 0.3 else town.rng.randint(1, left)
    keeper = next(p.keeper for p in town.payees if p.account_id == shop_id)
    made = town.run(keeper, lambda ctx: payments.refund(ctx, transaction_id, amount, "sorry"))
    town.reversible.append(made.transaction_id)
    return True


def reverse(town: Town) -> bool:
    if not town.reversible:
        return False
    transaction_id = town.rng.choice(town.reversible)
    town.run(town.admin, lambda ctx: reversals.reverse(ctx, transaction_id, "mistake"))
    return True


def ask_redemption(town: Town) -> bool:
    """A shop or the partner with tokens to spare asks to redeem part of them."""
    funded = [(p, town.available(p.account_id)) for p in town.payees]
    funded = [(p, available) for p, available in funded if available > 0]
    if not funded:
        return False
    payee, available = town.rng.choice(funded)
    amount = town.rng.randint(1, max(1, available // 2))
    town.run(payee.keeper, lambda ctx: redemptions.request(ctx, payee.account_id, amount, ""))
    return True


def _redemption_in(town: Town, *statuses: str) -> int | None:
    with town.db.read_engine.connect() as connection:
        found = [
            int(row[0])
            for row in connection.execute(
                text("SELECT id, status FROM redemptions WHERE settlement_id IS NULL ORDER BY id")
            ).all()
            if row[1] in statuses
        ]
    return town.rng.choice(found) if found else None


def approve_redemption(town: Town) -> bool:
    chosen = _redemption_in(town, "requested")
    if chosen is None:
        return False
    town.run(town.admin, lambda ctx: redemptions.approve(ctx, chosen))
    return True


def pay_redemption(town: Town) -> bool:
    chosen = _redemption_in(town, "approved")
    if chosen is None:
        return False
    town.run(town.admin, lambda ctx: redemptions.pay(ctx, chosen, "SEPA"))
    return True


def reject_redemption(town: Town) -> bool:
    chosen = _redemption_in(town, "requested", "approved")
    if chosen is None:
        return False
    town.run(town.admin, lambda ctx: redemptions.reject(ctx, chosen, "no"))
    return True


def settle(town: Town) -> bool:
    """Every approved redemption in one settlement, paid an hour later in one step."""
    made = town.run(town.admin, lambda ctx: settlements.create(ctx, "TRK"))
    town.clock.advance(timedelta(hours=1))
    town.run(town.admin, lambda ctx: settlements.pay(ctx, made.id, "SEPA batch"))
    return True


def new_rate(town: Town) -> bool:
    rate = Decimal(town.rng.randint(6, 16)) / 100
    town.run(town.admin, lambda ctx: rates.set_rate(ctx, "TRK", rate))
    return True


STEP_WEIGHTS: list[tuple[Callable[[Town], bool], float]] = [
    (issue, 1.0),
    (move, 3.0),
    (claim, 6.0),
    (decide_claim, 2.5),
    (pay, 7.0),
    (pay_in_cents, 1.0),
    (refund, 2.0),
    (reverse, 2.5),
    (ask_redemption, 3.0),
    (approve_redemption, 3.0),
    (pay_redemption, 3.0),
    (reject_redemption, 0.6),
    (settle, 0.4),
    (new_rate, 0.6),
]


def next_month_start(moment: datetime) -> datetime:
    local = moment.astimezone(ZONE)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=ZONE).astimezone(UTC)


# What happens right at a month's edge, where ``<`` and ``<=`` part ways.
EDGE_STEPS: list[Callable[[Town], bool]] = [
    claim,
    decide_claim,
    pay,
    refund,
    reverse,
    ask_redemption,
    ask_redemption,
    pay_redemption,
    pay_redemption,
    reject_redemption,
]


def move_clock(town: Town) -> bool:
    """Always forward: minutes or hours, sometimes days, sometimes to a month's first moment in
    Brussels (a microsecond before it, at it, or just after). True when at the edge."""
    rng, clock = town.rng, town.clock
    roll = rng.random()
    if roll < 0.08:
        edge = next_month_start(clock.moment)
        target = edge + rng.choice([-MICRO, timedelta(0), timedelta(0), timedelta(0), MICRO])
        clock.set(max(target, clock.moment + MICRO))
        return True
    if roll < 0.2:
        clock.advance(timedelta(days=rng.randint(1, 3), minutes=rng.randint(1, 600)))
    else:
        clock.advance(timedelta(minutes=rng.randint(1, 600)))
    return False


def live(town: Town, steps: int) -> None:
    functions = [function for function, _ in STEP_WEIGHTS]
    weights = [weight for _, weight in STEP_WEIGHTS]
    at_edge = False
    for _ in range(steps):
        pick = town.rng.choice(EDGE_STEPS) if at_edge else None
        step = pick or town.rng.choices(functions, weights)[0]
        try:
            if step(town):
                town.done[step.__name__] += 1
                town.done["at a month's edge"] += at_edge
        except errors.TorekesError as refusal:
            town.done[f"refused {refusal.code}"] += 1
        at_edge = move_clock(town)


# --- the ledger as plain SQL --------------------------------------------------------------------


def utc(value: Any) -> datetime:
    """A stored moment (a string on SQLite, a datetime on PostgreSQL) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime), value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def maybe_utc(value: Any) -> datetime | None:
    return None if value is None else utc(value)


@dataclass(frozen=True)
class Tx:
    id: int
    currency_id: int
    seq: int
    kind: str
    memo: str
    created_at: datetime


@dataclass(frozen=True)
class Line:
    """A posting with its transaction."""

    id: int
    tx: Tx
    account_id: int
    amount: int
    balance_after: int


@dataclass(frozen=True)
class PaidClaim:
    project_id: int
    member_id: int
    hours: Decimal
    amount: int
    paid_at: datetime


@dataclass(frozen=True)
class RedemptionRow:
    id: int
    account_id: int
    currency_id: int
    amount: int
    status: str
    euro_cents: int | None
    requested_at: datetime
    approved_at: datetime | None
    rejected_at: datetime | None
    paid_tx: Tx | None


@dataclass
class Books:
    currencies: dict[str, tuple[int, int, int]]  # code: (id, decimals, last_seq)
    accounts: dict[int, tuple[str, int, str, int]]  # id: (kind, currency, name, balance)
    txs: dict[int, Tx]
    lines: list[Line]
    paid_claims: list[PaidClaim]
    project_budget: dict[int, int]
    payments: list[tuple[Tx, int, int]]  # (transaction, shop, amount)
    refunds: list[tuple[Tx, int, int]]  # (transaction, shop, amount)
    redemptions: list[RedemptionRow]
    rates: dict[int, list[tuple[datetime, int, Decimal]]]  # currency: [(valid_from, id, rate)]

    def __post_init__(self) -> None:
        self._of_account: dict[int, list[Line]] = defaultdict(list)
        self._of_tx: dict[int, list[Line]] = defaultdict(list)
        for x in sorted(self.lines, key=lambda x: (x.tx.currency_id, x.tx.seq, x.id)):
            self._of_account[x.account_id].append(x)
            self._of_tx[x.tx.id].append(x)

    def lines_of(self, account_id: int) -> list[Line]:
        """The account's postings in sequence order."""
        return self._of_account[account_id]

    def lines_in(self, transaction_id: int) -> list[Line]:
        """The transaction's postings in the order they were written."""
        return self._of_tx[transaction_id]

    def balance_before(self, account_id: int, moment: datetime) -> int:
        return sum(x.amount for x in self.lines_of(account_id) if x.tx.created_at < moment)

    def in_period(self, account_id: int, since: datetime, until: datetime) -> list[Line]:
        return [x for x in self.lines_of(account_id) if since <= x.tx.created_at < until]


def read_books(db: Database) -> Books:
    with db.read_engine.connect() as connection:

        def rows(query: str) -> list[Any]:
            return list(connection.execute(text(query)).all())

        currencies = {
            str(r[1]): (int(r[0]), int(r[2]), int(r[3]))
            for r in rows("SELECT id, code, decimals, last_seq FROM currencies")
        }
        accounts_ = {
            int(r[0]): (str(r[1]), int(r[2]), str(r[3]), int(r[4]))
            for r in rows("SELECT id, kind, currency_id, name, balance FROM accounts")
        }
        txs = {
            int(r[0]): Tx(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]), utc(r[5]))
            for r in rows("SELECT id, currency_id, seq, kind, memo, created_at FROM transactions")
        }
        lines = [
            Line(int(r[0]), txs[int(r[1])], int(r[2]), int(r[3]), int(r[4]))
            for r in rows(
                "SELECT id, transaction_id, account_id, amount, balance_after FROM postings"
            )
        ]
        paid_claims = [
            PaidClaim(
                int(r[0]),
                int(r[1]),
                Decimal(0) if r[2] is None else Decimal(str(r[2])).quantize(Decimal("0.01")),
                int(r[3]),
                txs[int(r[4])].created_at,
            )
            for r in rows(
                "SELECT a.project_id, c.member_id, c.hours, c.amount, c.transaction_id "
                "FROM claims c JOIN activities a ON a.id = c.activity_id WHERE c.status = 'paid'"
            )
        ]
        project_budget = {
            int(r[0]): int(r[1]) for r in rows("SELECT id, budget_account_id FROM projects")
        }
        payments_ = [
            (txs[int(r[0])], int(r[1]), int(r[2]))
            for r in rows("SELECT transaction_id, shop_account_id, amount FROM payments")
        ]
        refunds = [
            (txs[int(r[0])], int(r[1]), int(r[2]))
            for r in rows(
                "SELECT r.transaction_id, p.shop_account_id, r.amount FROM refunds r "
                "JOIN payments p ON p.id = r.payment_id"
            )
        ]
        redemptions_ = [
            RedemptionRow(
                int(r[0]),
                int(r[1]),
                int(r[2]),
                int(r[3]),
                str(r[4]),
                None if r[5] is None else int(r[5]),
                utc(r[6]),
                maybe_utc(r[7]),
                maybe_utc(r[8]),
                None if r[9] is None else txs[int(r[9])],
            )
            for r in rows(
                "SELECT id, account_id, currency_id, amount, status, euro_cents, requested_at, "
                "approved_at, rejected_at, transaction_id FROM redemptions"
            )
        ]
        rate_rows: dict[int, list[tuple[datetime, int, Decimal]]] = defaultdict(list)
        for r in rows("SELECT currency_id, valid_from, id, rate FROM currency_rates"):
            rate_rows[int(r[0])].append((utc(r[1]), int(r[2]), Decimal(str(r[3]))))
    return Books(
        currencies,
        accounts_,
        txs,
        lines,
        paid_claims,
        project_budget,
        payments_,
        refunds,
        redemptions_,
        dict(rate_rows),
    )


# --- months -------------------------------------------------------------------------------------


def months_of(first: datetime, last: datetime) -> list[tuple[int, int]]:
    """The Brussels calendar months from the one holding ``first`` to the one holding ``last``."""
    local, end = first.astimezone(ZONE), last.astimezone(ZONE)
    found = [(local.year, local.month)]
    while found[-1] < (end.year, end.month):
        year, month = found[-1]
        found.append((year + 1, 1) if month == 12 else (year, month + 1))
    return found


def month_start(month: tuple[int, int]) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=ZONE).astimezone(UTC)


def month_name(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def edges_of(months: list[tuple[int, int]]) -> Iterator[tuple[str, datetime, datetime]]:
    last = months[-1]
    after = (last[0] + 1, 1) if last[1] == 12 else (last[0], last[1] + 1)
    starts = [month_start(month) for month in [*months, after]]
    for index, month in enumerate(months):
        yield month_name(month), starts[index], starts[index + 1]


# --- the checks ---------------------------------------------------------------------------------


def expected_circulation(books: Books, code: str, seq: int, moment: datetime) -> dict[str, Any]:
    currency_id, decimals, _last = books.currencies[code]
    by_kind: dict[str, int] = defaultdict(int)
    for x in books.lines:
        if x.tx.currency_id == currency_id and x.tx.seq <= seq:
            by_kind[books.accounts[x.account_id][0]] += x.amount
    in_circulation = sum(v for k, v in by_kind.items() if k not in ("issuance", "redemption"))
    pending = approved = approved_cents = 0
    for row in books.redemptions:
        if row.currency_id != currency_id or row.requested_at > moment:
            continue
        if row.paid_tx is not None and row.paid_tx.seq <= seq:
            continue
        if row.rejected_at is not None and row.rejected_at <= moment:
            continue
        pending += row.amount
        if row.approved_at is not None and row.approved_at <= moment:
            approved += row.amount
            approved_cents += row.euro_cents or 0
    valid = [r for r in books.rates[currency_id] if r[0] <= moment]
    rate = max(valid)[2]
    rest = Decimal(in_circulation - approved).scaleb(-decimals) * rate * 100
    return {
        "as_of_seq": seq,
        "issued": -by_kind["issuance"],
        "budgets": by_kind["budget"],
        "member_wallets": by_kind["member"],
        "shops": by_kind["shop"],
        "partners": by_kind["partner"],
        "in_circulation": in_circulation,
        "redeemed": by_kind["redemption"],
        "pending_redemption": pending,
        "approved_unpaid": approved,
        "approved_unpaid_euro_cents": approved_cents,
        "euro_rate": rate,
        "euro_liability_cents": approved_cents
        + int(rest.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
    }


def check_circulation(town: Town, books: Books, moments: list[datetime]) -> int:
    """At sequence numbers and at moments; returns how many points were checked."""
    checked = 0
    auditor = people(town.ledger, Role.AUDITOR, 1)[0]
    for code, (currency_id, _decimals, last_seq) in books.currencies.items():
        by_seq = {t.seq: t for t in books.txs.values() if t.currency_id == currency_id}
        paid_seqs = [
            r.paid_tx.seq for r in books.redemptions if r.paid_tx and r.currency_id == currency_id
        ]
        wanted_seqs = {1, last_seq, *paid_seqs, *(s - 1 for s in paid_seqs)}
        wanted_seqs |= set(town.rng.sample(range(1, last_seq + 1), min(10, last_seq)))
        points: list[tuple[str, int, datetime]] = []
        for seq in sorted(s for s in wanted_seqs if s >= 1):
            points.append((str(seq), seq, by_seq[seq].created_at))
        for moment in town.rng.sample(moments, min(30, len(moments))):
            seq = max((t.seq for t in by_seq.values() if t.created_at <= moment), default=0)
            if seq == 0:
                continue  # before the currency's first entry: nothing to compare but zeros
            shown = moment.astimezone(ZONE) if town.rng.random() < 0.5 else moment
            points.append((shown.isoformat(), seq, moment))
        for as_of, seq, moment in points:
            report = reports.circulation(town.db, auditor, code, as_of)
            expected = expected_circulation(books, code, seq, moment)
            got = {name: getattr(report, name) for name in expected}
            assert got == expected, (code, as_of)
            assert report.as_of == moment, (code, as_of)
            assert report.identity_holds
            assert report.issued == report.in_circulation + report.redeemed
            assert report.pending_redemption <= report.shops + report.partners
            trial = verification.trial_balance(town.db, auditor, code, as_of)
            assert trial.balanced
            assert trial.as_of_seq == report.as_of_seq
            assert (trial.issued, trial.in_circulation, trial.redeemed) == (
                report.issued,
                report.in_circulation,
                report.redeemed,
            )
            for kind, name in (("budget", "budgets"), ("member", "member_wallets")):
                assert trial.totals_by_kind.get(kind, 0) == getattr(report, name)
            checked += 1
        # Now: the redemptions' states as stored, the audit's own tallies.
        now = reports.circulation(town.db, town.admin, code, None)
        live = [r for r in books.redemptions if r.currency_id == currency_id]
        assert now.pending_redemption == sum(
            r.amount for r in live if r.status in ("requested", "approved")
        )
        assert now.approved_unpaid == sum(r.amount for r in live if r.status == "approved")
        assert now.approved_unpaid_euro_cents == sum(
            r.euro_cents or 0 for r in live if r.status == "approved"
        )
        assert now.redeemed == sum(r.amount for r in live if r.status == "paid")
        assert now.as_of_seq == last_seq
        assert now.as_of == town.clock.moment
        tally = next(c for c in verification.verify(town.db).currencies if c.currency == code)
        assert (tally.issued, tally.in_circulation, tally.redeemed) == (
            now.issued,
            now.in_circulation,
            now.redeemed,
        )
        assert tally.pending_redemption == now.pending_redemption
    return checked


def expected_project_month(
    books: Books, project_id: int, since: datetime, until: datetime
) -> dict[str, Any]:
    budget = books.project_budget[project_id]
    funded = tokens_paid = other = 0
    for x in books.in_period(budget, since, until):
        if x.amount > 0 and x.tx.kind != "reversal":
            funded += x.amount
        elif x.amount < 0 and x.tx.kind == "reward":
            tokens_paid -= x.amount
        else:
            other += x.amount
    paid = [c for c in books.paid_claims if c.project_id == project_id]
    in_month = [c for c in paid if since <= c.paid_at < until]
    first: dict[int, datetime] = {}
    for c in paid:
        first[c.member_id] = min(first.get(c.member_id, c.paid_at), c.paid_at)
    start, end = books.balance_before(budget, since), books.balance_before(budget, until)
    assert end - start == funded - tokens_paid + other
    # Rewards leave a budget only by paying claims: the journal and the claims agree.
    assert tokens_paid == sum(c.amount for c in in_month)
    return {
        "budget_start": start,
        "funded": funded,
        "tokens_paid": tokens_paid,
        "other": other,
        "budget_left": end,
        "claims": len(in_month),
        "hours": sum((c.hours for c in in_month), Decimal(0)),
        "volunteers": len({c.member_id for c in in_month}),
        "first_time_volunteers": sum(1 for t in first.values() if since <= t < until),
    }


def check_projects(town: Town, books: Books, months: list[tuple[int, int]]) -> int:
    timezone = town.settings.timezone
    checked = 0
    for span in (months, months[len(months) // 2 :]):
        period = (month_name(span[0]), month_name(span[-1]))
        found = reports.project_reports(town.db, town.admin, timezone, None, None, period)
        assert [r.project_id for r in found] == sorted(books.project_budget)
        for report in found:
            edges = list(edges_of(span))
            assert [row.month for row in report.months] == [name for name, _, _ in edges]
            for row, (name, since, until) in zip(report.months, edges, strict=True):
                expected = expected_project_month(books, report.project_id, since, until)
                got = {key: getattr(row, key) for key in expected}
                assert got == expected, (report.project_id, name)
                checked += 1
            whole = expected_project_month(books, report.project_id, edges[0][1], edges[-1][2])
            got = {key: getattr(report.total, key) for key in whole}
            assert got == whole, (report.project_id, "total")
            assert report.total.month == f"{period[0]}..{period[1]}"
            assert report.budget_account_id == books.project_budget[report.project_id]
        # A coordinator sees exactly their own project, with the same figures.
        for lead, project_id in zip(town.coordinators, town.project_ids, strict=True):
            own = reports.project_reports(town.db, lead, timezone, "TRK", None, period)
            assert own == [r for r in found if r.project_id == project_id]
    return checked


def expected_shop_month(
    books: Books, account_id: int, since: datetime, until: datetime
) -> dict[str, Any]:
    def inside(tx: Tx) -> bool:
        return since <= tx.created_at < until

    paid_in = [a for tx, shop, a in books.payments if shop == account_id and inside(tx)]
    refunded = [a for tx, shop, a in books.refunds if shop == account_id and inside(tx)]
    own = [r for r in books.redemptions if r.account_id == account_id]
    redeemed = [r for r in own if r.status == "paid" and r.paid_tx and inside(r.paid_tx)]
    lines = books.in_period(account_id, since, until)
    by_ledger: defaultdict[tuple[str, bool], int] = defaultdict(int)
    other = 0
    for x in lines:
        key = (x.tx.kind, x.amount > 0)
        if key in (("payment", True), ("refund", False), ("redemption", False)):
            by_ledger[key] += abs(x.amount)
        else:
            other += x.amount
    # The spending and redemption tables agree with the postings.
    assert by_ledger[("payment", True)] == sum(paid_in)
    assert by_ledger[("refund", False)] == sum(refunded)
    assert by_ledger[("redemption", False)] == sum(r.amount for r in redeemed)
    start, end = books.balance_before(account_id, since), books.balance_before(account_id, until)
    assert end - start == sum(paid_in) - sum(refunded) - sum(r.amount for r in redeemed) + other

    def pending_at_end(r: RedemptionRow) -> bool:
        if r.requested_at >= until:
            return False
        if r.paid_tx is not None and r.paid_tx.created_at < until:
            return False
        return not (r.rejected_at is not None and r.rejected_at < until)

    return {
        "balance_start": start,
        "payments": sum(paid_in),
        "payments_count": len(paid_in),
        "refunds": sum(refunded),
        "refunds_count": len(refunded),
        "redeemed": sum(r.amount for r in redeemed),
        "redemptions_count": len(redeemed),
        "redeemed_euro_cents": sum(r.euro_cents or 0 for r in redeemed),
        "other": other,
        "balance_end": end,
        "pending_redemption": sum(r.amount for r in own if pending_at_end(r)),
    }


def check_shops(town: Town, books: Books, months: list[tuple[int, int]]) -> int:
    timezone = town.settings.timezone
    payee_ids = sorted(i for i, a in books.accounts.items() if a[0] in ("shop", "partner"))
    checked = 0
    for span in (months, months[1:-1]):
        period = (month_name(span[0]), month_name(span[-1]))
        found = reports.shop_reports(town.db, town.admin, timezone, None, None, period)
        assert [r.account_id for r in found] == payee_ids
        edges = list(edges_of(span))
        for report in found:
            for row, (name, since, until) in zip(report.months, edges, strict=True):
                assert row.month == name
                expected = expected_shop_month(books, report.account_id, since, until)
                got = {key: getattr(row, key) for key in expected}
                assert got == expected, (report.account_id, name)
                checked += 1
        # A keeper sees their own payees, in any currency, with the same figures.
        keeper = town.cnt_shop.keeper
        own = reports.shop_reports(town.db, keeper, timezone, None, None, period)
        assert {r.account_id for r in own} == {
            p.account_id for p in [*town.payees, town.cnt_shop] if p.keeper == keeper
        }
        assert own == [r for r in found if r.account_id in {x.account_id for x in own}]
        in_cents = reports.shop_reports(town.db, town.admin, timezone, "CNT", None, period)
        assert [r.account_id for r in in_cents] == [town.cnt_shop.account_id]
        assert in_cents[0].decimals == 2
    return checked


def check_statements(town: Town, books: Books, moments: list[datetime]) -> int:
    checked = 0
    for account_id, (_kind, _currency, _name, balance) in sorted(books.accounts.items()):
        lines = books.lines_of(account_id)
        windows: list[tuple[datetime | None, datetime | None]] = [(None, None)]
        for _ in range(2):
            early, late = sorted(town.rng.sample(moments, 2))
            windows += [(early, late), (early, None), (None, late)]
        for since, until in windows:
            statement = reports.account_statement(town.db, town.admin, account_id, since, until)
            low = datetime.min.replace(tzinfo=UTC) if since is None else since
            high = datetime.max.replace(tzinfo=UTC) if until is None else until
            inside = [x for x in lines if low <= x.tx.created_at < high]
            opening = sum(x.amount for x in lines if x.tx.created_at < low)
            assert statement.opening_balance == opening
            assert [
                (e.seq, e.transaction_id, e.amount, e.kind, e.memo) for e in statement.entries
            ] == [(x.tx.seq, x.tx.id, x.amount, x.tx.kind, x.tx.memo) for x in inside]
            running = opening
            for entry, x in zip(statement.entries, inside, strict=True):
                running += entry.amount
                assert entry.balance_after == running == x.balance_after
                assert entry.created_at == x.tx.created_at
                others = [y for y in books.lines_in(x.tx.id) if y.account_id != account_id]
                assert entry.counterparties == [books.accounts[y.account_id][2] for y in others]
            assert statement.closing_balance == running
            assert statement.closing_balance == sum(
                x.amount for x in lines if x.tx.created_at < high
            )
            if until is None:
                assert statement.closing_balance == balance
            checked += 1
    return checked


# --- the test -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_every_report_reconciles_with_the_ledger(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    clock = FakeClock(monkeypatch, START)
    town = build_town(ledger, settings, clock, seed)
    live(town, STEPS)
    # Whatever happened, the audit verifies with both identities.
    verified = verification.verify(town.db)
    assert verified.ok, verified.problems
    assert all(c.issued_identity_holds and c.redemption_identity_holds for c in verified.currencies)
    # The run did a bit of everything.
    for step in ("claim", "decide_claim", "pay", "refund", "reverse", "ask_redemption"):
        assert town.done[step] > 0, town.done
    assert town.done["pay_redemption"] + town.done["settle"] > 0, town.done
    assert town.done["reject_redemption"] + town.done["new_rate"] > 0, town.done

    books = read_books(town.db)
    first = min(t.created_at for t in books.txs.values())
    last = town.clock.moment
    months = months_of(first - timedelta(days=31), last + timedelta(days=31))
    assert len(months) >= 5, months
    edges = [start for _, start, _ in edges_of(months)]
    steps = [r.requested_at for r in books.redemptions]
    steps += [m for r in books.redemptions for m in (r.approved_at, r.rejected_at) if m]
    moments = sorted(
        {
            *edges,
            *(edge - MICRO for edge in edges),
            *steps,
            *(m - MICRO for m in steps),
            *(m + MICRO for m in steps),
            *(r[0] for rows in books.rates.values() for r in rows),
            *(first + (last - first) * town.rng.random() for _ in range(10)),
        }
    )
    moments = [m for m in moments if m <= last]

    assert check_circulation(town, books, moments) > 50
    assert check_projects(town, books, months) > 10
    assert check_shops(town, books, months) > 20
    assert check_statements(town, books, moments) > 100
