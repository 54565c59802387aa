"""Builders, a movable clock and raw-SQL checks for the spending side's integration tests.

A ``SpendingScene`` is a currency TRK with a funded budget, on which a test makes members (in bulk,
straight into the users table as ``earning_support`` does, each with a funded member account),
shops (a shopkeeper owning a shop account), payment requests, cards and payments, all through the
services. PIN hashing uses real argon2 with the cheapest parameters (``cheap_hashing``).

The clock (``FakeClock``) moves two functions together: ``torekes.kit.clock.now``, from which
expiries, calendar days and attempt windows are read, and ``torekes.db.models.utcnow``, from which
a ledger transaction (and so a payment) takes its time; with only the first moved, a payment would
be stamped with the real time while the day it is counted in comes from the test's clock.

``assert_spending_consistent`` checks with plain SQL, independent of the services' own reads, that
the ledger verifies and that payments, refunds, requests and cards agree with the journal.
``assert_refused`` checks that a refusal raised exactly the expected error and changed nothing
(with ``pins=True``: nothing but the PIN attempt counters).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

import torekes.db.models
import torekes.kit.clock
from tests.integration.earning_support import Member, members, people
from tests.integration.helpers import assert_ledger_consistent
from tests.support import Ledger
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.spending import RequestKind
from torekes.kit import security
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import accounts, currencies, journal
from torekes.ledger.currencies import LimitsCommand
from torekes.ledger.read_models import CurrencyView, TransactionView
from torekes.settings import Settings
from torekes.spending import cards, payment_requests, payments, reversals
from torekes.spending.read_models import CardView, PaymentRequestView, ReceiptView

E = TypeVar("E", bound=BaseException)

# A Wednesday, noon in Brussels: far from midnight in the zone where spending days are counted.
NOON = datetime(2025, 3, 12, 11, 0, tzinfo=UTC)
PIN = "2580"
WRONG_PIN = "1111"
MEMBER_FUNDS = 100


def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2 with the cheapest parameters, as the API tests use: PINs are hashed at every
    card issue and checked at every charge."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


class FakeClock:
    """The service's and the ledger's notion of now, set and moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.moment = start
        monkeypatch.setattr(torekes.kit.clock, "now", self.now)
        monkeypatch.setattr(torekes.db.models, "utcnow", self.now)

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


@dataclass(frozen=True)
class Shop:
    keeper: Principal
    account_id: int


