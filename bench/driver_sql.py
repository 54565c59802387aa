"""What the benchmarks write with the database driver itself (``sqlite3`` or ``psycopg``), past
the ORM, in both the plain-driver ceiling and the growth generator: a write transaction as the
service opens one, and the materialised balances and the chain head moved to where the journal
now ends."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


def placeholder(sqlite: bool) -> str:
    """The driver's parameter placeholder."""
    return "?" if sqlite else "%s"


@contextmanager
def transaction(connection: Any, sqlite: bool) -> Iterator[Any]:
    """A cursor in one database transaction, committed when the block ends and rolled back when
    it raises. The SQLite connection is in autocommit mode, so the transaction is begun here
    with ``BEGIN IMMEDIATE`` (the write lock taken up front, as the service takes it); psycopg
    begins one by itself."""
    cursor = connection.cursor()
    try:
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
            if sqlite:
                cursor.execute("COMMIT")
            else:
                connection.commit()
        except BaseException:
            if sqlite:
                cursor.execute("ROLLBACK")
            else:
                connection.rollback()
            raise
    finally:
        cursor.close()


def settle(
    cursor: Any, mark: str, currency_id: int, balances: Mapping[int, int], seq: int, head: str
) -> None:
    """Set the materialised balances of the accounts in ``balances`` and the currency's chain
    head (its last sequence number and hash); ``mark`` is the driver's placeholder."""
    cursor.executemany(
        f"UPDATE accounts SET balance = {mark} WHERE id = {mark}",
        [(balance, account) for account, balance in balances.items()],
    )
    cursor.execute(
        f"UPDATE currencies SET last_seq = {mark}, last_hash = {mark} WHERE id = {mark}",
        (seq, head, currency_id),
    )
