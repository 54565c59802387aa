"""Reports for the city, funders, shops and auditors, every figure read from the ledger.

- **Circulation** of a currency now or as of any sequence number or moment: issued, held in
  budgets, in member wallets, in shops and partners, pending redemption, redeemed, and the euro
  liability of every token not yet redeemed. Approved redemptions count at the euro amount fixed
  when they were approved; every other token at the rate in force at that moment. Pending
  redemption is part of what shops and partners hold (it is held on their accounts). What is
  owed outside (``euro_owed_cents``) counts only the tokens members, shops and partners hold:
  tokens in project budgets are the organisation's own and owed to no one.
- **Per project per month**: the budget at the start, funded (credits other than reversals),
  tokens paid to volunteers (reward entries), other movements (reversals, transfers out), the
  budget left at the end, and from the paid claims: claims, hours, unique volunteers and those
  whose first paid claim in the project falls in that month.
- **Per shop (or partner) per month**: the balance at the start, payments received, refunds
  given, redeemed (tokens and euros), other movements, the balance at the end, and what was
  pending redemption at the end of the month.
- **Statements** of one account over a period, oldest first, with running balances.

Months are calendar months in ``TOREKES_TIMEZONE``; a transaction's ``created_at`` places it.
Within each month, start + the movements = end, exactly, because both come from the postings.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal
from torekes.domain.accounts import PAYEE_KINDS, AccountKind
from torekes.domain.entries import TransactionKind
from torekes.domain.redemption import euro_cents
from torekes.domain.reporting import Month, report_months
from torekes.earning.projects import require_project_reader
from torekes.earning.queries import coordinated_project_ids, list_projects
from torekes.kit import clock
from torekes.ledger.accounts import resolve_as_of
from torekes.ledger.currencies import get_currency_id
from torekes.ledger.queries import balances_at_seq, currencies_by_id
from torekes.redemption import rates
from torekes.reporting import queries

SYSTEM_KINDS = frozenset({AccountKind.ISSUANCE, AccountKind.REDEMPTION})

# --- circulation ---------------------------------------------------------------------------------


# The accounts whose tokens are owed to someone outside the organisation: they can be spent at
# or redeemed by shops and partners. Budgets are the organisation's own.
HELD_OUTSIDE = (AccountKind.MEMBER, AccountKind.SHOP, AccountKind.PARTNER)


@dataclass(frozen=True, slots=True)
class CirculationReport:
    currency: str
    decimals: int
    as_of_seq: int
    as_of: datetime
    issued: int
    budgets: int
    member_wallets: int
    shops: int
    partners: int
    in_circulation: int
    pending_redemption: int
    redeemed: int
    euro_rate: Decimal
    approved_unpaid: int
    approved_unpaid_euro_cents: int
    euro_liability_cents: int
    held_outside: int
    euro_owed_cents: int

    @property
    def identity_holds(self) -> bool:
        return self.issued == self.in_circulation + self.redeemed


def circulation(
    db: Database, actor: Principal, currency_code: str, as_of: str | None
) -> CirculationReport:
    """Where every token of the currency is, after a sequence number or at a moment."""
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        currency = _currency(session, currency_code)
        seq = resolve_as_of(session, currency, as_of)
        moment = _moment(session, currency, seq, as_of)
        kinds = queries.account_kinds(session, currency.id)
        totals: dict[str, int] = defaultdict(int)
        for account_id, balance in balances_at_seq(session, currency.id, seq).items():
            totals[kinds[account_id]] += balance
        pending = approved = approved_cents = 0
        for row, paid_seq in queries.redemptions_at(session, currency.id):
            if row.requested_at > moment or (paid_seq is not None and paid_seq <= seq):
                continue
            if row.rejected_at is not None and row.rejected_at <= moment:
                continue
            pending += row.amount
            if row.approved_at is not None and row.approved_at <= moment:
                approved += row.amount
                approved_cents += row.euro_cents or 0
        in_circulation = sum(total for kind, total in totals.items() if kind not in SYSTEM_KINDS)
        rate = rates.rate_at(session, currency, moment)
        unapproved_cents = euro_cents(in_circulation - approved, currency.decimals, rate)
        outside = sum(totals[kind] for kind in HELD_OUTSIDE)
        owed_cents = euro_cents(outside - approved, currency.decimals, rate)
        return CirculationReport(
            currency=currency.code,
            decimals=currency.decimals,
            as_of_seq=seq,
            as_of=moment,
            issued=-totals[AccountKind.ISSUANCE],
            budgets=totals[AccountKind.BUDGET],
            member_wallets=totals[AccountKind.MEMBER],
            shops=totals[AccountKind.SHOP],
            partners=totals[AccountKind.PARTNER],
            in_circulation=in_circulation,
            pending_redemption=pending,
            redeemed=totals[AccountKind.REDEMPTION],
            euro_rate=rate,
            approved_unpaid=approved,
            approved_unpaid_euro_cents=approved_cents,
            euro_liability_cents=approved_cents + unapproved_cents,
            held_outside=outside,
            euro_owed_cents=approved_cents + owed_cents,
        )


def _moment(session: Session, currency: m.Currency, seq: int, as_of: str | None) -> datetime:
    """The moment a report is as of: the one asked, the asked transaction's, or now."""
    if as_of is None or as_of == "":
        return clock.now()
    if as_of.isascii() and as_of.isdigit():
        if seq == 0:
            return currency.created_at
        created = queries.created_at_of_seq(session, currency.id, seq)
        assert created is not None
        return created
    return datetime.fromisoformat(as_of)