@dataclass
class SpendingScene:
    ledger: Ledger
    settings: Settings
    clock: FakeClock
    currency: CurrencyView
    budget_id: int

    @property
    def db(self) -> Database:
        return self.ledger.db

    @property
    def admin(self) -> Principal:
        return self.ledger.admin.principal

    # --- people and accounts ----------------------------------------------------------------

    def members(self, count: int, funds: int = MEMBER_FUNDS) -> list[Member]:
        """``count`` members, each with a member account in TRK holding ``funds`` (funded from
        the scene's budget in one database transaction)."""
        made = members(self.ledger, count)
        if funds:

            def fund(ctx: WriteContext) -> None:
                for member in made:
                    command = journal.TransferCommand(self.budget_id, member.account_id, funds)
                    journal.transfer(ctx, command)

            write(self.db, self.admin, fund)
        return made

    def member(self, funds: int = MEMBER_FUNDS) -> Member:
        return self.members(1, funds)[0]

    def people(self, role: Role, count: int = 1) -> list[Principal]:
        return people(self.ledger, role, count)

    def shops(self, count: int) -> list[Shop]:
        """``count`` shopkeepers, each keeping one empty shop account."""
        keepers = people(self.ledger, Role.SHOPKEEPER, count)
        return [Shop(keeper, self.account(AccountKind.SHOP, keeper)) for keeper in keepers]

    def shop(self) -> Shop:
        return self.shops(1)[0]

    def account(
        self,
        kind: AccountKind,
        owner: Principal | None,
        currency: str = "TRK",
        funds: int = 0,
    ) -> int:
        command = accounts.AccountCommand(
            currency,
            kind,
            f"{kind.value} of {owner.username if owner else 'nobody'}",
            None if owner is None else owner.user_id,
        )
        made = write(self.db, self.admin, lambda ctx: accounts.open_account(ctx, command))
        if funds:
            self.ledger.transfer(self.budget_id, made.id, funds)
        return made.id

    def set_status(self, account_id: int, action: str) -> None:
        write(self.db, self.admin, lambda ctx: accounts.change_status(ctx, account_id, action))

    def limits(self, max_payment: int | None, daily_limit: int | None) -> CurrencyView:
        return write(
            self.db,
            self.admin,
            lambda ctx: currencies.set_spending_limits(
                ctx, "TRK", LimitsCommand(max_payment, daily_limit)
            ),
        )

    # --- payment requests ---------------------------------------------------------------------

    def request(
        self,
        shop: Shop,
        amount: int | None = 30,
        kind: RequestKind = RequestKind.ONE_OFF,
        lifetime: timedelta | None = None,
        memo: str = "",
    ) -> PaymentRequestView:
        command = payment_requests.RequestCommand(shop.account_id, kind, amount, memo, lifetime)
        return write(
            self.db,
            shop.keeper,
            lambda ctx: payment_requests.create_request(ctx, self.settings, command),
        )

    def standing(self, shop: Shop) -> PaymentRequestView:
        return self.request(shop, None, RequestKind.STANDING)

    def pay(
        self,
        payer: Principal,
        code: str,
        amount: int | None = None,
        account_id: int | None = None,
        db: Database | None = None,
    ) -> ReceiptView:
        command = payment_requests.PayCommand(amount, account_id)
        return write(
            db or self.db,
            payer,
            lambda ctx: payment_requests.pay(ctx, self.settings, code, command),
        )

    def cancel(self, actor: Principal, code: str) -> PaymentRequestView:
        return write(self.db, actor, lambda ctx: payment_requests.cancel(ctx, self.settings, code))

    def paid(self, member: Member, shop: Shop, amount: int = 30) -> ReceiptView:
        """A payment of ``amount`` by ``member`` to ``shop`` through a fresh one-off request."""
        return self.pay(member.principal, self.request(shop, amount).code)

    # --- refunds and reversals ------------------------------------------------------------

    def refund(
        self,
        actor: Principal,
        transaction_id: int,
        amount: int | None = None,
        reason: str = "",
        db: Database | None = None,
    ) -> ReceiptView:
        return write(
            db or self.db,
            actor,
            lambda ctx: payments.refund(ctx, transaction_id, amount, reason),
        )

    def reverse(self, transaction_id: int, db: Database | None = None) -> TransactionView:
        return write(
            db or self.db,
            self.admin,
            lambda ctx: reversals.reverse(ctx, transaction_id, "test correction"),
        )

    # --- cards --------------------------------------------------------------------------------

    def card(self, member_id: int, pin: str = PIN) -> CardView:
        return write(
            self.db, self.admin, lambda ctx: cards.issue_card(ctx, self.settings, member_id, pin)
        )

    def charge(
        self,
        shop: Shop,
        card: str,
        pin: str,
        amount: int = 20,
        db: Database | None = None,
        settings: Settings | None = None,
    ) -> ReceiptView:
        database = db or self.db
        command = cards.ChargeCommand(shop.account_id, card, pin, amount)
        return cards.charge(
            database,
            settings or self.settings,
            shop.keeper,
            command,
            lambda operation: write(database, shop.keeper, operation),
        )

    def block(self, actor: Principal, card_id: int, reason: str = "lost") -> CardView:
        return write(
            self.db, actor, lambda ctx: cards.block_card(ctx, self.settings, card_id, reason)
        )

    def unlock(self, actor: Principal, card_id: int) -> CardView:
        return write(self.db, actor, lambda ctx: cards.unlock_card(ctx, self.settings, card_id))

    def replace(self, card_id: int, pin: str = "97531", reason: str = "lost") -> CardView:
        return write(
            self.db,
            self.admin,
            lambda ctx: cards.replace_card(ctx, self.settings, card_id, pin, reason),
        )

    # --- raw SQL views ------------------------------------------------------------------------

    def balance(self, account_id: int) -> int:
        return int(scalar(self.db, "SELECT balance FROM accounts WHERE id = :a", a=account_id))

    def card_state(self, card_id: int) -> tuple[str, int, bool]:
        """The card's (status, pin_failures, locked) as stored."""
        row = rows(
            self.db,
            "SELECT status, pin_failures, locked_at FROM member_cards WHERE id = :c",
            c=card_id,
        )[0]
        return str(row[0]), int(row[1]), row[2] is not None

    def attempts(self, *, card_id: int | None = None, shop: Shop | None = None) -> Counter[str]:
        """The outcomes of the PIN attempts on a card, or at a shop."""
        if card_id is not None:
            found = rows(self.db, "SELECT outcome FROM pin_attempts WHERE card_id = :c", c=card_id)
        else:
            assert shop is not None
            found = rows(
                self.db,
                "SELECT outcome FROM pin_attempts WHERE shop_account_id = :s",
                s=shop.account_id,
            )
        return Counter(str(row[0]) for row in found)

    def request_row(self, request_id: int) -> tuple[str, int | None]:
        """The request's stored (status, transaction_id)."""
        row = rows(
            self.db,
            "SELECT status, transaction_id FROM payment_requests WHERE id = :r",
            r=request_id,
        )[0]
        return str(row[0]), None if row[1] is None else int(row[1])

    def refunded(self, payment_transaction_id: int) -> int:
        return int(
            scalar(
                self.db,
                "SELECT refunded_amount FROM payments WHERE transaction_id = :t",
                t=payment_transaction_id,
            )
        )

    def count(self, table: str) -> int:
        assert table in SPENDING_TABLES + LEDGER_TABLES
        return int(scalar(self.db, f"SELECT COUNT(*) FROM {table}"))


