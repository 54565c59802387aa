"""Four eyes through the services and in the database: filing tries the entry in a savepoint that
leaves no trace in the journal, the chain head or the balances; the database's own CHECK
constraints refuse an approval by the requester and other impossible decisions; and real threads
approving (or rejecting) one request at once post it at most once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.integration.conftest import Engines
from tests.integration.helpers import (
    account_rows,
    assert_ledger_consistent,
    count_rows,
    journal_fingerprint,
)
from tests.integration.spending_support import rows, scalar
from tests.integration.threads import Outcome, failures, run_concurrently, successes, unexpected
from tests.support import Actor, Ledger
from torekes.approvals import four_eyes
from torekes.approvals.four_eyes import ApprovalView
from torekes.approvals.four_eyes import Outcome as FourEyesOutcome
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.approvals import needs_second_admin
from torekes.domain.entries import Posting, TransactionKind
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger.journal import EntryCommand, IssuanceCommand
from torekes.ledger.read_models import AccountView, CurrencyView, TransactionView
from torekes.spending import payment_requests, payments, reversals
from torekes.spending.payment_requests import PayCommand, RequestCommand

T = TypeVar("T")

THRESHOLD = Decimal(1000)
BUDGET_FUNDS = 20_000
MEMBER_FUNDS = 3_000

separate_param = pytest.mark.parametrize(
    "separate", [False, True], ids=["one-engine", "engine-per-thread"]
)


@dataclass
class Book:
    db: Database
    ledger: Ledger
    currency: CurrencyView
    budget: AccountView
    member: AccountView
    shop: AccountView
    big: TransactionView  # an issuance of 5000 into the budget, to be reversed
    requester: Actor
    second: Actor

    @property
    def admin(self) -> Principal:
        return self.requester.principal

    def issuance(self, amount: int, memo: str = "") -> IssuanceCommand:
        return IssuanceCommand(self.budget.id, amount, memo, {"why": "test"})

    def entry(self, amount: int) -> EntryCommand:
        postings = [Posting(self.budget.id, -amount), Posting(self.shop.id, amount)]
        return EntryCommand("TRK", TransactionKind.ADJUSTMENT, postings, "entry", {})

    def run(
        self,
        operation: Callable[[WriteContext], T],
        actor: Principal | None = None,
        db: Database | None = None,
    ) -> T:
        return write(db or self.db, actor or self.admin, operation)

    def file(self, kind: str, amount: int = 5_000) -> ApprovalView:
        """File an issuance, a general entry or a reversal (of ``big``) of ``amount``."""
        filed = self.run(lambda ctx: self.attempt(ctx, kind, amount))
        assert isinstance(filed, ApprovalView), filed
        return filed

    def attempt(self, ctx: WriteContext, kind: str, amount: int) -> FourEyesOutcome:
        if kind == "issuance":
            return four_eyes.issue(ctx, self.issuance(amount), THRESHOLD)
        if kind == "entry":
            return four_eyes.post_entry(ctx, self.entry(amount), THRESHOLD)
        assert amount == 5_000, "a reversal moves what it reverses"
        return four_eyes.reverse(ctx, self.big.id, "mistake", THRESHOLD)

    def approve(
        self, request_id: int, actor: Principal | None = None, db: Database | None = None
    ) -> TransactionView:
        return self.run(
            lambda ctx: _posted(four_eyes.approve(ctx, request_id, "ok")),
            actor or self.second.principal,
            db,
        )

    def reject(
        self, request_id: int, actor: Principal | None = None, db: Database | None = None
    ) -> ApprovalView:
        return self.run(lambda ctx: four_eyes.reject(ctx, request_id, "no"), actor, db)

    def row(self, request_id: int) -> dict[str, Any]:
        found = rows(
            self.db,
            "SELECT status, requested_by_id, decided_by_id, decided_at, transaction_id "
            "FROM approval_requests WHERE id = :id",
            id=request_id,
        )
        [(status, requested_by, decided_by, decided_at, transaction_id)] = found
        return {
            "status": status,
            "requested_by_id": requested_by,
            "decided_by_id": decided_by,
            "decided_at": decided_at,
            "transaction_id": transaction_id,
        }

    def events(self, action: str) -> list[tuple[Any, ...]]:
        return rows(
            self.db,
            "SELECT subject_id, actor_id FROM audit_events WHERE action = :action ORDER BY id",
            action=action,
        )

    def count(self, query: str, **params: Any) -> int:
        return int(scalar(self.db, query, **params))

    def verify(self) -> None:
        report = verification.verify(self.db)
        assert report.ok, report.problems
        assert_ledger_consistent(self.db, self.currency.id)


def _posted(done: object) -> TransactionView:
    assert isinstance(done, TransactionView)
    return done


@pytest.fixture
def book(ledger: Ledger, trk: CurrencyView) -> Book:
    budget = ledger.budget(BUDGET_FUNDS)
    member = ledger.account(AccountKind.MEMBER, ledger.user(Role.MEMBER))
    ledger.transfer(budget.id, member.id, MEMBER_FUNDS)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    big = ledger.issue(budget.id, 5_000)
    return Book(
        db=ledger.db,
        ledger=ledger,
        currency=trk,
        budget=budget,
        member=member,
        shop=shop,
        big=big,
        requester=ledger.admin,
        second=ledger.user(Role.ADMIN),
    )


def _head(db: Database, currency_id: int) -> tuple[int, str]:
    [(seq, head)] = rows(
        db, "SELECT last_seq, last_hash FROM currencies WHERE id = :id", id=currency_id
    )
    return int(seq), str(head)


# --- the rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moved", "decimals", "above", "needed"),
    [
        (1000, 0, Decimal(1000), False),
        (1001, 0, Decimal(1000), True),
        (100_000, 2, Decimal(1000), False),
        (100_001, 2, Decimal(1000), True),
        (10, 0, Decimal("10.5"), False),
        (11, 0, Decimal("10.5"), True),
        (1050, 2, Decimal("10.5"), False),
        (1051, 2, Decimal("10.5"), True),
        (1, 0, Decimal(0), True),
        (10**15, 2, None, False),
    ],
)
def test_how_much_needs_a_second_admin(
    moved: int, decimals: int, above: Decimal | None, needed: bool
) -> None:
    assert needs_second_admin(moved, decimals, above) is needed


# --- the savepoint trial ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["issuance", "entry", "reversal"])
def test_filing_leaves_no_trace_of_the_trial(book: Book, kind: str) -> None:
    before = journal_fingerprint(book.db)
    head = _head(book.db, book.currency.id)
    balances = account_rows(book.db, book.currency.id)
    counts = {table: count_rows(book.db, table) for table in ("transactions", "postings")}

    filed = book.file(kind)

    assert filed.status == "pending"
    assert filed.kind == kind
    assert filed.amount == 5_000
    assert filed.requested_by_id == book.requester.id
    assert journal_fingerprint(book.db) == before
    assert _head(book.db, book.currency.id) == head
    assert account_rows(book.db, book.currency.id) == balances
    assert {table: count_rows(book.db, table) for table in counts} == counts
    assert book.count("SELECT COUNT(*) FROM transactions WHERE seq > :seq", seq=head[0]) == 0
    assert book.count("SELECT COUNT(*) FROM approval_requests") == 1
    assert book.events("approval.requested") == [(str(filed.id), book.requester.id)]
    assert book.row(filed.id)["status"] == "pending"
    book.verify()


def test_a_trial_then_a_posting_in_one_write_continue_the_chain(book: Book) -> None:
    """After the savepoint is rolled back the session must not remember the trial: a posting in
    the same database transaction takes the very next sequence number after the real head."""
    seq, head = _head(book.db, book.currency.id)

    def both(ctx: WriteContext) -> tuple[FourEyesOutcome, FourEyesOutcome]:
        filed = four_eyes.issue(ctx, book.issuance(9_000), THRESHOLD)
        posted = four_eyes.issue(ctx, book.issuance(10), THRESHOLD)
        return filed, posted

    filed, posted = book.run(both)

    assert isinstance(filed, ApprovalView)
    assert isinstance(posted, TransactionView)
    assert (posted.seq, posted.prev_hash) == (seq + 1, head)
    assert _head(book.db, book.currency.id) == (seq + 1, posted.hash)
    book.verify()
    # And approving it later chains on from there.
    approved = book.approve(filed.id)
    assert (approved.seq, approved.prev_hash) == (seq + 2, posted.hash)
    book.verify()


def test_a_posting_then_a_trial_in_one_write_keep_the_posting(book: Book) -> None:
    seq, _head_hash = _head(book.db, book.currency.id)

    def both(ctx: WriteContext) -> tuple[FourEyesOutcome, FourEyesOutcome]:
        posted = four_eyes.issue(ctx, book.issuance(10), THRESHOLD)
        filed = four_eyes.issue(ctx, book.issuance(9_000), THRESHOLD)
        return posted, filed

    posted, filed = book.run(both)

    assert isinstance(posted, TransactionView)
    assert isinstance(filed, ApprovalView)
    assert _head(book.db, book.currency.id) == (seq + 1, posted.hash)
    assert book.count("SELECT COUNT(*) FROM transactions") == seq + 1
    assert account_rows(book.db, book.currency.id)[book.budget.id].balance == (
        BUDGET_FUNDS - MEMBER_FUNDS + 5_000 + 10
    )
    book.verify()


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("member issuance", errors.AccountKindNotAllowed),
        ("overdraft", errors.InsufficientFunds),
        ("reversal of a reversal", errors.ReversalNotReversible),
    ],
)
def test_a_trial_that_fails_files_nothing(
    book: Book, kind: str, error: type[errors.TorekesError]
) -> None:
    if kind == "reversal of a reversal":
        reversal = book.run(lambda ctx: reversals.reverse(ctx, book.big.id, "setup"))

        def attempt(ctx: WriteContext) -> FourEyesOutcome:
            return four_eyes.reverse(ctx, reversal.id, "again", THRESHOLD)

    elif kind == "member issuance":

        def attempt(ctx: WriteContext) -> FourEyesOutcome:
            command = IssuanceCommand(book.member.id, 5_000)
            return four_eyes.issue(ctx, command, THRESHOLD)

    else:
        postings = [Posting(book.member.id, -5_000), Posting(book.shop.id, 5_000)]
        command = EntryCommand("TRK", TransactionKind.ADJUSTMENT, postings)

        def attempt(ctx: WriteContext) -> FourEyesOutcome:
            return four_eyes.post_entry(ctx, command, THRESHOLD)

    before = journal_fingerprint(book.db)

    with pytest.raises(error):
        book.run(attempt)

    assert journal_fingerprint(book.db) == before
    assert book.count("SELECT COUNT(*) FROM approval_requests") == 0
    assert book.events("approval.requested") == []
    book.verify()


def test_filing_a_refund_reversal_leaves_the_payment_as_it_was(book: Book) -> None:
    """Reversing a refund also changes its payment's refunded amount (outside the journal): the
    trial's change is rolled back with the savepoint, and made once the request is approved."""
    keeper = book.ledger.user(Role.SHOPKEEPER)
    payer = book.ledger.user(Role.MEMBER)
    shop = book.ledger.account(AccountKind.SHOP, keeper)
    book.ledger.funded_member(payer, 4_000)
    settings = book.ledger.settings
    asked = book.run(
        lambda ctx: payment_requests.create_request(
            ctx, settings, RequestCommand(shop.id, amount=3_000)
        ),
        keeper.principal,
    )
    paid = book.run(
        lambda ctx: payment_requests.pay(ctx, settings, asked.code, PayCommand()),
        payer.principal,
    )
    refund = book.run(
        lambda ctx: payments.refund(ctx, paid.transaction_id, 1_500, "returned"),
        keeper.principal,
    )
    refunded = "SELECT refunded_amount FROM payments WHERE transaction_id = :id"
    assert book.count(refunded, id=paid.transaction_id) == 1_500
    before = journal_fingerprint(book.db)

    filed = book.run(
        lambda ctx: four_eyes.reverse(ctx, refund.transaction_id, "refund in error", THRESHOLD)
    )

    assert isinstance(filed, ApprovalView)
    assert (filed.kind, filed.amount) == ("reversal", 1_500)
    assert journal_fingerprint(book.db) == before
    assert book.count(refunded, id=paid.transaction_id) == 1_500
    book.verify()
    # The payment has a refund, so reversing the payment itself is refused at once.
    with pytest.raises(errors.PaymentHasRefunds):
        book.run(lambda ctx: four_eyes.reverse(ctx, paid.transaction_id, "all", THRESHOLD))

    reversal = book.approve(filed.id)

    assert reversal.reverses_id == refund.transaction_id
    assert book.count(refunded, id=paid.transaction_id) == 0
    book.verify()


