"""The audit: recompute the ledger from its journal and compare, and the trial balance.

``verify`` walks every currency's journal in sequence order and checks that sequences have no
gaps, each entry balances with at least two postings in its currency, every hash recomputes and
chains to its predecessor, every posting's running balance is right, the chain head on the
currency matches, every materialised account balance equals the sum of its postings, and
every held amount equals the account's pending holds. For spending, it checks that every
payment's transaction moves exactly its amount from payer to shop, every refund's the other way,
and that what a payment shows as refunded is what its unreversed refunds add up to. Each
redemption's hold matches its state (pending while requested or approved, posted once paid,
released once rejected) and a paid one's transaction moves exactly its amount to the redemption
account. Two identities close the audit of each currency: issued = in circulation + redeemed,
and redeemed (the redemption account's balance) = the paid redemptions, which holds because tokens
reach that account only by paying a redemption and never leave it. It reports each break with the
transaction and account it concerns, first break first.

The journal is read as plain rows (``torekes.audit.queries``) and walked by
``torekes.audit.journal_walk``, in worker processes side by side on a long journal, so a
million transactions take seconds rather than minutes; the problems found come out in the same
order either way.

Every run is put on record in the audit trail as ``ledger.verified`` (whether the ledger was
intact, how many problems, how much was checked), whichever way it was asked for (API, command
line, the audit page), so monitoring on any process can tell when the ledger was last verified
and how it stood.

``trial_balance`` takes each account's materialised balance at the head (which ``verify`` holds
against the postings) and, as of an earlier sequence number, the running balance of its last
posting by then: its cost follows the number of accounts, not the length of the journal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from torekes.audit import journal_walk, queries
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.rows import referenced
from torekes.domain import access
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import PAYEE_KINDS, AccountKind
from torekes.domain.hashing import GENESIS_HASH
from torekes.kit import audit_trail
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger.accounts import resolve_as_of
from torekes.ledger.currencies import get_currency_id
from torekes.ledger.queries import balances_at_seq

MAX_REPORTED_PROBLEMS = 100
HOLD_OF_REDEMPTION = {"requested": "pending", "approved": "pending", "paid": "posted"}
VERIFIED = "ledger.verified"
# The command line verifies as no user; its record carries no actor.
_OPERATOR = Principal(user_id=0, username="operator", role=Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Problem:
    check: str
    currency: str
    detail: str
    transaction_id: int | None = None
    seq: int | None = None
    account_id: int | None = None


@dataclass(slots=True)
class CurrencyAudit:
    currency: str
    transactions: int = 0
    accounts: int = 0
    issued: int = 0
    in_circulation: int = 0
    redeemed: int = 0
    pending_redemption: int = 0
    redemptions_paid: int = 0
    # The chain head as the audit walked it: the last sequence number and its hash.
    last_seq: int = 0
    last_hash: str = GENESIS_HASH

    @property
    def issued_identity_holds(self) -> bool:
        return self.issued == self.in_circulation + self.redeemed

    @property
    def redemption_identity_holds(self) -> bool:
        return self.redeemed == self.redemptions_paid


@dataclass(slots=True)
class VerifyReport:
    ok: bool = True
    transactions_checked: int = 0
    accounts_checked: int = 0
    currencies: list[CurrencyAudit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def first_break(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def add(self, problem: Problem) -> None:
        self.ok = False
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)


@dataclass(frozen=True, slots=True)
class TrialBalanceLine:
    account_id: int
    kind: str
    name: str
    balance: int


@dataclass(frozen=True, slots=True)
class TrialBalance:
    currency: str
    as_of_seq: int
    lines: list[TrialBalanceLine]
    totals_by_kind: dict[str, int]
    total: int
    issued: int
    in_circulation: int
    redeemed: int

    @property
    def balanced(self) -> bool:
        return self.total == 0 and self.issued == self.in_circulation + self.redeemed


def verify(db: Database, actor: Principal | None = None) -> VerifyReport:
    """Audit the whole ledger; ``actor`` is ``None`` only for the operator's command line."""
    if actor is not None:
        access.require_reader_of_everything(actor)
    report = VerifyReport()
    with db.read_session() as session:
        for currency in queries.currencies_in_order(session):
            report.currencies.append(_verify_currency(session, db, currency, report))
    write(db, actor or _OPERATOR, lambda ctx: _record_run(ctx, report))
    return report


def _record_run(ctx: WriteContext, report: VerifyReport) -> None:
    first = report.first_break
    after = {
        "ok": report.ok,
        "problem_count": report.problem_count,
        "first_break": None if first is None else first.check,
        "transactions_checked": report.transactions_checked,
        "accounts_checked": report.accounts_checked,
    }
    audit_trail.record(ctx, VERIFIED, "ledger", "all", None, after)


