"""The ledger's rules, through the services on a real database: floors, frozen and closed
accounts, closing, reversals, currencies, balances as of a moment, statements, and the database's
own CHECK constraints behind them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.integration.helpers import assert_ledger_consistent, journal_fingerprint
from tests.support import Ledger
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.entries import Posting, TransactionKind
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import accounts, journal
from torekes.ledger.read_models import AccountView, CurrencyView, TransactionView
from torekes.spending import reversals


def _refused_without_a_trace(
    db: Database, error: type[errors.TorekesError], attempt: Callable[[], object]
) -> errors.TorekesError:
    """Run ``attempt``, expect ``error`` and check that nothing at all was written."""
    before = journal_fingerprint(db)
    with pytest.raises(error) as refused:
        attempt()
    assert journal_fingerprint(db) == before
    return refused.value


def _transfer(
    db: Database, actor: Principal, source: int, target: int, amount: int
) -> Callable[[], TransactionView]:
    command = journal.TransferCommand(source, target, amount, "rule test")
    return lambda: write(db, actor, lambda ctx: journal.transfer(ctx, command))


def _status(db: Database, admin: Principal, account_id: int, action: str) -> AccountView:
    return write(db, admin, lambda ctx: accounts.change_status(ctx, account_id, action))


def _balance(db: Database, admin: Principal, account_id: int) -> int:
    return accounts.get_account(db, admin, account_id).balance


# --- floors --------------------------------------------------------------------------------------


def test_a_payment_beyond_the_balance_is_refused_whole(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    owner = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 50)
    shop = ledger.account(AccountKind.SHOP)

    refusal = _refused_without_a_trace(
        db, errors.InsufficientFunds, _transfer(db, owner.principal, wallet.id, shop.id, 51)
    )
    assert refusal.code == "insufficient_funds"
    assert refusal.extra.get("account_id") == wallet.id

    _transfer(db, owner.principal, wallet.id, shop.id, 50)()
    assert _balance(db, admin, wallet.id) == 0
    _refused_without_a_trace(
        db, errors.InsufficientFunds, _transfer(db, owner.principal, wallet.id, shop.id, 1)
    )
    assert_ledger_consistent(db, trk.id)


def test_a_general_entry_cannot_overdraw_any_of_its_accounts(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(100)
    first = ledger.account(AccountKind.MEMBER)
    second = ledger.account(AccountKind.MEMBER)
    command = journal.EntryCommand(
        "TRK",
        TransactionKind.ADJUSTMENT,
        [Posting(budget.id, -100), Posting(first.id, 130), Posting(second.id, -30)],
    )
    _refused_without_a_trace(
        db,
        errors.InsufficientFunds,
        lambda: write(db, admin, lambda ctx: journal.post_general_entry(ctx, command)),
    )
    unbalanced = journal.EntryCommand(
        "TRK", TransactionKind.ADJUSTMENT, [Posting(budget.id, -10), Posting(first.id, 9)]
    )
    _refused_without_a_trace(
        db,
        errors.UnbalancedEntry,
        lambda: write(db, admin, lambda ctx: journal.post_general_entry(ctx, unbalanced)),
    )


def test_the_issuance_account_may_go_negative_and_records_what_was_issued(
    db: Database, ledger: Ledger, trk: CurrencyView
) -> None:
    ledger.budget(70)
    ledger.budget(30)
    rows = assert_ledger_consistent(db, trk.id)
    assert rows[trk.issuance_account_id].balance == -100


# --- frozen and closed accounts -----------------------------------------------------------------


def test_a_frozen_account_neither_pays_nor_receives(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)
    other = ledger.account(AccountKind.MEMBER)
    ledger.transfer(budget.id, member.id, 40)
    assert _status(db, admin, member.id, "freeze").status == "frozen"

    _refused_without_a_trace(
        db, errors.AccountFrozen, _transfer(db, admin, member.id, other.id, 10)
    )
    _refused_without_a_trace(
        db, errors.AccountFrozen, _transfer(db, admin, budget.id, member.id, 10)
    )
    frozen_budget = ledger.account(AccountKind.BUDGET)
    _status(db, admin, frozen_budget.id, "freeze")
    _refused_without_a_trace(db, errors.AccountFrozen, lambda: ledger.issue(frozen_budget.id, 5))
    with pytest.raises(errors.AccountStatusUnchanged):
        _status(db, admin, member.id, "freeze")

    assert _status(db, admin, member.id, "unfreeze").status == "active"
    _transfer(db, admin, member.id, other.id, 10)()
    assert _balance(db, admin, member.id) == 30
    assert_ledger_consistent(db, trk.id)


def test_closing_needs_a_zero_balance_and_a_closed_account_takes_nothing(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)
    ledger.transfer(budget.id, member.id, 25)

    before = journal_fingerprint(db)
    with pytest.raises(errors.AccountNotEmpty):
        _status(db, admin, member.id, "close")
    assert journal_fingerprint(db) == before

    ledger.transfer(member.id, budget.id, 25)
    assert _status(db, admin, member.id, "close").status == "closed"

    _refused_without_a_trace(
        db, errors.AccountClosed, _transfer(db, admin, budget.id, member.id, 1)
    )
    _refused_without_a_trace(
        db, errors.AccountClosed, _transfer(db, admin, member.id, budget.id, 1)
    )
    for action, error in (
        ("close", errors.AccountStatusUnchanged),
        ("freeze", errors.AccountClosed),
        ("unfreeze", errors.AccountClosed),
    ):
        with pytest.raises(error):
            _status(db, admin, member.id, action)
    assert accounts.get_account(db, admin, member.id).status == "closed"
    assert_ledger_consistent(db, trk.id)


def test_a_frozen_account_with_funds_cannot_be_closed_and_a_reversal_into_a_closed_one_fails(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)
    payment = ledger.transfer(budget.id, member.id, 10)
    _status(db, admin, member.id, "freeze")
    with pytest.raises(errors.AccountNotEmpty):
        _status(db, admin, member.id, "close")
    _status(db, admin, member.id, "unfreeze")
    ledger.transfer(member.id, budget.id, 10)
    _status(db, admin, member.id, "close")
    # Reversing the payment would take 10 out of the closed account: refused, nothing written.
    _refused_without_a_trace(
        db,
        errors.AccountClosed,
        lambda: write(db, admin, lambda ctx: reversals.reverse(ctx, payment.id, "late")),
    )


def test_system_accounts_cannot_be_closed(
    db: Database, trk: CurrencyView, admin: Principal
) -> None:
    for account_id in (trk.issuance_account_id, trk.redemption_account_id):
        with pytest.raises(errors.AccountKindNotAllowed):
            _status(db, admin, account_id, "close")


# --- reversals -----------------------------------------------------------------------------------


def _reverse(db: Database, admin: Principal, transaction_id: int) -> TransactionView:
    return write(db, admin, lambda ctx: reversals.reverse(ctx, transaction_id, "mistake"))


def test_a_transaction_is_reversed_once_and_a_reversal_never(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)
    payment = ledger.transfer(budget.id, member.id, 60)

    reversal = _reverse(db, admin, payment.id)

    assert reversal.kind == "reversal"
    assert reversal.reverses_id == payment.id
    assert sorted((p.account_id, p.amount) for p in reversal.postings) == [
        (budget.id, 60),
        (member.id, -60),
    ]
    assert _balance(db, admin, budget.id) == 100
    assert _balance(db, admin, member.id) == 0
    _refused_without_a_trace(db, errors.AlreadyReversed, lambda: _reverse(db, admin, payment.id))
    _refused_without_a_trace(
        db, errors.ReversalNotReversible, lambda: _reverse(db, admin, reversal.id)
    )
    _refused_without_a_trace(db, errors.TransactionNotFound, lambda: _reverse(db, admin, 10**9))
    assert_ledger_consistent(db, trk.id)
    assert verification.verify(db).ok


def test_a_reversal_is_refused_when_the_money_has_moved_on(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)
    shop = ledger.account(AccountKind.SHOP)
    payment = ledger.transfer(budget.id, member.id, 50)
    ledger.transfer(member.id, shop.id, 30)

    _refused_without_a_trace(db, errors.InsufficientFunds, lambda: _reverse(db, admin, payment.id))
    # Once the member has the money back, the reversal can go through, once.
    ledger.transfer(shop.id, member.id, 30)
    _reverse(db, admin, payment.id)
    assert _balance(db, admin, member.id) == 0
    assert_ledger_consistent(db, trk.id)


def test_a_reversal_of_an_issuance_unissues_it(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.account(AccountKind.BUDGET)
    issuance = ledger.issue(budget.id, 80)
    _reverse(db, admin, issuance.id)
    rows = assert_ledger_consistent(db, trk.id)
    assert rows[trk.issuance_account_id].balance == 0
    assert rows[budget.id].balance == 0


def test_only_an_administrator_may_reverse(db: Database, ledger: Ledger, trk: CurrencyView) -> None:
    owner = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 20)
    payment = ledger.transfer(wallet.id, ledger.account(AccountKind.SHOP).id, 5)
    _refused_without_a_trace(
        db, errors.RoleNotAllowed, lambda: _reverse(db, owner.principal, payment.id)
    )


# --- currencies ----------------------------------------------------------------------------------


def test_money_never_crosses_currencies(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    zwt = ledger.currency("ZWT")
    ours = ledger.budget(100)
    theirs = ledger.budget(100, currency="ZWT")

    _refused_without_a_trace(
        db, errors.CurrencyMismatch, _transfer(db, admin, ours.id, theirs.id, 5)
    )
    _refused_without_a_trace(
        db, errors.CurrencyMismatch, _transfer(db, admin, theirs.id, ours.id, 5)
    )
    mixed = journal.EntryCommand(
        "TRK", TransactionKind.ADJUSTMENT, [Posting(ours.id, -5), Posting(theirs.id, 5)]
    )
    _refused_without_a_trace(
        db,
        errors.CurrencyMismatch,
        lambda: write(db, admin, lambda ctx: journal.post_general_entry(ctx, mixed)),
    )
    member = ledger.account(AccountKind.MEMBER)
    named_wrongly = journal.EntryCommand(
        "ZWT", TransactionKind.ADJUSTMENT, [Posting(ours.id, -5), Posting(member.id, 5)]
    )
    _refused_without_a_trace(
        db,
        errors.CurrencyMismatch,
        lambda: write(db, admin, lambda ctx: journal.post_general_entry(ctx, named_wrongly)),
    )
    # Each currency keeps its own sequence and totals.
    for currency in (trk, zwt):
        assert_ledger_consistent(db, currency.id)
        assert verification.trial_balance(db, admin, currency.code, None).issued == 100


# --- balances as of a moment, statements ---------------------------------------------------------


def test_balance_as_of_a_sequence_number_and_a_moment(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(100)  # seq 1
    member = ledger.account(AccountKind.MEMBER)
    first = ledger.transfer(budget.id, member.id, 30)  # seq 2
    second = ledger.transfer(budget.id, member.id, 20)  # seq 3
    third = ledger.transfer(member.id, budget.id, 5)  # seq 4
    assert [first.seq, second.seq, third.seq] == [2, 3, 4]

    def at(as_of: str | None) -> tuple[int, int]:
        found = accounts.balance_as_of(db, admin, member.id, as_of)
        return found.as_of_seq, found.balance

    assert at("0") == (0, 0)
    assert at("1") == (1, 0)
    assert at("2") == (2, 30)
    assert at("3") == (3, 50)
    assert at("4") == (4, 45)
    assert at("99") == (4, 45)  # beyond the end: now
    assert at(None) == (4, 45)
    assert at("") == (4, 45)

    assert at(second.created_at.isoformat()) == (3, 50)
    assert at((second.created_at - timedelta(microseconds=1)).isoformat()) == (2, 30)
    assert at((first.created_at - timedelta(microseconds=1)).isoformat()) == (1, 0)
    assert at((third.created_at + timedelta(days=1)).isoformat()) == (4, 45)
    assert at((first.created_at - timedelta(days=1)).isoformat()) == (0, 0)
    # The same moment written in another time zone means the same thing.
    elsewhere = second.created_at.astimezone(timezone(timedelta(hours=-5, minutes=-30)))
    assert at(elsewhere.isoformat()) == (3, 50)
    with pytest.raises(errors.InvalidAsOf):
        at(second.created_at.replace(tzinfo=None).isoformat())
    with pytest.raises(errors.InvalidAsOf):
        at("yesterday")

    trial = verification.trial_balance(db, admin, "TRK", "2")
    assert trial.balanced
    assert {line.account_id: line.balance for line in trial.lines}[member.id] == 30


def test_statement_running_balances_and_pages(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    budget = ledger.budget(1000)
    member = ledger.account(AccountKind.MEMBER)
    shop = ledger.account(AccountKind.SHOP)
    moves = [(budget.id, member.id, 200), (member.id, shop.id, 30), (member.id, shop.id, 45)]
    moves += [(shop.id, member.id, 5), (budget.id, member.id, 1), (member.id, shop.id, 100)]
    for source, target, amount in moves:
        ledger.transfer(source, target, amount)
    _refused_without_a_trace(
        db, errors.InsufficientFunds, _transfer(db, admin, member.id, shop.id, 32)
    )

    full = accounts.statement(db, admin, member.id, None, 100)
    assert full.next_cursor is None
    lines = list(reversed(full.items))  # oldest first
    assert [line.amount for line in lines] == [200, -30, -45, 5, 1, -100]
    running = 0
    for line in lines:
        running += line.amount
        assert line.balance_after == running
    assert running == _balance(db, admin, member.id) == 31
    assert [line.seq for line in full.items] == sorted((line.seq for line in lines), reverse=True)

    paged: list[int] = []
    cursor: str | None = None
    while True:
        page = accounts.statement(db, admin, member.id, cursor, 4)
        paged.extend(line.seq for line in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert paged == [line.seq for line in full.items]


def test_a_member_reads_only_their_own_statement(
    db: Database, ledger: Ledger, trk: CurrencyView
) -> None:
    owner = ledger.user(Role.MEMBER)
    stranger = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 10)
    assert len(accounts.statement(db, owner.principal, wallet.id, None, 10).items) == 1
    with pytest.raises(errors.NotAccountOwner):
        accounts.statement(db, stranger.principal, wallet.id, None, 10)
    _refused_without_a_trace(
        db,
        errors.NotAccountOwner,
        _transfer(db, stranger.principal, wallet.id, ledger.account(AccountKind.SHOP).id, 1),
    )


# --- the database's own constraints --------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignment", "kind"),
    [
        ("balance = -1", AccountKind.MEMBER),
        ("balance = balance - 11", AccountKind.MEMBER),
        ("held = balance + 1", AccountKind.SHOP),
        ("held = -1", AccountKind.BUDGET),
        ("balance = -5", AccountKind.REDEMPTION),
    ],
)
def test_check_constraints_stop_a_negative_floored_balance_even_in_raw_sql(
    db: Database, ledger: Ledger, trk: CurrencyView, assignment: str, kind: AccountKind
) -> None:
    if kind is AccountKind.REDEMPTION:
        account_id = trk.redemption_account_id
    else:
        account_id = ledger.account(kind).id
        if kind is AccountKind.BUDGET:
            ledger.issue(account_id, 10)
        else:
            ledger.transfer(ledger.budget(10).id, account_id, 10)
    before = journal_fingerprint(db)
    with pytest.raises(IntegrityError), db.write_engine.begin() as connection:
        connection.execute(
            text(f"UPDATE accounts SET {assignment} WHERE id = :id"), {"id": account_id}
        )
    assert journal_fingerprint(db) == before


def test_the_issuance_account_is_the_only_one_allowed_below_zero_by_the_database(
    db: Database, trk: CurrencyView
) -> None:
    with db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE accounts SET balance = -1 WHERE id = :id"),
            {"id": trk.issuance_account_id},
        )
        connection.rollback()


def test_other_database_constraints_hold(db: Database, ledger: Ledger, trk: CurrencyView) -> None:
    payment = ledger.transfer(ledger.budget(10).id, ledger.account(AccountKind.MEMBER).id, 10)
    statements = [
        # A second reversal of the same transaction, written past the services.
        "INSERT INTO transactions (currency_id, seq, kind, memo, metadata, actor_id, created_at,"
        " idempotency_key, reverses_id, prev_hash, hash) SELECT currency_id, 90, 'reversal', '',"
        " '{}', actor_id, created_at, NULL, :t, hash, hash FROM transactions WHERE id = :t"
        " UNION ALL SELECT currency_id, 91, 'reversal', '', '{}', actor_id, created_at, NULL, :t,"
        " hash, hash FROM transactions WHERE id = :t",
        # A sequence number used twice in one currency.
        "INSERT INTO transactions (currency_id, seq, kind, memo, metadata, actor_id, created_at,"
        " idempotency_key, reverses_id, prev_hash, hash) SELECT currency_id, seq, kind, memo,"
        " metadata, actor_id, created_at, NULL, NULL, hash, hash FROM transactions WHERE id = :t",
        # A zero posting.
        "INSERT INTO postings (transaction_id, account_id, seq, amount, balance_after)"
        " SELECT transaction_id, account_id, seq, 0, 0 FROM postings WHERE transaction_id = :t",
        "UPDATE accounts SET status = 'dormant'",
    ]
    before = journal_fingerprint(db)
    for statement in statements:
        with pytest.raises(DBAPIError), db.write_engine.begin() as connection:
            connection.execute(text(statement), {"t": payment.id})
    assert journal_fingerprint(db) == before


def test_a_write_context_that_raises_leaves_nothing_behind(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    """A failure after a successful posting in the same unit of work rolls the posting back."""
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)

    def two_steps(ctx: WriteContext) -> None:
        journal.transfer(ctx, journal.TransferCommand(budget.id, member.id, 60))
        journal.transfer(ctx, journal.TransferCommand(budget.id, member.id, 60))

    _refused_without_a_trace(db, errors.InsufficientFunds, lambda: write(db, admin, two_steps))
    assert_ledger_consistent(db, trk.id)
    assert verification.verify(db).ok