# --- deciding -----------------------------------------------------------------------------------


def test_only_another_admin_approves(book: Book) -> None:
    filed = book.file("issuance")
    before = journal_fingerprint(book.db)
    auditor = book.ledger.user(Role.AUDITOR).principal
    member = book.ledger.user(Role.MEMBER).principal

    with pytest.raises(errors.OwnRequestNotApprovable):
        book.approve(filed.id, book.admin)
    for outsider in (auditor, member):
        with pytest.raises(errors.RoleNotAllowed):
            book.approve(filed.id, outsider)
        with pytest.raises(errors.RoleNotAllowed):
            book.reject(filed.id, outsider)
    with pytest.raises(errors.ApprovalRequestNotFound):
        book.approve(filed.id + 1000)

    assert journal_fingerprint(book.db) == before
    assert book.row(filed.id)["status"] == "pending"
    posted = book.approve(filed.id)
    assert book.row(filed.id) == {
        "status": "approved",
        "requested_by_id": book.requester.id,
        "decided_by_id": book.second.id,
        "decided_at": book.row(filed.id)["decided_at"],
        "transaction_id": posted.id,
    }
    assert book.row(filed.id)["decided_at"] is not None
    book.verify()


# --- the database's own constraints -------------------------------------------------------------


def _decide_raw(db: Database, request_id: int, **values: Any) -> None:
    """Set columns of an approval request with plain SQL, behind the services' back."""
    assignments = ", ".join(f"{column} = {expression}" for column, expression in values.items())
    with db.write_engine.begin() as connection:
        connection.execute(
            text(f"UPDATE approval_requests SET {assignments} WHERE id = :id"), {"id": request_id}
        )


