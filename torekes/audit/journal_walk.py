"""The audit's walk along one currency's journal: every transaction checked on its own and
against what came before it, in sequence order, its hash recomputed.

Each transaction is checked in this order: its sequence number follows the one before, it has at
least two postings, they balance, each posting is to an account of the currency, carries the
transaction's sequence number and the running balance its account's postings add up to, the
transaction chains to its predecessor's hash, and its own hash recomputes.

A long journal is cut into ranges of sequence numbers walked side by side in worker processes,
each reading its own rows: reading, checking and hashing a million transactions in one process
takes longer than the audit may. A worker does not know what came before its range, so it starts
from the range's first transaction: its sequence number, the hash it chains to, and for each
account the balance its first posting in the range claims to start from. The ranges are then
joined in order. Where a range starts exactly where the one before ended, its findings are the
ones a walk in one piece would have made; where it does not (only in a broken journal), or where
its worker failed, the range is walked again here, from where the one before ended. Either way
the problems come out exactly as from a walk in one piece.

Workers read what the walk's own session sees: on PostgreSQL they adopt its exported snapshot;
on SQLite they read no further than the last sequence number it saw, and the rows up to there
are never changed (the database's triggers refuse it). Workers are spawned, not forked: a fork
copies whatever locks other threads of a server hold at that moment.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.orm import Session

from torekes.audit import queries
from torekes.db.engine import Database
from torekes.domain.entries import TransactionKind
from torekes.domain.hashing import GENESIS_HASH

# From this many transactions in a currency on, ranges are walked in worker processes; for
# fewer, starting the workers costs more than it saves.
PARALLEL_FROM = 100_000
# Transactions in one range: enough to make a worker's start-up and its reads' round trips small
# beside its work, few enough that the ranges spread evenly over the workers.
RANGE_SIZE = 25_000
WALK_WORKERS = min(4, os.cpu_count() or 1)
# Allocations between two runs of the youngest collection while the journal is walked here (the
# interpreter's default is 700).
WALK_COLLECTION_THRESHOLD = 200_000

# Kinds whose rows outside the journal (payments, refunds, redemptions) are checked against it.
CHECKED_KINDS = frozenset(
    {TransactionKind.PAYMENT, TransactionKind.REFUND, TransactionKind.REDEMPTION}
)

# A problem found: (transaction id, sequence number, check, detail, account or None).
Found = tuple[int, int, str, str, int | None]
Rows = Iterable[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]


@dataclass(slots=True)
class Walk:
    """Where a walk has got to, and what it leaves for the checks after it."""

    transactions: int = 0
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    # Each account's balance as its postings add up.
    running: dict[int, int] = field(default_factory=dict)
    # The postings of each transaction of a kind that rows outside the journal are checked
    # against, as {account: amount}.
    moves: dict[int, dict[int, int]] = field(default_factory=dict)
    reversed_ids: set[int] = field(default_factory=set)
    found: list[Found] = field(default_factory=list)

    @property
    def last_seq(self) -> int:
        return self.expected_seq - 1


@dataclass(slots=True)
class _Range:
    """A range walked by a worker from its own first transaction, with where it started."""

    walk: Walk
    first_seq: int
    first_prev_hash: str
    # Each account's balance before its first posting in the range, as that posting claims it.
    starts: dict[int, int]

    def continues(self, before: Walk) -> bool:
        """Whether the range starts exactly where ``before`` ends."""
        running = before.running
        return (
            self.first_seq == before.expected_seq
            and self.first_prev_hash == before.prev_hash
            and all(running.get(account, 0) == start for account, start in self.starts.items())
        )


def walk_journal(
    session: Session, database: Database, currency_id: int, currency_code: str, known: set[int]
) -> Walk:
    """Walk the currency's journal as ``session`` sees it; ``known`` holds its accounts' ids."""
    up_to = queries.last_seq_in_journal(session, currency_id)
    walk = Walk()
    workers = WALK_WORKERS if _shareable(database.url) and up_to >= PARALLEL_FROM else 0
    if not workers:
        with _collector_eased():
            check_rows(walk, currency_code, queries.journal(session, currency_id), known)
        return walk
    snapshot = queries.export_snapshot(session)
    # The first range is open below and the last ends at the highest sequence number seen, so
    # that a row with a sequence number out of line is walked too.
    bounds = [
        (None if lo == 0 else lo, min(lo + RANGE_SIZE, up_to)) for lo in range(0, up_to, RANGE_SIZE)
    ]
    accounts = frozenset(known)
    with _pool(workers) as pool:
        futures = [
            _submit(pool, database.url, snapshot, currency_id, currency_code, *bound, accounts)
            for bound in bounds
        ]
        for (after, up_to_seq), future in zip(bounds, futures, strict=True):
            part = _result(future)
            if part is None or not part.continues(walk):
                rows = queries.journal(session, currency_id, up_to_seq, after_seq=after)
                with _collector_eased():
                    check_rows(walk, currency_code, rows, known)
            else:
                _join(walk, part.walk)
    return walk


def check_rows(
    walk: Walk,
    currency_code: str,
    rows: Rows,
    known: set[int] | frozenset[int],
    starts: dict[int, int] | None = None,
) -> None:
    """Check each transaction of ``rows`` (as ``queries.journal`` yields them) after where
    ``walk`` has got to, noting problems on ``walk.found``. With ``starts``, an account not yet
    on ``walk.running`` starts from the balance its first posting claims, noted in ``starts``."""
    running, moves, found = walk.running, walk.moves, walk.found
    expected_seq, prev_hash = walk.expected_seq, walk.prev_hash
    for tx, postings in rows:
        tx_id, seq, kind, _, _, _, _, _, reverses_id, tx_prev_hash, tx_hash = tx
        if seq != expected_seq:
            found.append(
                (tx_id, seq, "sequence", f"expected sequence {expected_seq}, found {seq}", None)
            )
        expected_seq = seq + 1
        if len(postings) < 2:
            detail = f"{len(postings)} posting(s); at least two are needed"
            found.append((tx_id, seq, "postings", detail, None))
        # The sum comes before the postings' own checks, found in the same pass.
        before_postings, total = len(found), 0
        pairs: list[tuple[int, int]] = []
        for _, account, amount, posting_seq, balance_after in postings:
            total += amount
            pairs.append((account, amount))
            if starts is not None and account not in running:
                starts[account] = running[account] = balance_after - amount
            balance = running[account] = running.get(account, 0) + amount
            if account not in known:
                detail = "posting to an account of another currency"
                found.append((tx_id, seq, "currency", detail, account))
            if posting_seq != seq:
                detail = f"posting carries sequence {posting_seq}"
                found.append((tx_id, seq, "posting_seq", detail, account))
            if balance_after != balance:
                detail = f"balance after is {balance_after}, postings sum to {balance}"
                found.append((tx_id, seq, "running_balance", detail, account))
        if total != 0:
            found.insert(
                before_postings, (tx_id, seq, "balanced", f"postings sum to {total}", None)
            )
        if tx_prev_hash != prev_hash:
            detail = "prev_hash does not match the previous transaction's hash"
            found.append((tx_id, seq, "chain", detail, None))
        if queries.entry_hash(currency_code, tx, pairs, tx_prev_hash) != tx_hash:
            found.append((tx_id, seq, "hash", "the content no longer matches its hash", None))
        prev_hash = tx_hash
        if kind in CHECKED_KINDS:
            moves[tx_id] = dict(pairs)
        if reverses_id is not None:
            walk.reversed_ids.add(reverses_id)
        walk.transactions += 1
    walk.expected_seq, walk.prev_hash = expected_seq, prev_hash


def _join(walk: Walk, part: Walk) -> None:
    walk.transactions += part.transactions
    walk.expected_seq, walk.prev_hash = part.expected_seq, part.prev_hash
    walk.running.update(part.running)
    walk.moves.update(part.moves)
    walk.reversed_ids |= part.reversed_ids
    walk.found.extend(part.found)


def _walk_range(
    url: str,
    snapshot: str | None,
    currency_id: int,
    currency_code: str,
    after: int | None,
    up_to: int,
    known: frozenset[int],
) -> _Range | None:
    """In a worker: walk the range from its own first transaction. None if it has none: the
    caller then reads the empty range itself, which costs nothing."""
    with _database(url).read_session() as session:
        if snapshot is not None:
            queries.adopt_snapshot(session, snapshot)
        rows = iter(queries.journal(session, currency_id, up_to, after_seq=after))
        first = next(rows, None)
        if first is None:
            return None
        first_tx = first[0]
        seq, prev_hash = first_tx[1], first_tx[-2]
        walk, starts = Walk(expected_seq=seq, prev_hash=prev_hash), dict[int, int]()
        check_rows(walk, currency_code, chain([first], rows), known, starts)
        return _Range(walk, seq, prev_hash, starts)


@cache
def _database(url: str) -> Database:
    return Database(url)


def _shareable(url: str) -> bool:
    """Whether other processes can open the same database (not an SQLite one in memory)."""
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or parsed.database not in (None, "", ":memory:")


def _submit(pool: ProcessPoolExecutor | None, *args: Any) -> Future[_Range | None] | None:
    """The range handed to a worker, or None where the pool cannot take it."""
    if pool is None:
        return None
    try:
        return pool.submit(_walk_range, *args)
    except (BrokenProcessPool, OSError, RuntimeError):
        # A broken pool refuses work, and a worker that cannot start fails right here.
        return None


def _result(future: Future[_Range | None] | None) -> _Range | None:
    if future is None:
        return None
    try:
        return future.result()
    except Exception:
        # Whatever stopped the worker (once one dies, the pool's other work is cancelled or
        # broken too; or it could not reach the database), the range is walked here instead.
        return None


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes, or None where they cannot be started. A worker makes no reference
    cycles, so it runs without the cycle collector."""
    try:
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=gc.disable
        )
    except (OSError, RuntimeError):
        yield None
        return
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


@contextmanager
def _collector_eased() -> Iterator[None]:
    """The cyclic garbage collector set off far less often while the journal is walked here. The
    walk makes millions of short-lived objects and no cycles, and the collector, set off by them
    again and again, went over the whole process each time: a third of the walk's time on a long
    journal. It is not switched off, since in a server other requests run beside the walk."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], WALK_COLLECTION_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
