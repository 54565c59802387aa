"""The storage ceiling: a plain driver script (``sqlite3`` or ``psycopg``, no web framework, no
ORM) writing what one payment writes to the ledger, at the same concurrency and durability as the
service: one database transaction per payment that takes the currency's chain head, checks the
payer's floor, inserts the transaction row (with its hash chained to the previous one) and its two
postings with running balances, moves both materialised balances and moves the chain head.

It writes into the same schema (constraints, indexes and append-only triggers included) as the
service. On SQLite it runs in WAL mode with ``synchronous=FULL`` and queues its writer threads on
a lock of their own, as the service does; on PostgreSQL each thread holds its own connection and
takes the same row locks. ``torekes verify`` passes on what it wrote.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy.engine import make_url

from bench.community import Community
from bench.driver_sql import placeholder, settle, transaction
from bench.load import LoadResult, LoadSettings
from torekes.domain.entries import Posting
from torekes.domain.hashing import ChainedContent, transaction_hash

MEMO = "Payment to Bench shop"


class _Ledger:
    """One connection's way of writing a payment: the SQL differs by database only in its
    placeholders, its row locks and how a transaction begins."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        self.url = url

    def connect(self) -> Any:
        if self.sqlite:
            connection = sqlite3.connect(
                self.url.removeprefix("sqlite:///"), timeout=60, isolation_level=None
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            return connection
        target = make_url(self.url).set(drivername="postgresql")
        return psycopg.connect(target.render_as_string(hide_password=False))

    def pay(self, connection: Any, currency_id: int, payer: int, shop: int, actor: int) -> None:
        lock = "" if self.sqlite else " FOR UPDATE"
        mark = placeholder(self.sqlite)
        with transaction(connection, self.sqlite) as cursor:
            cursor.execute(
                f"SELECT code, last_seq, last_hash FROM currencies WHERE id = {mark}{lock}",
                (currency_id,),
            )
            code, last_seq, last_hash = cursor.fetchone()
            cursor.execute(
                f"SELECT id, balance FROM accounts WHERE id IN ({mark}, {mark}) ORDER BY id{lock}",
                (payer, shop),
            )
            balances = dict(cursor.fetchall())
            if balances[payer] < 1:
                raise RuntimeError("the bench payer ran out of tokens")
            seq, now = last_seq + 1, datetime.now(UTC)
            postings = [Posting(payer, -1), Posting(shop, 1)]
            content = ChainedContent(
                code, seq, "transfer", MEMO, {}, actor, now, None, None, postings
            )
            digest = transaction_hash(content, last_hash)
            stamp: object = now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else now
            metadata: object = json.dumps({}) if self.sqlite else Json({})
            cursor.execute(
                "INSERT INTO transactions (currency_id, seq, kind, memo, metadata, actor_id,"
                " created_at, prev_hash, hash) VALUES"
                f" ({mark}, {mark}, 'transfer', {mark}, {mark}, {mark}, {mark}, {mark}, {mark})"
                " RETURNING id",
                (currency_id, seq, MEMO, metadata, actor, stamp, last_hash, digest),
            )
            (transaction_id,) = cursor.fetchone()
            after = {payer: balances[payer] - 1, shop: balances[shop] + 1}
            cursor.executemany(
                "INSERT INTO postings (transaction_id, account_id, seq, amount, balance_after)"
                f" VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                [
                    (transaction_id, p.account_id, seq, p.amount, after[p.account_id])
                    for p in postings
                ],
            )
            settle(cursor, mark, currency_id, after, seq, digest)


def run(url: str, community: Community, settings: LoadSettings) -> LoadResult:
    """Write payments from ``settings.clients`` threads for the measured window."""
    ledger = _Ledger(url)
    ids = _ids(ledger, community)
    result = LoadResult(0, settings.seconds, [])
    start = time.monotonic() + 0.5 + settings.warmup_seconds
    end = start + settings.seconds
    queue = threading.Lock() if ledger.sqlite else None
    record = threading.Lock()
    failures: list[BaseException] = []

    def client(index: int) -> None:
        payer = community.members[index % len(community.members)].account_id
        connection = ledger.connect()
        try:
            while (sent := time.monotonic()) < end:
                _guarded(queue, lambda: ledger.pay(connection, ids[0], payer, ids[1], ids[2]))
                done = time.monotonic()
                if start <= done <= end:
                    with record:
                        result.completed += 1
                        result.latencies.append(done - sent)
                        result.statuses[200] += 1
        except BaseException as failure:  # handed to the main thread, which raises it
            failures.append(failure)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(settings.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return result


def _guarded(queue: threading.Lock | None, write: Callable[[], None]) -> None:
    if queue is None:
        write()
        return
    with queue:
        write()


def _ids(ledger: _Ledger, community: Community) -> tuple[int, int, int]:
    """The currency, the shop account and a member who acts (the payers' owner ids do not
    matter to what is written)."""
    connection = ledger.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT currency_id, owner_id FROM accounts WHERE id = {placeholder(ledger.sqlite)}",
            (community.members[0].account_id,),
        )
        currency_id, actor = cursor.fetchone()
        return currency_id, community.shop_account_id, actor
    finally:
        connection.close()