def test_the_database_refuses_an_approval_by_the_requester(book: Book) -> None:
    filed = book.file("issuance")
    approval = {
        "status": "'approved'",
        "decided_at": "requested_at",
        "transaction_id": str(book.big.id),
    }

    with pytest.raises(IntegrityError, match="four_eyes"):
        _decide_raw(book.db, filed.id, decided_by_id="requested_by_id", **approval)

    assert book.row(filed.id)["status"] == "pending"
    # The same statement with another decider is accepted: it is the four-eyes rule that bit.
    _decide_raw(book.db, filed.id, decided_by_id=str(book.second.id), **approval)
    assert book.row(filed.id)["status"] == "approved"


def test_the_database_refuses_an_approval_without_an_approver(book: Book) -> None:
    """An approved request must name who approved it: with no decider, nobody can tell that a
    second administrator did, and the four-eyes CHECK (``decided_by_id <> requested_by_id``) is
    NULL, which a CHECK constraint lets through."""
    filed = book.file("issuance")

    with pytest.raises(IntegrityError):
        _decide_raw(
            book.db,
            filed.id,
            status="'approved'",
            decided_at="requested_at",
            decided_by_id="NULL",
            transaction_id=str(book.big.id),
        )

    assert book.row(filed.id)["status"] == "pending"


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("approved_posted", {"status": "'approved'", "decided_at": "requested_at"}),
        ("approved_posted", {"status": "'rejected'", "decided_at": "requested_at", "tx": ""}),
        ("decided_once", {"status": "'rejected'"}),
        ("decided_once", {"decided_at": "requested_at"}),
        ("status_known", {"status": "'maybe'", "decided_at": "requested_at"}),
        ("kind_known", {"kind": "'gift'"}),
        ("amount_positive", {"amount": "0"}),
    ],
    ids=[
        "approved without a transaction",
        "rejected with a transaction",
        "rejected without a moment",
        "pending with a moment",
        "unknown status",
        "unknown kind",
        "nothing moved",
    ],
)
def test_the_database_refuses_impossible_requests(
    book: Book, name: str, values: dict[str, str]
) -> None:
    filed = book.file("issuance")
    values = dict(values)
    if values.pop("tx", None) is not None:
        values["transaction_id"] = str(book.big.id)
        values["decided_by_id"] = str(book.second.id)

    with pytest.raises(IntegrityError, match=name):
        _decide_raw(book.db, filed.id, **values)

    assert book.row(filed.id)["status"] == "pending"


