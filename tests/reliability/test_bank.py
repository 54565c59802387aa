"""The bank test against a real server with two worker processes: concurrent transfers among
hot and cold accounts, some retried with their idempotency key, while readers take balances and
statements; then the total is conserved, nothing floored was ever seen negative, every
acknowledged transfer is in the journal once and every refusal not at all, the balances equal
the postings, the sequence has no gaps and verify passes."""

from __future__ import annotations

import random
import threading

import httpx2
import pytest

from tests.reliability import bank
from tests.servers import Server
from tests.support import Ledger

pytestmark = pytest.mark.e2e

WRITERS = 16
READERS = 4


def test_concurrent_transfers_keep_the_bank_whole(
    two_workers: Server, ledger: Ledger, scale: float
) -> None:
    accounts = bank.open_accounts(ledger)
    admin = ledger.admin
    history = bank.History()
    per_writer = round(30 * scale)
    writers_done = threading.Event()
    seed = random.randrange(2**32)

    def write(index: int) -> None:
        with httpx2.Client(base_url=two_workers.base_url, timeout=60.0) as http:
            rng = random.Random(seed + index)
            bank.writer(http, admin, accounts, history, rng, per_writer)

    def read(index: int) -> None:
        with httpx2.Client(base_url=two_workers.base_url, timeout=60.0) as http:
            rng = random.Random(seed + 1000 + index)
            bank.reader(http, admin, accounts, history, rng, writers_done.is_set)

    writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    readers = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
    for thread in [*readers, *writers]:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    for thread in readers:
        thread.join()

    statuses = [outcome.status for outcome in history.outcomes]
    assert statuses.count("unknown") == 0, f"seed {seed}: {history.errors[:5]}"
    assert statuses.count("written") > 0, statuses
    assert statuses.count("refused") > 0, statuses
    with httpx2.Client(base_url=two_workers.base_url, timeout=60.0) as http:
        bank.check(http, admin, accounts, history)
    assert two_workers.process.poll() is None
