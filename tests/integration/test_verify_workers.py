"""``verify`` walking the journal in ranges in worker processes finds exactly what it finds in
one walk, in the same order: when a break sits inside a range, when it makes a range start
somewhere other than where the one before ended, and when the workers die (it walks the ranges
itself)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

import pytest

from tests.integration.test_tamper import tamper
from tests.support import Ledger
from torekes.audit import journal_walk, verification
from torekes.db.engine import Database
from torekes.domain.accounts import AccountKind
from torekes.ledger.read_models import CurrencyView

TRANSFERS = 30


# Each a change behind the ledger's back to every third transfer, and the check it breaks.
CHANGES = {
    "memo": ("transactions", "UPDATE transactions SET memo = 'changed' WHERE id = :id", "hash"),
    "balance after": (
        "postings",
        "UPDATE postings SET balance_after = balance_after + 1"
        " WHERE transaction_id = :id AND amount > 0",
        "running_balance",
    ),
    "chain": (
        "transactions",
        "UPDATE transactions SET prev_hash = hash WHERE id = :id",
        "chain",
    ),
}


def _tampered_ledger(db: Database, ledger: Ledger, change: str) -> list[int]:
    """A journal where every third transfer was changed behind the ledger's back."""
    budget = ledger.budget(10_000)
    member = ledger.account(AccountKind.MEMBER)
    transfers = [ledger.transfer(budget.id, member.id, 5) for _ in range(TRANSFERS)]
    table, statement, _ = CHANGES[change]
    changed = transfers[::3]
    for transfer in changed:
        tamper(db, table, statement, {"id": transfer.id})
    return [transfer.seq for transfer in changed]


def _dying_pool(
    workers: int, mp_context: BaseContext, initializer: Any = None
) -> ProcessPoolExecutor:
    """Workers that exit as soon as they start, as when they cannot import what they run."""
    return ProcessPoolExecutor(workers, mp_context=mp_context, initializer=os._exit, initargs=(3,))


@pytest.mark.parametrize("workers_die", [False, True], ids=["workers", "workers die"])
@pytest.mark.parametrize("range_size", [1, 4])
@pytest.mark.parametrize("change", list(CHANGES))
def test_walking_in_workers_reports_what_one_walk_does(
    db: Database,
    ledger: Ledger,
    trk: CurrencyView,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
    workers_die: bool,
    range_size: int,
) -> None:
    changed = _tampered_ledger(db, ledger, change)
    alone = verification.verify(db)
    broken = CHANGES[change][2]
    assert [problem.seq for problem in alone.problems if problem.check == broken] == changed

    monkeypatch.setattr(journal_walk, "PARALLEL_FROM", 1)
    monkeypatch.setattr(journal_walk, "WALK_WORKERS", 2)
    monkeypatch.setattr(journal_walk, "RANGE_SIZE", range_size)
    if workers_die:
        monkeypatch.setattr(journal_walk, "ProcessPoolExecutor", _dying_pool)
    in_workers = verification.verify(db)

    assert in_workers.problems == alone.problems
    assert in_workers.transactions_checked == alone.transactions_checked


def test_an_intact_journal_walked_in_workers_is_intact(
    db: Database, ledger: Ledger, trk: CurrencyView, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = ledger.budget(10_000)
    member = ledger.account(AccountKind.MEMBER)
    for _ in range(TRANSFERS):
        ledger.transfer(budget.id, member.id, 5)
    monkeypatch.setattr(journal_walk, "PARALLEL_FROM", 1)
    monkeypatch.setattr(journal_walk, "WALK_WORKERS", 2)
    monkeypatch.setattr(journal_walk, "RANGE_SIZE", 7)

    report = verification.verify(db)

    assert report.ok, report.problems
    assert report.transactions_checked == TRANSFERS + 1  # and the budget's issuance