def test_a_transaction_is_linked_to_one_request_at_most(book: Book) -> None:
    first, second = book.file("issuance", 4_000), book.file("issuance", 6_000)
    posted = book.approve(first.id)

    with pytest.raises(IntegrityError):
        _decide_raw(
            book.db,
            second.id,
            status="'approved'",
            decided_at="requested_at",
            decided_by_id=str(book.second.id),
            transaction_id=str(posted.id),
        )


# --- concurrency --------------------------------------------------------------------------------


def _errors_of(outcomes: list[Outcome], kind: type[BaseException]) -> list[BaseException]:
    return [error for error in failures(outcomes) if type(error) is kind]


@separate_param
def test_two_admins_approving_at_once_post_once(
    book: Book, engines: Engines, separate: bool
) -> None:
    filed = book.file("issuance", 7_000)
    approvers = [book.second, book.ledger.user(Role.ADMIN)]
    databases = engines(separate, 2)
    transactions = book.count("SELECT COUNT(*) FROM transactions")

    outcomes = run_concurrently(
        2, lambda i: book.approve(filed.id, approvers[i].principal, databases[i])
    )

    assert unexpected(outcomes, errors.ApprovalRequestResolved) == []
    [posted] = successes(outcomes)
    assert len(_errors_of(outcomes, errors.ApprovalRequestResolved)) == 1
    assert book.count("SELECT COUNT(*) FROM transactions") == transactions + 1
    winner = approvers[[o.error is None for o in outcomes].index(True)]
    row = book.row(filed.id)
    assert (row["status"], row["decided_by_id"], row["transaction_id"]) == (
        "approved",
        winner.id,
        posted.id,
    )
    assert book.events("approval.approved") == [(str(filed.id), winner.id)]
    assert account_rows(book.db, book.currency.id)[book.budget.id].balance == (
        BUDGET_FUNDS - MEMBER_FUNDS + 5_000 + 7_000
    )
    book.verify()


