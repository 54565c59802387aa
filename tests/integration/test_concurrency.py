"""Real threads against the real database: a file for SQLite, the server for PostgreSQL.

The threads start together (``tests.integration.threads``); the tests count what each write
returned or raised and audit the ledger afterwards.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from tests.integration.conftest import Engines
from tests.integration.helpers import account_rows, assert_ledger_consistent, keyed
from tests.integration.threads import failures, run_concurrently, unexpected
from tests.support import Ledger
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.identity.read_models import UserView
from torekes.identity.users import UserCommand, create_user
from torekes.kit.unit_of_work import StoredResponse, request_fingerprint, write, write_idempotently
from torekes.ledger import journal
from torekes.ledger.currencies import CurrencyCommand, create_currency, list_currencies
from torekes.ledger.read_models import CurrencyView, TransactionView
from torekes.spending.reversals import reverse as reverse_transaction

THREADS = 24
separate_param = pytest.mark.parametrize(
    "separate", [False, True], ids=["one-engine", "engine-per-thread"]
)


def _verify_ok(db: Database) -> None:
    report = verification.verify(db)
    assert report.ok, report.problems


@separate_param
def test_overdraft_race_lets_exactly_the_covered_transfers_through(
    db: Database,
    ledger: Ledger,
    trk: CurrencyView,
    admin: Principal,
    engines: Engines,
    separate: bool,
) -> None:
    owner = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 100)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    databases = engines(separate, THREADS)

    def pay(index: int) -> TransactionView:
        command = ledger_transfer(wallet.id, shop.id, 10, f"thread {index}")
        return write(databases[index], owner.principal, lambda ctx: journal.transfer(ctx, command))

    outcomes = run_concurrently(THREADS, pay)

    assert unexpected(outcomes, errors.InsufficientFunds) == []
    succeeded = [outcome.value for outcome in outcomes if outcome.error is None]
    assert len(succeeded) == 10
    assert len(failures(outcomes)) == THREADS - 10
    rows = assert_ledger_consistent(db, trk.id)
    assert rows[wallet.id].balance == 0
    assert rows[shop.id].balance == 100
    seqs = sorted(view.seq for view in succeeded)
    assert seqs == sorted(set(seqs))
    # Every balance_after of the wallet is what it held right after that payment: 90, 80, ... 0.
    with db.read_engine.connect() as connection:
        afters = connection.execute(
            text(
                "SELECT balance_after FROM postings WHERE account_id = :a AND amount < 0 "
                "ORDER BY seq"
            ),
            {"a": wallet.id},
        ).scalars()
        assert [int(value) for value in afters] == list(range(90, -1, -10))
    _verify_ok(db)


def move(db: Database, actor: Principal, command: journal.TransferCommand) -> TransactionView:
    return write(db, actor, lambda ctx: journal.transfer(ctx, command))


def ledger_transfer(source: int, target: int, amount: int, memo: str) -> journal.TransferCommand:
    return journal.TransferCommand(source, target, amount, memo)


@separate_param
def test_one_idempotency_key_retried_concurrently_takes_effect_once(
    db: Database,
    ledger: Ledger,
    trk: CurrencyView,
    engines: Engines,
    separate: bool,
) -> None:
    owner = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 100)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    databases = engines(separate, THREADS)
    body = f'{{"from_account_id": {wallet.id}, "to_account_id": {shop.id}, "amount": 30}}'
    fingerprint = request_fingerprint("POST", "/api/v1/transfers", body.encode())
    command = ledger_transfer(wallet.id, shop.id, 30, "once")
    before = _transactions_with_key(db, "retry-key-1")

    def render(view: TransactionView) -> tuple[int, Any]:
        return 201, {"id": view.id, "seq": view.seq, "hash": view.hash}

    def retry(index: int) -> StoredResponse:
        return write_idempotently(
            databases[index],
            owner.principal,
            keyed("retry-key-1", fingerprint),
            lambda ctx: journal.transfer(ctx, command),
            render,
        )

    outcomes = run_concurrently(20, retry)

    assert unexpected(outcomes) == []
    responses: list[StoredResponse] = [outcome.value for outcome in outcomes]
    assert len({str(response.body) for response in responses}) == 1
    assert {response.status_code for response in responses} == {201}
    assert sorted(response.replayed for response in responses) == [False] + [True] * 19
    assert before == 0
    assert _transactions_with_key(db, "retry-key-1") == 1
    rows = assert_ledger_consistent(db, trk.id)
    assert rows[wallet.id].balance == 70
    assert rows[shop.id].balance == 30
    _verify_ok(db)


def test_one_key_with_two_different_requests_concurrently(
    db: Database, ledger: Ledger, trk: CurrencyView
) -> None:
    owner = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 100)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    amounts = [10 if index % 2 else 20 for index in range(20)]

    def attempt(index: int) -> StoredResponse:
        amount = amounts[index]
        body = f'{{"to": {shop.id}, "amount": {amount}}}'.encode()
        command = ledger_transfer(wallet.id, shop.id, amount, "either")
        return write_idempotently(
            db,
            owner.principal,
            keyed("shared-key", request_fingerprint("POST", "/api/v1/transfers", body)),
            lambda ctx: journal.transfer(ctx, command),
            lambda view: (201, {"id": view.id, "amount": amount}),
        )

    outcomes = run_concurrently(20, attempt)

    assert unexpected(outcomes, errors.IdempotencyKeyReused) == []
    won = [outcome.value for outcome in outcomes if outcome.error is None]
    winning_amount = rows_moved = account_rows(db, trk.id)[shop.id].balance
    assert winning_amount in (10, 20)
    assert _transactions_with_key(db, "shared-key") == 1
    # Everyone who asked for the winning request got its response; everyone else was refused.
    assert len(won) == amounts.count(winning_amount)
    assert {response.body["amount"] for response in won} == {rows_moved}
    assert len(failures(outcomes)) == 20 - len(won)
    assert_ledger_consistent(db, trk.id)
    _verify_ok(db)


def _transactions_with_key(db: Database, key: str) -> int:
    with db.read_engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT COUNT(*) FROM transactions WHERE idempotency_key = :k"), {"k": key}
            ).scalar_one()
        )


@separate_param
def test_concurrent_reversals_of_one_transaction_succeed_once(
    db: Database,
    ledger: Ledger,
    trk: CurrencyView,
    admin: Principal,
    engines: Engines,
    separate: bool,
) -> None:
    budget = ledger.budget(500)
    member = ledger.account(AccountKind.MEMBER)
    payment = ledger.transfer(budget.id, member.id, 120)
    databases = engines(separate, THREADS)

    def undo(index: int) -> TransactionView:
        return write(
            databases[index],
            admin,
            lambda ctx: reverse_transaction(ctx, payment.id, f"t{index}"),
        )

    outcomes = run_concurrently(16, undo)

    assert unexpected(outcomes, errors.AlreadyReversed) == []
    reversals = [outcome.value for outcome in outcomes if outcome.error is None]
    assert len(reversals) == 1
    assert reversals[0].reverses_id == payment.id
    rows = assert_ledger_consistent(db, trk.id)
    assert rows[budget.id].balance == 500
    assert rows[member.id].balance == 0
    with db.read_engine.connect() as connection:
        count = connection.execute(
            text("SELECT COUNT(*) FROM transactions WHERE reverses_id = :t"), {"t": payment.id}
        ).scalar_one()
    assert count == 1
    _verify_ok(db)


@separate_param
def test_transfers_in_both_directions_do_not_deadlock(
    db: Database,
    ledger: Ledger,
    trk: CurrencyView,
    admin: Principal,
    engines: Engines,
    separate: bool,
) -> None:
    first = ledger.account(AccountKind.MEMBER)
    second = ledger.account(AccountKind.SHOP)
    budget = ledger.budget(2000)
    ledger.transfer(budget.id, first.id, 1000)
    ledger.transfer(budget.id, second.id, 1000)
    databases = engines(separate, THREADS)
    rounds = 5

    def shuttle(index: int) -> int:
        source, target = (first.id, second.id) if index % 2 == 0 else (second.id, first.id)
        for turn in range(rounds):
            move(databases[index], admin, ledger_transfer(source, target, 7, f"{index}/{turn}"))
        return index

    outcomes = run_concurrently(THREADS, shuttle)

    assert unexpected(outcomes) == []
    rows = assert_ledger_consistent(db, trk.id)
    # As many transfers went each way, so both accounts end where they started.
    assert rows[first.id].balance == 1000
    assert rows[second.id].balance == 1000
    with db.read_engine.connect() as connection:
        last_seq = connection.execute(
            text("SELECT last_seq FROM currencies WHERE id = :c"), {"c": trk.id}
        ).scalar_one()
    assert last_seq == 3 + THREADS * rounds
    _verify_ok(db)


def test_the_audit_sees_a_consistent_ledger_while_writers_are_busy(
    db: Database, ledger: Ledger, trk: CurrencyView, admin: Principal
) -> None:
    """Each audit reads one snapshot: writers committing meanwhile never make it report a break."""
    budget = ledger.budget(10_000)
    members = [ledger.account(AccountKind.MEMBER).id for _ in range(4)]
    writers, readers = 12, 4

    def work(index: int) -> list[bool]:
        if index >= writers:
            checks: list[bool] = []
            for _ in range(6):
                report = verification.verify(db)
                trial = verification.trial_balance(db, admin, "TRK", None)
                checks.append(report.ok and trial.balanced)
                assert report.ok, report.problems
            return checks
        for turn in range(6):
            target = members[(index + turn) % len(members)]
            move(db, admin, ledger_transfer(budget.id, target, 3, f"{index}/{turn}"))
        return []

    outcomes = run_concurrently(writers + readers, work)

    assert unexpected(outcomes) == []
    assert all(all(outcome.value) for outcome in outcomes)
    rows = assert_ledger_consistent(db, trk.id)
    assert rows[budget.id].balance == 10_000 - writers * 6 * 3
    _verify_ok(db)


def test_one_currency_code_created_concurrently_exists_once(
    db: Database, ledger: Ledger, admin: Principal
) -> None:
    command = CurrencyCommand("DUP", "Duplicates", 0, Decimal("0.10"))

    def create(index: int) -> CurrencyView:
        return write(db, admin, lambda ctx: create_currency(ctx, command))

    outcomes = run_concurrently(12, create)

    assert unexpected(outcomes, errors.CurrencyExists) == []
    assert len([outcome for outcome in outcomes if outcome.error is None]) == 1
    assert [currency.code for currency in list_currencies(db)] == ["DUP"]
    _verify_ok(db)


def test_one_username_registered_concurrently_exists_once(db: Database, admin: Principal) -> None:
    command = UserCommand("same-name", "Same Name", Role.MEMBER, "correct-horse-battery")

    def register(index: int) -> UserView:
        return write(db, admin, lambda ctx: create_user(ctx, command))

    outcomes = run_concurrently(8, register)

    assert unexpected(outcomes, errors.UsernameTaken) == []
    assert len([outcome for outcome in outcomes if outcome.error is None]) == 1
    with db.read_engine.connect() as connection:
        count = connection.execute(
            text("SELECT COUNT(*) FROM users WHERE username = 'same-name'")
        ).scalar_one()
    assert count == 1