def make_scene(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch, funding: int = 1_000_000
) -> SpendingScene:
    """Cheap hashing, the clock at ``NOON``, the currency TRK and a budget holding ``funding``."""
    cheap_hashing(monkeypatch)
    clock = FakeClock(monkeypatch, NOON)
    currency = ledger.currency("TRK")
    budget = ledger.budget(funding)
    return SpendingScene(ledger, settings, clock, currency, budget.id)


# --- plain SQL ----------------------------------------------------------------------------------

LEDGER_TABLES = ("transactions", "postings", "accounts", "currencies", "idempotency_records")
SPENDING_TABLES = ("payment_requests", "payments", "refunds", "member_cards", "pin_attempts")
# What a wrong PIN may change: the attempts and the card's counters, nothing else.
CARD_COLUMNS_BESIDES_COUNTERS = (
    "id, member_id, nonce, code_hash, number_digest, number_sealed, number_ending, pin_hash, "
    "status, issued_at, issued_by_id, blocked_at, blocked_by_id, block_reason, replaces_id"
)


def rows(db: Database, query: str, **params: Any) -> list[tuple[Any, ...]]:
    with db.read_engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query), params).all()]


def scalar(db: Database, query: str, **params: Any) -> Any:
    with db.read_engine.connect() as connection:
        return connection.execute(text(query), params).scalar_one()