@separate_param
def test_eight_admins_approving_at_once_post_once(
    book: Book, engines: Engines, separate: bool
) -> None:
    filed = book.file("entry", 4_000)
    approvers = [book.ledger.user(Role.ADMIN) for _ in range(8)]
    databases = engines(separate, 8)
    transactions = book.count("SELECT COUNT(*) FROM transactions")

    outcomes = run_concurrently(
        8, lambda i: book.approve(filed.id, approvers[i].principal, databases[i])
    )

    assert unexpected(outcomes, errors.ApprovalRequestResolved) == []
    assert len(successes(outcomes)) == 1
    assert len(_errors_of(outcomes, errors.ApprovalRequestResolved)) == 7
    assert book.count("SELECT COUNT(*) FROM transactions") == transactions + 1
    assert account_rows(book.db, book.currency.id)[book.shop.id].balance == 4_000
    book.verify()


@separate_param
def test_approving_racing_rejecting_decides_once(
    book: Book, engines: Engines, separate: bool
) -> None:
    filed = book.file("issuance", 3_000)
    admins = [book.ledger.user(Role.ADMIN) for _ in range(6)]
    databases = engines(separate, 6)
    transactions = book.count("SELECT COUNT(*) FROM transactions")

    def step(i: int) -> object:
        if i % 2 == 0:
            return book.approve(filed.id, admins[i].principal, databases[i])
        return book.reject(filed.id, admins[i].principal, databases[i])

    outcomes = run_concurrently(6, step)

    assert unexpected(outcomes, errors.ApprovalRequestResolved) == []
    [won] = successes(outcomes)
    assert len(_errors_of(outcomes, errors.ApprovalRequestResolved)) == 5
    row = book.row(filed.id)
    if isinstance(won, TransactionView):
        assert (row["status"], row["transaction_id"]) == ("approved", won.id)
        assert book.count("SELECT COUNT(*) FROM transactions") == transactions + 1
    else:
        assert isinstance(won, ApprovalView)
        assert (row["status"], row["transaction_id"]) == ("rejected", None)
        assert book.count("SELECT COUNT(*) FROM transactions") == transactions
    decided = book.events("approval.approved") + book.events("approval.rejected")
    assert len(decided) == 1
    book.verify()


