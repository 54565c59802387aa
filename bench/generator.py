"""A ledger of any size, loaded fast, for the growth benchmark, and valid in every way ``verify``
checks.

The people, the currency, its accounts and the shops' standing QR codes are made through the
services, as an installation makes them. The journal is then computed in memory: issuances into
the project budgets, rewards from budgets to members and payments from members to shops (each
with its ``payments`` row, as paying at a standing QR makes them), every transaction with its
sequence number, its place in the hash chain and its postings' running balances. It is written
with the driver in large transactions (``executemany`` on SQLite, ``COPY`` on PostgreSQL) while a
second process computes the next chunk, and the materialised balances and the chain head are set
to where the journal ends.

Only a few people have a login, since hashing a password takes a fifth of a second: one member,
one shopkeeper keeping the busiest shop, an administrator and an auditor. The other member
accounts and shops are opened by the administrator without an owner.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any, Protocol

from sqlalchemy import func, select

from bench.driver_sql import settle, transaction
from bench.server import BENCH_SECRET_KEY
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.entries import Posting, TransactionKind
from torekes.domain.hashing import GENESIS_HASH, ChainedContent, transaction_hash
from torekes.domain.spending import PaymentChannel, RequestKind
from torekes.identity import users
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import accounts, currencies
from torekes.settings import Settings
from torekes.spending import payment_requests

CURRENCY = "TRK"
PASSWORD = "growth-benchmark-password"
# Transactions computed and written per database transaction.
CHUNK = 50_000
# Accounts opened per database transaction while setting up.
OPENING_BATCH = 500
# Time between two transactions; the journal ends at the moment the load starts.
SPACING = timedelta(seconds=20)
REWARDS = (25, 50, 75, 100)
ACTIVITIES = ("garden", "square cleaning", "reading to children", "restaurant")
OPERATOR = Principal(user_id=0, username="operator", role=Role.ADMIN)
ISSUANCE, REWARD, PAYMENT = (
    TransactionKind.ISSUANCE.value,
    TransactionKind.REWARD.value,
    TransactionKind.PAYMENT.value,
)

TRANSACTION_COLUMNS = (
    "id, currency_id, seq, kind, memo, metadata, actor_id, created_at, idempotency_key, "
    "reverses_id, prev_hash, hash"
)
POSTING_COLUMNS = "id, transaction_id, account_id, seq, amount, balance_after"
PAYMENT_COLUMNS = (
    "id, transaction_id, channel, shop_account_id, payer_account_id, amount, refunded_amount, "
    "payment_request_id, card_id, created_at"
)
JOURNAL_TABLES = (
    ("transactions", TRANSACTION_COLUMNS),
    ("postings", POSTING_COLUMNS),
    ("payments", PAYMENT_COLUMNS),
)


@dataclass(frozen=True, slots=True)
class Shape:
    """What the ledger holds besides its size."""

    members: int = 3000
    shops: int = 10
    budgets: int = 8
    # The share of transactions after the issuances that are payments (the rest are rewards),
    # and the share of payments that go to the busiest shop.
    payment_share: float = 0.45
    busy_shop_share: float = 0.3
    seed: int = 20_101


@dataclass(frozen=True, slots=True)
class Person:
    principal: Principal
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True, slots=True)
class Cast:
    """Who and what the services set up before the journal is loaded. The first member account
    is the member's, the first shop the shopkeeper's and the busiest."""

    currency_id: int
    admin: Person
    auditor: Person
    member: Person
    shopkeeper: Person
    issuance: int
    budgets: tuple[int, ...]
    members: tuple[int, ...]
    shops: tuple[int, ...]
    standing_requests: dict[int, int]


@dataclass(frozen=True, slots=True)
class LoadedLedger:
    url: str
    currency: str
    transactions: int
    cast: Cast
    seconds: float

    @property
    def member_account(self) -> int:
        return self.cast.members[0]

    @property
    def busy_account(self) -> int:
        return self.cast.shops[0]


def settings_for(url: str) -> Settings:
    """Settings whose tokens the benchmark's server accepts."""
    return Settings(database_url=url, secret_key=BENCH_SECRET_KEY)


