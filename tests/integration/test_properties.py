"""Random sequences of issuances, transfers, freezes and reversals against a model of the ledger.

Each example opens a currency of its own (the database lives as long as the test function), runs
the sequence through the services, keeps the expected balances in Python and then compares: every
balance, the totals, the floors, the materialised balances against the postings summed in SQL, the
as-of balances at every sequence number, and the audit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.integration.helpers import account_rows, assert_ledger_consistent
from tests.support import Ledger
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts, history, journal
from torekes.ledger.read_models import TransactionView
from torekes.spending import reversals

_codes = itertools.count(1)

# Index 0 and 1 are budgets (issuances go there), 2 and 3 members, 4 a shop.
TRANSFERABLE = (
    AccountKind.BUDGET,
    AccountKind.BUDGET,
    AccountKind.MEMBER,
    AccountKind.MEMBER,
    AccountKind.SHOP,
)


@dataclass(frozen=True)
class Issue:
    budget: int
    amount: int


@dataclass(frozen=True)
class Transfer:
    source: int
    offset: int  # the target is the account ``offset`` places further on, never the source
    amount: int


@dataclass(frozen=True)
class Reverse:
    pick: int  # which of the transactions so far, modulo their number


@dataclass(frozen=True)
class Toggle:
    account: int  # freeze an active account, unfreeze a frozen one


Step = Issue | Transfer | Reverse | Toggle

steps = st.one_of(
    st.builds(Issue, st.integers(0, 1), st.integers(1, 300)),
    st.builds(Issue, st.integers(0, 1), st.integers(1, 300)),
    st.builds(Transfer, st.integers(0, 4), st.integers(1, 4), st.integers(1, 400)),
    st.builds(Transfer, st.integers(0, 4), st.integers(1, 4), st.integers(1, 60)),
    st.builds(Reverse, st.integers(0, 10**6)),
    st.builds(Reverse, st.integers(0, 10**6)),
    st.builds(Toggle, st.integers(0, 4)),
)


@dataclass
class ModelTransaction:
    id: int
    seq: int
    kind: str
    postings: list[tuple[int, int]]
    reversed: bool = False


@dataclass
class Model:
    issuance_id: int
    redemption_id: int
    ids: list[int]
    balances: dict[int, int] = field(default_factory=dict)
    frozen: set[int] = field(default_factory=set)
    transactions: list[ModelTransaction] = field(default_factory=list)
    snapshots: dict[int, dict[int, int]] = field(default_factory=dict)  # seq -> balances after

    def refusals(self, postings: list[tuple[int, int]]) -> set[type[errors.TorekesError]]:
        """Every reason the ledger could give for refusing these postings."""
        reasons: set[type[errors.TorekesError]] = set()
        for account_id, amount in postings:
            if account_id in self.frozen:
                reasons.add(errors.AccountFrozen)
            if account_id != self.issuance_id and self.balances[account_id] + amount < 0:
                reasons.add(errors.InsufficientFunds)
        return reasons

    def apply(self, transaction: ModelTransaction) -> None:
        for account_id, amount in transaction.postings:
            self.balances[account_id] += amount
        self.transactions.append(transaction)
        self.snapshots[transaction.seq] = dict(self.balances)


def _attempt(
    model: Model,
    expected: set[type[errors.TorekesError]],
    call: TransactionView | errors.TorekesError,
    postings: list[tuple[int, int]],
) -> None:
    event(f"{type(call).__name__}")
    if isinstance(call, errors.TorekesError):
        assert expected, f"refused with {call!r} although the model accepts it"
        assert type(call) in expected, (call, expected)
        return
    assert not expected, f"accepted although the model expects one of {expected}"
    assert sorted((p.account_id, p.amount) for p in call.postings) == sorted(postings)
    assert call.seq == len(model.transactions) + 1
    model.apply(ModelTransaction(call.id, call.seq, call.kind, postings))


def _run_step(db: Database, book: Ledger, model: Model, step: Step) -> None:
    admin = book.admin.principal
    result: TransactionView | errors.TorekesError
    if isinstance(step, Toggle):
        account_id = model.ids[step.account]
        action = "unfreeze" if account_id in model.frozen else "freeze"
        view = write(db, admin, lambda ctx: accounts.change_status(ctx, account_id, action))
        model.frozen ^= {account_id}
        assert view.status == ("frozen" if account_id in model.frozen else "active")
        return
    if isinstance(step, Issue):
        target = model.ids[step.budget]
        postings = [(model.issuance_id, -step.amount), (target, step.amount)]
        command = journal.IssuanceCommand(target, step.amount, "issue")
        try:
            result = write(db, admin, lambda ctx: journal.issue(ctx, command))
        except errors.TorekesError as refusal:
            result = refusal
        _attempt(model, model.refusals(postings), result, postings)
        return
    if isinstance(step, Transfer):
        source = model.ids[step.source]
        target = model.ids[(step.source + step.offset) % len(model.ids)]
        postings = [(source, -step.amount), (target, step.amount)]
        transfer = journal.TransferCommand(source, target, step.amount, "move")
        try:
            result = write(db, admin, lambda ctx: journal.transfer(ctx, transfer))
        except errors.TorekesError as refusal:
            result = refusal
        _attempt(model, model.refusals(postings), result, postings)
        return
    if not model.transactions:
        return
    original = model.transactions[step.pick % len(model.transactions)]
    opposite = [(account_id, -amount) for account_id, amount in original.postings]
    expected: set[type[errors.TorekesError]]
    if original.kind == "reversal":
        expected = {errors.ReversalNotReversible}
    elif original.reversed:
        expected = {errors.AlreadyReversed}
    else:
        expected = model.refusals(opposite)
    try:
        result = write(db, admin, lambda ctx: reversals.reverse(ctx, original.id, "property test"))
    except errors.TorekesError as refusal:
        result = refusal
    _attempt(model, expected, result, opposite)
    if not isinstance(result, errors.TorekesError):
        assert result.reverses_id == original.id
        original.reversed = True


def _check(db: Database, book: Ledger, code: str, currency_id: int, model: Model) -> None:
    admin = book.admin.principal
    rows = assert_ledger_consistent(db, currency_id)
    assert {account_id: row.balance for account_id, row in rows.items()} == model.balances
    assert {account_id for account_id, row in rows.items() if row.status == "frozen"} == (
        model.frozen
    )
    issued = -model.balances[model.issuance_id]
    assert issued == sum(model.balances[account_id] for account_id in model.ids)
    assert model.balances[model.redemption_id] == 0

    for seq, expected in model.snapshots.items():
        trial = verification.trial_balance(db, admin, code, str(seq))
        assert trial.as_of_seq == seq
        assert trial.balanced
        assert {line.account_id: line.balance for line in trial.lines} == expected
        member = model.ids[2]
        at = accounts.balance_as_of(db, admin, member, str(seq))
        assert at.balance == expected[member]

    report = verification.verify(db)
    assert report.ok, report.problems
    assert report.problem_count == 0


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=25,
    deadline=None,
)
@given(sequence=st.lists(steps, min_size=5, max_size=30))
def test_random_sequences_keep_the_ledger_whole(
    db: Database, ledger: Ledger, sequence: list[Step]
) -> None:
    code = f"P{next(_codes)}"
    currency = ledger.currency(code)
    ids = [ledger.account(kind, currency=code).id for kind in TRANSFERABLE]
    model = Model(currency.issuance_account_id, currency.redemption_account_id, ids)
    model.balances = dict.fromkeys(account_rows(db, currency.id), 0)
    assert set(model.balances) == {*ids, model.issuance_id, model.redemption_id}

    for step in sequence:
        _run_step(db, ledger, model, step)
    _check(db, ledger, code, currency.id, model)


TEXT = st.characters(codec="utf-8", exclude_characters="\x00")
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(TEXT, max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(TEXT, max_size=8), children)
    ),
    max_leaves=12,
)
memos = st.text(TEXT, max_size=60)
metadatas = st.dictionaries(st.text(TEXT, max_size=12), json_values, max_size=5)


def _transfer(db: Database, actor: Principal, command: journal.TransferCommand) -> TransactionView:
    return write(db, actor, lambda ctx: journal.transfer(ctx, command))


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=25,
    deadline=None,
)
@given(entries=st.lists(st.tuples(memos, metadatas), min_size=1, max_size=4))
def test_any_memo_and_metadata_survive_the_round_trip_and_the_hash(
    db: Database, ledger: Ledger, entries: list[tuple[str, dict[str, object]]]
) -> None:
    """What the hash was computed over at posting time is exactly what the audit reads back."""
    code = f"M{next(_codes)}"
    ledger.currency(code)
    budget = ledger.budget(1000, currency=code)
    member = ledger.account(AccountKind.MEMBER, currency=code)
    admin = ledger.admin.principal
    posted: list[TransactionView] = []
    for memo, metadata in entries:
        command = journal.TransferCommand(budget.id, member.id, 1, memo, metadata)
        posted.append(_transfer(db, admin, command))

    for view, (memo, metadata) in zip(posted, entries, strict=True):
        stored = history.get_transaction(db, admin, view.id)
        assert stored.memo == memo
        assert stored.metadata == metadata
        assert stored.hash == view.hash
    report = verification.verify(db)
    assert report.ok, report.problems