@separate_param
def test_two_reversal_requests_approved_at_once_reverse_once(
    book: Book, engines: Engines, separate: bool
) -> None:
    first, second = book.file("reversal"), book.file("reversal")
    approvers = [book.second, book.ledger.user(Role.ADMIN)]
    databases = engines(separate, 2)
    requests = [first, second]

    outcomes = run_concurrently(
        2, lambda i: book.approve(requests[i].id, approvers[i].principal, databases[i])
    )

    assert unexpected(outcomes, errors.AlreadyReversed) == []
    [reversal] = successes(outcomes)
    assert len(_errors_of(outcomes, errors.AlreadyReversed)) == 1
    assert reversal.reverses_id == book.big.id
    assert book.count("SELECT COUNT(*) FROM transactions WHERE reverses_id = :id", id=book.big.id)
    statuses = sorted(book.row(request.id)["status"] for request in requests)
    assert statuses == ["approved", "pending"]
    book.verify()


@separate_param
def test_filing_racing_posting_keeps_the_chain_gap_free(
    book: Book, engines: Engines, separate: bool
) -> None:
    """Ten writers at once, half filing large issuances (tried and rolled back) and half posting
    small ones: the small ones take consecutive sequence numbers, the large ones none."""
    databases = engines(separate, 10)
    seq, _ = _head(book.db, book.currency.id)

    def step(i: int) -> FourEyesOutcome:
        amount = 5_000 + i if i % 2 == 0 else 10 + i
        return book.run(
            lambda ctx: four_eyes.issue(ctx, book.issuance(amount), THRESHOLD), db=databases[i]
        )

    outcomes = run_concurrently(10, step)

    assert unexpected(outcomes) == []
    done = successes(outcomes)
    posted = [item for item in done if isinstance(item, TransactionView)]
    filed = [item for item in done if isinstance(item, ApprovalView)]
    assert len(posted) == len(filed) == 5
    assert sorted(item.seq for item in posted) == list(range(seq + 1, seq + 6))
    assert sorted(item.amount or 0 for item in filed) == [5_000, 5_002, 5_004, 5_006, 5_008]
    assert book.count("SELECT COUNT(*) FROM approval_requests WHERE status = 'pending'") == 5
    book.verify()
