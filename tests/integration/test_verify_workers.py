"""``verify`` recomputing hashes in worker processes finds exactly what it finds alone, in the
same order, and still does when the workers die: it falls back to hashing in process."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

import pytest

from tests.integration.test_tamper import tamper
from tests.support import Ledger
from torekes.db.engine import Database
from torekes.domain.accounts import AccountKind
from torekes.services import audit
from torekes.services.views import CurrencyView

TRANSFERS = 30


def _tampered_ledger(db: Database, ledger: Ledger) -> list[int]:
    """A journal where every third transfer's memo was changed behind the ledger's back."""
    budget = ledger.budget(10_000)
    member = ledger.account(AccountKind.MEMBER)
    transfers = [ledger.transfer(budget.id, member.id, 5) for _ in range(TRANSFERS)]
    changed = transfers[::3]
    for transfer in changed:
        statement = "UPDATE transactions SET memo = 'changed' WHERE id = :id"
        tamper(db, "transactions", statement, {"id": transfer.id})
    return [transfer.seq for transfer in changed]


def _dying_pool(
    workers: int, mp_context: BaseContext, initializer: Any = None
) -> ProcessPoolExecutor:
    """Workers that exit as soon as they start, as when they cannot import what they run."""
    return ProcessPoolExecutor(workers, mp_context=mp_context, initializer=os._exit, initargs=(3,))


@pytest.mark.parametrize("workers_die", [False, True], ids=["workers", "workers die"])
@pytest.mark.parametrize("batch", [1, 4])
def test_hashing_in_workers_reports_what_hashing_alone_does(
    db: Database,
    ledger: Ledger,
    trk: CurrencyView,
    monkeypatch: pytest.MonkeyPatch,
    workers_die: bool,
    batch: int,
) -> None:
    changed = _tampered_ledger(db, ledger)
    alone = audit.verify(db)
    assert [problem.seq for problem in alone.problems if problem.check == "hash"] == changed

    monkeypatch.setattr(audit, "PARALLEL_FROM", 1)
    monkeypatch.setattr(audit, "HASH_WORKERS", 2)
    monkeypatch.setattr(audit, "HASH_BATCH", batch)
    if workers_die:
        monkeypatch.setattr(audit, "ProcessPoolExecutor", _dying_pool)
    in_workers = audit.verify(db)

    assert in_workers.problems == alone.problems
    assert in_workers.transactions_checked == alone.transactions_checked