def load(url: str, transactions: int, shape: Shape | None = None) -> LoadedLedger:
    """Set up a currency with its people and accounts in the fresh database at ``url`` and load
    a journal of ``transactions`` transactions into it; ``seconds`` is the whole load's time."""
    shape = shape or Shape()
    if transactions < shape.budgets:
        raise ValueError(f"at least {shape.budgets} transactions: one issuance per budget")
    started = time.perf_counter()
    database = Database(url)
    try:
        cast = _set_up(database, settings_for(url), shape)
        first_ids = _next_ids(database)
        with _sink(database) as sink:
            end = _write_computed(sink, cast, shape, transactions, first_ids, database.is_sqlite)
            sink.finish(cast.currency_id, end.balances, end.seq, end.head)
    finally:
        database.dispose()
    return LoadedLedger(url, CURRENCY, transactions, cast, time.perf_counter() - started)


def _set_up(database: Database, settings: Settings, shape: Shape) -> Cast:
    admin = _person(database, settings, Role.ADMIN)
    member = _person(database, settings, Role.MEMBER)
    shopkeeper = _person(database, settings, Role.SHOPKEEPER)
    command = currencies.CurrencyCommand(CURRENCY, "Torekes", 0, Decimal("0.10"))
    currency = write(
        database, admin.principal, lambda ctx: currencies.create_currency(ctx, command)
    )

    def opening(kind: AccountKind, count: int, first_owner: Person | None) -> list[int]:
        owners: list[Person | None] = [first_owner, *[None] * (count - 1)]
        commands = [
            accounts.AccountCommand(
                CURRENCY,
                kind,
                f"{kind.value} {n}",
                None if owner is None else owner.principal.user_id,
            )
            for n, owner in enumerate(owners)
        ]
        opened: list[int] = []
        for start in range(0, count, OPENING_BATCH):
            opened += write(database, admin.principal, _opener(commands[start:][:OPENING_BATCH]))
        return opened

    budgets = opening(AccountKind.BUDGET, shape.budgets, None)
    members = opening(AccountKind.MEMBER, shape.members, member)
    shops = opening(AccountKind.SHOP, shape.shops, shopkeeper)
    standing = {
        shop: write(database, admin.principal, _standing_request(settings, shop)) for shop in shops
    }
    with database.read_session() as session:
        issuance = session.scalar(
            select(m.Account.id).where(
                m.Account.currency_id == currency.id, m.Account.kind == AccountKind.ISSUANCE
            )
        )
    assert issuance is not None
    return Cast(
        currency_id=currency.id,
        admin=admin,
        auditor=_person(database, settings, Role.AUDITOR),
        member=member,
        shopkeeper=shopkeeper,
        issuance=issuance,
        budgets=tuple(budgets),
        members=tuple(members),
        shops=tuple(shops),
        standing_requests=standing,
    )


def _person(database: Database, settings: Settings, role: Role) -> Person:
    command = users.UserCommand(f"growth-{role.value}", f"Growth {role.value}", role, PASSWORD)
    issued = write(
        database,
        OPERATOR,
        lambda ctx: users.issue_token(ctx, settings, users.add_user(ctx, command).id),
    )
    return Person(Principal(issued.user.id, command.username, role), issued.access_token)


def _opener(commands: list[accounts.AccountCommand]) -> Callable[[WriteContext], list[int]]:
    return lambda ctx: [accounts.open_account(ctx, command).id for command in commands]


def _standing_request(settings: Settings, shop: int) -> Callable[[WriteContext], int]:
    command = payment_requests.RequestCommand(shop, RequestKind.STANDING, memo="Till")
    return lambda ctx: payment_requests.create_request(ctx, settings, command).id


def _next_ids(database: Database) -> dict[str, int]:
    """The first free id of each journal table, which the load fills from there on."""
    with database.read_session() as session:
        return {
            model.__tablename__: (session.scalar(select(func.max(model.id))) or 0) + 1
            for model in (m.Transaction, m.Posting, m.Payment)
        }


@dataclass(slots=True)
class Rows:
    """One database transaction's worth of journal rows, in the column order above."""

    transactions: list[tuple[Any, ...]] = field(default_factory=list)
    postings: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)

    def of(self, table: str) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = getattr(self, table)
        return rows


@dataclass(frozen=True, slots=True)
class _End:
    """Where the journal ends: every account's balance and the chain head."""

    balances: dict[int, int]
    seq: int
    head: str


