"""Four eyes on money leaving, in the database and under concurrency: the database refuses a
request's approval by the one who asked for every new kind, a transfer's approval that names no
transaction, and a new administrator's request that names money; real threads approving one
filed redemption payment, transfer or new administrator at once do it exactly once; and two
administrators made at once by the only one cannot both skip the second look."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.integration.conftest import Engines
from tests.integration.threads import run_concurrently, successes, unexpected
from tests.support import Actor, Ledger
from torekes.approvals import four_eyes
from torekes.approvals.four_eyes import ApprovalView
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.identity.users import UserCommand
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger.journal import TransferCommand
from torekes.ledger.read_models import AccountView, CurrencyView
from torekes.redemption import payouts, redemptions

THRESHOLD = Decimal(1000)
SHOP_FUNDS = 10_000
IBAN = "BE71096123456769"
PASSWORD = "a-long-enough-password"

separate_param = pytest.mark.parametrize(
    "separate", [False, True], ids=["one-engine", "engine-per-thread"]
)


@dataclass
class Payouts:
    db: Database
    ledger: Ledger
    shop: AccountView
    keeper: Actor
    budget: AccountView
    admins: list[Actor]

    def as_admin(self, index: int, operation: Callable[[WriteContext], Any]) -> Any:
        return write(self.db, self.admins[index].principal, operation)

    def file(self, operation: Callable[[WriteContext], Any]) -> ApprovalView:
        filed = self.as_admin(0, operation)
        assert isinstance(filed, ApprovalView)
        return filed

    def approved_redemption(self, amount: int) -> int:
        asked = write(
            self.db,
            self.keeper.principal,
            lambda ctx: redemptions.request(ctx, self.shop.id, amount, ""),
        )
        self.as_admin(1, lambda ctx: redemptions.approve(ctx, asked.id))
        return asked.id

    def count(self, sql: str, **params: Any) -> int:
        with self.db.read_engine.connect() as connection:
            return int(connection.execute(text(sql), params).scalar_one())


@pytest.fixture
def book(ledger: Ledger, trk: CurrencyView) -> Payouts:
    budget = ledger.budget(50_000)
    keeper = ledger.user(Role.SHOPKEEPER)
    shop = ledger.account(AccountKind.SHOP, keeper)
    ledger.transfer(budget.id, shop.id, SHOP_FUNDS)
    write(
        ledger.db,
        keeper.principal,
        lambda ctx: payouts.set_payout_details(ctx, shop.id, IBAN, "Bakkerij"),
    )
    admins = [ledger.admin] + [ledger.user(Role.ADMIN) for _ in range(4)]
    return Payouts(ledger.db, ledger, shop, keeper, budget, admins)


def _raw(db: Database, sql: str, **params: Any) -> None:
    with db.write_engine.begin() as connection:
        connection.execute(text(sql), params)


# --- the database's rules -----------------------------------------------------------------------


def test_the_database_refuses_a_self_approved_payout(book: Payouts) -> None:
    redemption_id = book.approved_redemption(2_000)
    filed = book.file(lambda ctx: four_eyes.pay_redemption(ctx, redemption_id, "B-1", THRESHOLD))
    paid = book.as_admin(1, lambda ctx: redemptions.pay(ctx, redemption_id, "B-1"))

    with pytest.raises(IntegrityError, match="four_eyes"):
        _raw(
            book.db,
            "UPDATE approval_requests SET status = 'approved', decided_at = requested_at,"
            " decided_by_id = requested_by_id, transaction_id = :tx WHERE id = :id",
            tx=paid.transaction_id,
            id=filed.id,
        )


def test_the_database_refuses_an_approved_transfer_without_its_transaction(
    book: Payouts,
) -> None:
    command = TransferCommand(book.budget.id, book.shop.id, 5_000)
    filed = book.file(lambda ctx: four_eyes.transfer(ctx, command, THRESHOLD))

    with pytest.raises(IntegrityError, match="approved_posted"):
        _raw(
            book.db,
            "UPDATE approval_requests SET status = 'approved', decided_at = requested_at,"
            " decided_by_id = :other WHERE id = :id",
            other=book.admins[1].id,
            id=filed.id,
        )


def test_the_database_refuses_a_new_administrator_that_names_money(book: Payouts) -> None:
    command = UserCommand("derde", "Derde", Role.ADMIN, PASSWORD)
    filed = book.file(lambda ctx: four_eyes.create_user(ctx, command))

    with pytest.raises(IntegrityError, match="money_named"):
        _raw(book.db, "UPDATE approval_requests SET amount = 5 WHERE id = :id", id=filed.id)


def test_making_an_administrator_directly_is_refused_with_more_than_one(book: Payouts) -> None:
    from torekes.identity import users

    command = UserCommand("derde", "Derde", Role.ADMIN, PASSWORD)
    with pytest.raises(errors.SecondAdminRequired):
        book.as_admin(0, lambda ctx: users.create_user(ctx, command))


# --- concurrency --------------------------------------------------------------------------------


@separate_param
def test_admins_approving_one_redemption_payment_at_once_pay_it_once(
    book: Payouts, engines: Engines, separate: bool
) -> None:
    redemption_id = book.approved_redemption(3_000)
    filed = book.file(lambda ctx: four_eyes.pay_redemption(ctx, redemption_id, "B-2", THRESHOLD))
    databases = engines(separate, 4)
    transactions = book.count("SELECT COUNT(*) FROM transactions")

    outcomes = run_concurrently(
        4,
        lambda i: write(
            databases[i],
            book.admins[i + 1].principal,
            lambda ctx: four_eyes.approve(ctx, filed.id, ""),
        ),
    )

    assert unexpected(outcomes, errors.ApprovalRequestResolved) == []
    [paid] = successes(outcomes)
    assert paid.status == "paid"
    assert book.count("SELECT COUNT(*) FROM transactions") == transactions + 1
    assert (
        book.count(
            "SELECT COUNT(*) FROM approval_requests WHERE id = :id AND status = 'approved'"
            " AND transaction_id = :tx",
            id=filed.id,
            tx=paid.transaction_id,
        )
        == 1
    )
    assert verification.verify(book.db).ok


@separate_param
def test_admins_approving_one_transfer_at_once_move_it_once(
    book: Payouts, engines: Engines, separate: bool
) -> None:
    command = TransferCommand(book.budget.id, book.shop.id, 7_000)
    filed = book.file(lambda ctx: four_eyes.transfer(ctx, command, THRESHOLD))
    databases = engines(separate, 4)

    outcomes = run_concurrently(
        4,
        lambda i: write(
            databases[i],
            book.admins[i + 1].principal,
            lambda ctx: four_eyes.approve(ctx, filed.id, ""),
        ),
    )

    assert unexpected(outcomes, errors.ApprovalRequestResolved) == []
    assert len(successes(outcomes)) == 1
    assert (
        book.count("SELECT balance FROM accounts WHERE id = :id", id=book.shop.id)
        == SHOP_FUNDS + 7_000
    )
    assert verification.verify(book.db).ok


@separate_param
def test_admins_approving_one_new_administrator_at_once_make_one(
    book: Payouts, engines: Engines, separate: bool
) -> None:
    command = UserCommand("derde", "Derde", Role.ADMIN, PASSWORD)
    filed = book.file(lambda ctx: four_eyes.create_user(ctx, command))
    databases = engines(separate, 3)

    outcomes = run_concurrently(
        3,
        lambda i: write(
            databases[i],
            book.admins[i + 1].principal,
            lambda ctx: four_eyes.approve(ctx, filed.id, ""),
        ),
    )

    assert unexpected(outcomes, errors.ApprovalRequestResolved) == []
    assert len(successes(outcomes)) == 1
    assert book.count("SELECT COUNT(*) FROM users WHERE username = 'derde'") == 1


@separate_param
def test_the_only_admin_making_two_at_once_makes_one_and_files_the_other(
    db: Database, ledger: Ledger, engines: Engines, separate: bool
) -> None:
    only: Principal = ledger.admin.principal
    databases = engines(separate, 2)

    outcomes = run_concurrently(
        2,
        lambda i: write(
            databases[i],
            only,
            lambda ctx: four_eyes.create_user(
                ctx, UserCommand(f"nieuw{i}", "Nieuw", Role.ADMIN, PASSWORD)
            ),
        ),
    )

    assert unexpected(outcomes) == []
    done = successes(outcomes)
    assert sorted(type(item).__name__ for item in done) == ["ApprovalView", "UserView"]
    with db.read_engine.connect() as connection:
        admins = connection.execute(
            text("SELECT COUNT(*) FROM users WHERE role = 'admin'")
        ).scalar_one()
    assert admins == 2