# --- projects ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectMonth:
    month: str
    budget_start: int
    funded: int
    tokens_paid: int
    other: int
    budget_left: int
    claims: int
    hours: Decimal
    volunteers: int
    first_time_volunteers: int


@dataclass(frozen=True, slots=True)
class ProjectReport:
    project_id: int
    project: str
    currency: str
    decimals: int
    budget_account_id: int
    months: list[ProjectMonth]
    total: ProjectMonth


def project_reports(
    db: Database,
    actor: Principal,
    timezone: str,
    currency_code: str | None,
    project_id: int | None,
    period: tuple[str | None, str | None],
) -> list[ProjectReport]:
    """Each project's months (admins and auditors: every project; coordinators: their own)."""
    zone = ZoneInfo(timezone)
    months = report_months(*period, clock.now(), zone)
    with db.read_session() as session:
        if project_id is not None:
            require_project_reader(session, actor, project_id)
            if session.get(m.Project, project_id) is None:
                raise errors.ProjectNotFound(project_id=project_id)
        only = None if actor.reads_everything else coordinated_project_ids(session, actor.user_id)
        currency_id = None if currency_code is None else get_currency_id(session, currency_code)
        reports = []
        for project in list_projects(session, only):
            if project_id is not None and project.id != project_id:
                continue
            if currency_id is not None and project.currency_id != currency_id:
                continue
            reports.append(_project_report(session, project, months, zone))
        return reports


def _project_report(
    session: Session, project: m.Project, months: list[Month], zone: ZoneInfo
) -> ProjectReport:
    currency = referenced(session, m.Currency, project.currency_id)
    edges = [month.start(zone) for month in [*months, months[-1].next()]]
    ledger = _ledger_months(session, project.budget_account_id, edges)
    claims_by_month: list[list[queries.PaidClaim]] = [[] for _ in months]
    for claim in queries.paid_claims(session, project.id, edges[0], edges[-1]):
        claims_by_month[_month_index(edges, claim.paid_at)].append(claim)
    first_month = {
        member_id: _month_index(edges, first)
        for member_id, first in queries.first_paid_claims(session, project.id).items()
        if edges[0] <= first < edges[-1]
    }
    rows = []
    for index, month in enumerate(months):
        moves, claims = ledger[index], claims_by_month[index]
        volunteers = {claim.member_id for claim in claims}
        rows.append(
            ProjectMonth(
                month=str(month),
                budget_start=moves.start,
                funded=moves.credits,
                tokens_paid=moves.debits_of_kind[TransactionKind.REWARD],
                other=moves.other,
                budget_left=moves.end,
                claims=len(claims),
                hours=sum((claim.hours or Decimal(0) for claim in claims), Decimal(0)),
                volunteers=len(volunteers),
                first_time_volunteers=sum(1 for i in first_month.values() if i == index),
            )
        )
    every_claim = [claim for claims in claims_by_month for claim in claims]
    total = ProjectMonth(
        month=f"{months[0]}..{months[-1]}",
        budget_start=rows[0].budget_start,
        funded=sum(row.funded for row in rows),
        tokens_paid=sum(row.tokens_paid for row in rows),
        other=sum(row.other for row in rows),
        budget_left=rows[-1].budget_left,
        claims=len(every_claim),
        hours=sum((row.hours for row in rows), Decimal(0)),
        volunteers=len({claim.member_id for claim in every_claim}),
        first_time_volunteers=len(first_month),
    )
    return ProjectReport(
        project.id,
        project.name,
        currency.code,
        currency.decimals,
        project.budget_account_id,
        rows,
        total,
    )