def _compute(
    sender: Connection,
    cast: Cast,
    shape: Shape,
    total: int,
    first_ids: dict[str, int],
    sqlite: bool,
) -> None:
    """The journal, sent a chunk at a time; run in a process of its own."""
    journal = _Journal(cast, shape, total, first_ids, _sqlite_stamp if sqlite else _moment)
    for rows in journal.chunks(CHUNK):
        sender.send(rows)
    sender.send(_End(dict(journal.balances), journal.seq, journal.prev_hash))
    sender.close()


def _write_computed(
    sink: _Sink, cast: Cast, shape: Shape, total: int, first_ids: dict[str, int], sqlite: bool
) -> _End:
    """Compute the journal in a second process while this one writes it: hashing and writing
    each take about as long, and neither can leave Python's lock for long enough for a thread
    to share the work."""
    # Forked rather than spawned: the child needs nothing but the arguments, and a spawned one
    # would import the caller's main module again.
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_compute, args=(sender, cast, shape, total, first_ids, sqlite), daemon=True
    )
    process.start()
    sender.close()
    try:
        while not isinstance(item := receiver.recv(), _End):
            sink.write(item)
    finally:
        # Closed first, so that a child still sending, after a failure here, stops at once.
        receiver.close()
        process.join(timeout=60)
    if process.exitcode != 0:
        raise RuntimeError(f"computing the journal failed with exit code {process.exitcode}")
    return item