def snapshot(db: Database, *, pins: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the journal, the accounts and the spending tables; with ``pins`` the PIN
    attempts and the cards' failure counters are left out (a wrong PIN may change those)."""
    taken: dict[str, list[tuple[Any, ...]]] = {}
    for table in LEDGER_TABLES + SPENDING_TABLES:
        if pins and table == "pin_attempts":
            continue
        columns = CARD_COLUMNS_BESIDES_COUNTERS if pins and table == "member_cards" else "*"
        taken[table] = rows(db, f"SELECT {columns} FROM {table} ORDER BY 1")
    return taken


def assert_refused(
    db: Database, error: type[E], action: Callable[[], object], *, pins: bool = False
) -> E:
    """``action`` raises exactly ``error`` and leaves every table as it was (with ``pins``: all
    but the PIN attempts and the cards' failure counters)."""
    before = snapshot(db, pins=pins)
    with pytest.raises(error) as caught:
        action()
    assert type(caught.value) is error, caught.value
    after = snapshot(db, pins=pins)
    changed = [table for table, taken in before.items() if after[table] != taken]
    assert not changed, f"the refusal {caught.value!r} changed {changed}"
    return caught.value


def _meta(value: Any) -> dict[str, Any]:
    found = json.loads(value) if isinstance(value, str) else value
    assert isinstance(found, dict)
    return found


def assert_spending_consistent(db: Database) -> None:
    """The ledger verifies, and payments, refunds, payment requests and cards agree with the
    journal: checked with plain SQL."""
    report = verification.verify(db)
    assert report.ok, report.problems
    for (currency_id,) in rows(db, "SELECT id FROM currencies"):
        assert_ledger_consistent(db, int(currency_id))

    kinds = {int(r[0]): str(r[1]) for r in rows(db, "SELECT id, kind FROM transactions")}
    metadata = {int(r[0]): _meta(r[1]) for r in rows(db, "SELECT id, metadata FROM transactions")}
    reversed_ids = {
        int(r[0])
        for r in rows(db, "SELECT reverses_id FROM transactions WHERE reverses_id IS NOT NULL")
    }
    postings: dict[int, dict[int, int]] = {}
    for tx, account, amount in rows(db, "SELECT transaction_id, account_id, amount FROM postings"):
        postings.setdefault(int(tx), {})[int(account)] = int(amount)
    requests = {
        int(r[0]): (str(r[1]), str(r[2]), None if r[3] is None else int(r[3]))
        for r in rows(db, "SELECT id, kind, status, transaction_id FROM payment_requests")
    }
    payment_rows = rows(
        db,
        "SELECT id, transaction_id, channel, shop_account_id, payer_account_id, amount, "
        "refunded_amount, payment_request_id, card_id FROM payments",
    )
    refund_rows = rows(db, "SELECT id, payment_id, transaction_id, amount FROM refunds")

    by_payment: dict[int, list[tuple[int, int]]] = {}
    payment_tx: dict[int, int] = {}
    for refund_id, payment_id, tx, amount in refund_rows:
        by_payment.setdefault(int(payment_id), []).append((int(tx), int(amount)))
        assert kinds[int(tx)] == "refund", refund_id
    per_request: Counter[int] = Counter()
    for pid, tx, channel, shop, payer, amount, refunded, request_id, card_id in payment_rows:
        pid, tx, amount, refunded = int(pid), int(tx), int(amount), int(refunded)
        payment_tx[pid] = tx
        assert kinds[tx] == "payment", pid
        assert postings[tx] == {int(payer): -amount, int(shop): amount}, pid
        live = sum(a for rtx, a in by_payment.get(pid, []) if rtx not in reversed_ids)
        assert refunded == live, (pid, refunded, live)
        assert 0 <= refunded <= amount
        if tx in reversed_ids:
            assert live == 0, pid  # a payment with refunds is never reversed
        if channel == "card":
            assert card_id is not None, pid
            assert request_id is None, pid
        else:
            assert request_id is not None, pid
            assert card_id is None, pid
            kind = requests[int(request_id)][0]
            assert kind == ("one_off" if channel == "request" else "standing"), pid
            per_request[int(request_id)] += 1
    for refund_id, payment_id, tx, amount in refund_rows:
        shop, payer = rows(
            db,
            "SELECT shop_account_id, payer_account_id FROM payments WHERE id = :p",
            p=payment_id,
        )[0]
        assert postings[int(tx)] == {int(shop): -int(amount), int(payer): int(amount)}, refund_id
        assert metadata[int(tx)]["refund_of"] == payment_tx[int(payment_id)], refund_id
    # The journal's payments and refunds are exactly those recorded.
    assert {tx for tx, kind in kinds.items() if kind == "payment"} == set(payment_tx.values())
    assert {tx for tx, kind in kinds.items() if kind == "refund"} == {
        int(r[2]) for r in refund_rows
    }
    paid_by = {int(r[1]): int(r[7]) for r in payment_rows if r[7] is not None}
    for request_id, (kind, status, tx) in requests.items():
        if kind == "standing":
            assert status != "paid", request_id
            assert tx is None, request_id
            continue
        # A one-off request is paid at most once, and is 'paid' exactly when it was.
        assert per_request[request_id] == (1 if status == "paid" else 0), request_id
        if status == "paid":
            assert tx is not None, request_id
            assert paid_by[tx] == request_id, request_id
    # At most one active card per member; a card stamped locked has five failures; no attempt
    # was left half done.
    active = Counter(
        int(r[0]) for r in rows(db, "SELECT member_id FROM member_cards WHERE status = 'active'")
    )
    assert all(count == 1 for count in active.values()), active
    for card_id, failures, locked_at in rows(
        db, "SELECT id, pin_failures, locked_at FROM member_cards"
    ):
        assert locked_at is None or int(failures) >= 5, card_id
    assert scalar(db, "SELECT COUNT(*) FROM pin_attempts WHERE outcome = 'pending'") == 0