# --- shops ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShopMonth:
    month: str
    balance_start: int
    payments: int
    payments_count: int
    refunds: int
    refunds_count: int
    redeemed: int
    redemptions_count: int
    redeemed_euro_cents: int
    other: int
    balance_end: int
    pending_redemption: int


@dataclass(frozen=True, slots=True)
class ShopReport:
    account_id: int
    name: str
    kind: str
    currency: str
    decimals: int
    months: list[ShopMonth]


def shop_reports(
    db: Database,
    actor: Principal,
    timezone: str,
    currency_code: str | None,
    account_id: int | None,
    period: tuple[str | None, str | None],
) -> list[ShopReport]:
    """Each shop's and partner's months (admins and auditors: all; shopkeepers: their own)."""
    zone = ZoneInfo(timezone)
    months = report_months(*period, clock.now(), zone)
    with db.read_session() as session:
        if account_id is not None:
            account = session.get(m.Account, account_id)
            if account is None:
                raise errors.AccountNotFound(account_id=account_id)
            access.check_can_read_account(actor, account.id, account.owner_id)
            if account.kind not in PAYEE_KINDS:
                raise errors.AccountKindNotAllowed("Shop reports cover shops and partners")
        currency_id = None if currency_code is None else get_currency_id(session, currency_code)
        owner = None if actor.reads_everything else actor.user_id
        codes = {c.id: (c.code, c.decimals) for c in currencies_by_id(session).values()}
        return [
            _shop_report(session, account, codes[account.currency_id], months, zone)
            for account in queries.payee_accounts(session, currency_id, owner, account_id)
        ]


def _shop_report(
    session: Session,
    account: m.Account,
    currency: tuple[str, int],
    months: list[Month],
    zone: ZoneInfo,
) -> ShopReport:
    edges = [month.start(zone) for month in [*months, months[-1].next()]]
    ledger = _ledger_months(session, account.id, edges)
    redemptions = queries.redemptions_of_account(session, account.id)
    rows = []
    for index, month in enumerate(months):
        moves, start, end = ledger[index], edges[index], edges[index + 1]
        rows.append(
            ShopMonth(
                month=str(month),
                balance_start=moves.start,
                payments=moves.credits_of_kind[TransactionKind.PAYMENT],
                payments_count=moves.credit_count[TransactionKind.PAYMENT],
                refunds=moves.debits_of_kind[TransactionKind.REFUND],
                refunds_count=moves.debit_count[TransactionKind.REFUND],
                redeemed=moves.debits_of_kind[TransactionKind.REDEMPTION],
                redemptions_count=moves.debit_count[TransactionKind.REDEMPTION],
                redeemed_euro_cents=sum(
                    r.euro_cents or 0
                    for r in redemptions
                    if r.paid_at is not None and start <= r.paid_at < end
                ),
                other=moves.end
                - moves.start
                - moves.credits_of_kind[TransactionKind.PAYMENT]
                + moves.debits_of_kind[TransactionKind.REFUND]
                + moves.debits_of_kind[TransactionKind.REDEMPTION],
                balance_end=moves.end,
                pending_redemption=sum(r.amount for r in redemptions if _pending_at(r, end)),
            )
        )
    code, decimals = currency
    return ShopReport(account.id, account.name, account.kind, code, decimals, rows)