def _sqlite_stamp(moment: datetime) -> object:
    """How the models store a moment in SQLite: UTC, without a zone, to the microsecond."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _moment(moment: datetime) -> object:
    return moment


class _Journal:
    """The journal as the services would have written it, computed a chunk at a time."""

    def __init__(
        self,
        cast: Cast,
        shape: Shape,
        total: int,
        first_ids: Mapping[str, int],
        stamp: Callable[[datetime], object],
    ) -> None:
        self.cast, self.shape, self.total, self.stamp = cast, shape, total, stamp
        self.random = random.Random(shape.seed)
        self.ids = dict(first_ids)
        self.balances: dict[int, int] = defaultdict(int)
        self.seq, self.prev_hash = 0, GENESIS_HASH
        self.start = datetime.now(UTC) - SPACING * total
        # Enough for every transaction to be the largest reward, so no budget ever runs dry.
        self.funding = total * REWARDS[-1] // shape.budgets + REWARDS[-1]
        self.shop_memos = {shop: f"Payment to shop {n}" for n, shop in enumerate(cast.shops)}
        self.shop_metadata = {
            shop: {"channel": PaymentChannel.STANDING.value, "payment_request_id": request}
            for shop, request in cast.standing_requests.items()
        }
        # Stored as the models store it (json.dumps); few distinct values, so encoded once.
        self.shop_json = {shop: json.dumps(meta) for shop, meta in self.shop_metadata.items()}

    def chunks(self, size: int) -> Iterator[Rows]:
        while self.seq < self.total:
            rows = Rows()
            for _ in range(min(size, self.total - self.seq)):
                self._next(rows)
            yield rows

    def _next(self, rows: Rows) -> None:
        cast, pick = self.cast, self.random
        issued = self.seq
        if issued < len(cast.budgets):
            budget = cast.budgets[issued]
            memo = "Funding of the project budget"
            self._post(rows, ISSUANCE, memo, {}, cast.issuance, budget, self.funding)
            return
        member = pick.choice(cast.members)
        amount = pick.randint(5, 60)
        if pick.random() < self.shape.payment_share and self.balances[member] >= amount:
            busy = pick.random() < self.shape.busy_shop_share
            shop = cast.shops[0] if busy else pick.choice(cast.shops)
            memo, metadata = self.shop_memos[shop], self.shop_metadata[shop]
            transaction_id = self._post(rows, PAYMENT, memo, metadata, member, shop, amount)
            rows.payments.append(
                (
                    self._take("payments"),
                    transaction_id,
                    PaymentChannel.STANDING.value,
                    shop,
                    member,
                    amount,
                    0,
                    cast.standing_requests[shop],
                    None,
                    rows.transactions[-1][7],
                )
            )
            return
        budget = pick.choice(cast.budgets)
        memo = f"Reward: {ACTIVITIES[issued % len(ACTIVITIES)]}"
        self._post(rows, REWARD, memo, {}, budget, member, pick.choice(REWARDS))

    def _post(
        self,
        rows: Rows,
        kind: str,
        memo: str,
        metadata: Mapping[str, Any],
        source: int,
        target: int,
        amount: int,
    ) -> int:
        """Append a transfer of ``amount`` from ``source`` to ``target``; returns its id."""
        cast = self.cast
        self.seq += 1
        seq, moment = self.seq, self.start + SPACING * self.seq
        actor = cast.admin.principal.user_id
        if kind == PAYMENT and source == cast.members[0]:
            actor = cast.member.principal.user_id
        postings = (Posting(source, -amount), Posting(target, amount))
        content = ChainedContent(
            CURRENCY, seq, kind, memo, metadata, actor, moment, None, None, postings
        )
        digest = transaction_hash(content, self.prev_hash)
        transaction_id = self._take("transactions")
        stored = self.shop_json[target] if metadata else "{}"
        rows.transactions.append(
            (
                transaction_id,
                cast.currency_id,
                seq,
                kind,
                memo,
                stored,
                actor,
                self.stamp(moment),
                None,
                None,
                self.prev_hash,
                digest,
            )
        )
        self.prev_hash = digest
        balances = self.balances
        balances[source] -= amount
        balances[target] += amount
        rows.postings.append(
            (self._take("postings"), transaction_id, source, seq, -amount, balances[source])
        )
        rows.postings.append(
            (self._take("postings"), transaction_id, target, seq, amount, balances[target])
        )
        return transaction_id

    def _take(self, table: str) -> int:
        taken = self.ids[table]
        self.ids[table] = taken + 1
        return taken


class _Sink(Protocol):
    def write(self, rows: Rows) -> None: ...

    def finish(
        self, currency_id: int, balances: Mapping[int, int], seq: int, head: str
    ) -> None: ...


@contextmanager
def _sink(database: Database) -> Iterator[_Sink]:
    """The driver's own connection, past the ORM, with the engine's settings (SQLite's foreign
    keys and WAL) in force."""
    pooled = database.write_engine.raw_connection()
    try:
        connection = pooled.driver_connection
        yield _SqliteSink(connection) if database.is_sqlite else _PostgresSink(connection)
    finally:
        pooled.close()


class _SqliteSink:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def write(self, rows: Rows) -> None:
        with transaction(self.connection, sqlite=True) as cursor:
            for table, columns in JOURNAL_TABLES:
                marks = ", ".join("?" * (columns.count(",") + 1))
                statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
                cursor.executemany(statement, rows.of(table))

    def finish(self, currency_id: int, balances: Mapping[int, int], seq: int, head: str) -> None:
        with transaction(self.connection, sqlite=True) as cursor:
            settle(cursor, "?", currency_id, balances, seq, head)


class _PostgresSink:
    """``COPY`` into the journal tables. Their foreign keys are checked once, when they are put
    back after the load, rather than row by row (which takes more than half the load's time);
    adding a foreign key checks every row, so the load is held to them all the same."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                ([table for table, _columns in JOURNAL_TABLES],),
            )
            self.foreign_keys: list[tuple[str, str, str]] = cursor.fetchall()
            for table, name, _definition in self.foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        connection.commit()

    def write(self, rows: Rows) -> None:
        with self.connection.cursor() as cursor:
            for table, columns in JOURNAL_TABLES:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows.of(table):
                        copy.write_row(row)
        self.connection.commit()

    def finish(self, currency_id: int, balances: Mapping[int, int], seq: int, head: str) -> None:
        with self.connection.cursor() as cursor:
            for table, name, definition in self.foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            settle(cursor, "%s", currency_id, balances, seq, head)
            # The rows came with their ids, so the tables' own counters must move past them.
            for table, _columns in JOURNAL_TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        self.connection.commit()
        # Autovacuum would do this soon after such a load; the reads are measured after it.
        self.connection.autocommit = True
        try:
            with self.connection.cursor() as cursor:
                for table, _columns in JOURNAL_TABLES:
                    cursor.execute(f"VACUUM ANALYZE {table}")
        finally:
            self.connection.autocommit = False