def _verify_currency(
    session: Session, db: Database, currency: m.Currency, report: VerifyReport
) -> CurrencyAudit:
    audit = CurrencyAudit(currency.code)
    accounts = queries.accounts_of(session, currency.id)
    known = {account.id for account in accounts}
    walk = journal_walk.walk_journal(session, db, currency.id, currency.code, known)
    for transaction_id, seq, check, detail, account_id in walk.found:
        report.add(Problem(check, currency.code, detail, transaction_id, seq, account_id))

    def problem(check: str, detail: str, account: int | None = None) -> None:
        report.add(Problem(check=check, currency=currency.code, detail=detail, account_id=account))

    audit.transactions = walk.transactions
    audit.last_seq, audit.last_hash = walk.last_seq, walk.prev_hash
    if currency.last_seq != walk.last_seq or currency.last_hash != walk.prev_hash:
        problem("chain_head", f"head says {currency.last_seq}, journal ends at {walk.last_seq}")
    held = queries.pending_holds(session, currency.id)
    for account in accounts:
        audit.accounts += 1
        if account.held != held.get(account.id, 0):
            problem(
                "held",
                f"held is {account.held}, pending holds add up to {held.get(account.id, 0)}",
                account.id,
            )
        summed = walk.running.get(account.id, 0)
        if account.balance != summed:
            problem(
                "balance",
                f"materialised balance {account.balance}, postings sum to {summed}",
                account.id,
            )
        if account.kind != AccountKind.ISSUANCE and account.balance - account.held < 0:
            problem("floor", f"available amount {account.balance - account.held}", account.id)
        _tally(audit, account.kind, summed)
    if not audit.issued_identity_holds:
        problem("issued_identity", "issued differs from in circulation plus redeemed")
    for check, detail, transaction_id in _spending_breaks(session, currency, walk):
        report.add(Problem(check, currency.code, detail, transaction_id=transaction_id))
    for check, detail, account_id in _redemption_breaks(session, currency, accounts, walk, audit):
        report.add(Problem(check, currency.code, detail, account_id=account_id))
    if not audit.redemption_identity_holds:
        paid = audit.redemptions_paid
        problem("redemption_identity", f"redeemed is {audit.redeemed}, paid redemptions {paid}")
    report.transactions_checked += audit.transactions
    report.accounts_checked += audit.accounts
    return audit


def _spending_breaks(
    session: Session, currency: m.Currency, walk: journal_walk.Walk
) -> Iterator[tuple[str, str, int]]:
    """Payments and refunds whose rows disagree with the journal: (check, detail, transaction)."""
    found = queries.payments_into(session, currency.id, PAYEE_KINDS)
    refunds = queries.refunds_by_payment(session, currency.id, PAYEE_KINDS)
    moves, reversed_ids = walk.moves, walk.reversed_ids
    for payment in found:
        shop, payer = payment.shop_account_id, payment.payer_account_id
        paid = {payer: -payment.amount, shop: payment.amount}
        if moves.get(payment.transaction_id) != paid:
            yield "payment", "the transaction does not move the payment", payment.transaction_id
        unreversed = 0
        for refund in refunds.get(payment.id, []):
            back = {shop: -refund.amount, payer: refund.amount}
            if moves.get(refund.transaction_id) != back:
                yield "refund", "the transaction does not move the refund", refund.transaction_id
            if refund.transaction_id not in reversed_ids:
                unreversed += refund.amount
        if payment.refunded_amount != unreversed:
            detail = f"shows {payment.refunded_amount} refunded, its refunds add up to {unreversed}"
            yield "refunded", detail, payment.transaction_id


def _redemption_breaks(
    session: Session,
    currency: m.Currency,
    accounts: list[queries.AuditRow],
    walk: journal_walk.Walk,
    audit: CurrencyAudit,
) -> Iterator[tuple[str, str, int]]:
    """Redemptions whose hold or transaction disagrees with their state: (check, detail,
    account). Tallies what is pending and what was paid on ``audit`` on the way."""
    # A currency always has its redemption account; an audit still must not trip without one.
    target = next((a.id for a in accounts if a.kind == AccountKind.REDEMPTION), None)
    for row in queries.redemptions_with_holds(session, currency.id):
        expected = HOLD_OF_REDEMPTION.get(row.status, "released")
        if row.hold_status is None or row.hold_amount != row.amount or row.hold_status != expected:
            yield "redemption_hold", f"redemption {row.id} is {row.status}", row.account_id
        if expected == "pending":
            audit.pending_redemption += row.amount
        if row.status == "paid":
            audit.redemptions_paid += row.amount
            moved = {row.account_id: -row.amount, target: row.amount}
            if row.transaction_id is None or walk.moves.get(row.transaction_id) != moved:
                detail = f"redemption {row.id}'s transaction does not move it"
                yield "redemption", detail, row.account_id


def _tally(audit: CurrencyAudit, kind: str, balance: int) -> None:
    if kind == AccountKind.ISSUANCE:
        audit.issued -= balance
    elif kind == AccountKind.REDEMPTION:
        audit.redeemed += balance
    else:
        audit.in_circulation += balance


def trial_balance(
    db: Database, actor: Principal, currency_code: str, as_of: str | None
) -> TrialBalance:
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        currency = referenced(session, m.Currency, get_currency_id(session, currency_code))
        seq = resolve_as_of(session, currency, as_of)
        # At the head, the materialised balances are the balances after it: every write moves
        # them together with the head, and this session reads both in one snapshot. Before it,
        # each account's running balance then.
        at_head = seq == currency.last_seq
        before = {} if at_head else balances_at_seq(session, currency.id, seq)
        audit = CurrencyAudit(currency.code)
        lines: list[TrialBalanceLine] = []
        totals: dict[str, int] = defaultdict(int)
        for account_id, kind, name, materialised in queries.account_balances(session, currency.id):
            balance = materialised if at_head else before.get(account_id, 0)
            lines.append(TrialBalanceLine(account_id, kind, name, balance))
            totals[kind] += balance
            _tally(audit, kind, balance)
        return TrialBalance(
            currency=currency.code,
            as_of_seq=seq,
            lines=lines,
            totals_by_kind=dict(totals),
            total=sum(totals.values()),
            issued=audit.issued,
            in_circulation=audit.in_circulation,
            redeemed=audit.redeemed,
        )