def _pending_at(redemption: queries.RedemptionMoments, moment: datetime) -> bool:
    """Asked before ``moment`` and neither paid nor rejected before it."""
    return (
        redemption.requested_at < moment
        and not (redemption.paid_at is not None and redemption.paid_at < moment)
        and not (redemption.rejected_at is not None and redemption.rejected_at < moment)
    )


# --- an account's months, from its postings ------------------------------------------------------


def _ledger_months(session: Session, account_id: int, edges: list[datetime]) -> list[_Moves]:
    opening = queries.balance_before(session, account_id, edges[0])
    months = [_Moves() for _ in edges[:-1]]
    for movement in queries.movements(session, account_id, edges[0], edges[-1]):
        months[_month_index(edges, movement.created_at)].add(movement.kind, movement.amount)
    balance = opening
    for month in months:
        month.start = balance
        balance += month.net
        month.end = balance
    return months


class _Moves:
    """One account's postings in one month: the balances at its edges, and sums by kind and
    sign (credits are the positive postings, debits the negative ones, counted as positive)."""

    __slots__ = (
        "credit_count",
        "credits_of_kind",
        "debit_count",
        "debits_of_kind",
        "end",
        "net",
        "start",
    )

    def __init__(self) -> None:
        self.start = self.end = self.net = 0
        self.credits_of_kind: defaultdict[str, int] = defaultdict(int)
        self.debits_of_kind: defaultdict[str, int] = defaultdict(int)
        self.credit_count: defaultdict[str, int] = defaultdict(int)
        self.debit_count: defaultdict[str, int] = defaultdict(int)

    def add(self, kind: str, amount: int) -> None:
        self.net += amount
        if amount > 0:
            self.credits_of_kind[kind] += amount
            self.credit_count[kind] += 1
        else:
            self.debits_of_kind[kind] -= amount
            self.debit_count[kind] += 1

    @property
    def credits(self) -> int:
        """Money in, reversals left out (they are corrections, not funding)."""
        return sum(v for k, v in self.credits_of_kind.items() if k != TransactionKind.REVERSAL)

    @property
    def other(self) -> int:
        return self.net - self.credits + self.debits_of_kind[TransactionKind.REWARD]


def _month_index(edges: list[datetime], moment: datetime) -> int:
    return bisect.bisect_right(edges, moment) - 1


# --- statements ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementEntry:
    seq: int
    transaction_id: int
    created_at: datetime
    kind: str
    memo: str
    counterparties: list[str]
    amount: int
    balance_after: int


@dataclass(frozen=True, slots=True)
class AccountStatement:
    account_id: int
    name: str
    kind: str
    currency: str
    decimals: int
    since: datetime | None
    until: datetime | None
    opening_balance: int
    closing_balance: int
    entries: list[StatementEntry]


def account_statement(
    db: Database,
    actor: Principal,
    account_id: int,
    since: datetime | None,
    until: datetime | None,
) -> AccountStatement:
    """The account's entries in [since, until), oldest first, with running balances."""
    if since is not None and until is not None and until < since:
        raise errors.InvalidPeriod("The statement ends before it starts")
    with db.read_session() as session:
        account = session.get(m.Account, account_id)
        if account is None:
            raise errors.AccountNotFound(account_id=account_id)
        access.check_can_read_account(actor, account.id, account.owner_id)
        currency = referenced(session, m.Currency, account.currency_id)
        opening = 0 if since is None else queries.balance_before(session, account.id, since)
        moves = queries.movements(session, account.id, since, until)
        others = queries.counterparties(
            session, account.id, [move.transaction_id for move in moves]
        )
        entries = [
            StatementEntry(
                seq=move.seq,
                transaction_id=move.transaction_id,
                created_at=move.created_at,
                kind=move.kind,
                memo=move.memo,
                counterparties=others.get(move.transaction_id, []),
                amount=move.amount,
                balance_after=move.balance_after,
            )
            for move in moves
        ]
        return AccountStatement(
            account_id=account.id,
            name=account.name,
            kind=account.kind,
            currency=currency.code,
            decimals=currency.decimals,
            since=since,
            until=until,
            opening_balance=opening,
            closing_balance=entries[-1].balance_after if entries else opening,
            entries=entries,
        )


def _currency(session: Session, code: str) -> m.Currency:
    return referenced(session, m.Currency, get_currency_id(session, code))
