"""Redemption through the services on the real database: who may redeem, payout details and
IBANs, the hold, the euro rate fixed at approval, each step once, what paying posts, the audit
trail, and that every refusal changes nothing.

A ``RedemptionScene`` builds on the spending side's scene (TRK at EUR 0.10, a funded budget, the
movable clock): shops and partners with funds and payout details, redemptions asked, approved,
paid and rejected through the services. ``assert_redemption_consistent`` checks with plain SQL,
after every test, that the ledger verifies, that issued = in circulation + redeemed, that every
redemption's hold and transaction agree with its status, and that held amounts are the pending
holds. The concurrency tests (``test_redemption_concurrency``) use the same scene.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import pytest

from tests.integration.spending_support import (
    Shop,
    SpendingScene,
    make_scene,
    rows,
    scalar,
)
from tests.support import Ledger
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.redemption import euro_cents, normalise_iban
from torekes.kit.unit_of_work import write
from torekes.ledger import journal
from torekes.ledger.read_models import TransactionView
from torekes.redemption import payouts, rates, redemptions
from torekes.redemption.read_models import PayoutView, RateView, RedemptionView
from torekes.settings import Settings

E = TypeVar("E", bound=BaseException)

IBAN = "BE71 0961 2345 6769"
IBAN_NORMAL = "BE71096123456769"
SHOP_FUNDS = 100
REDEMPTION_TABLES = (
    "transactions",
    "postings",
    "accounts",
    "currencies",
    "holds",
    "redemptions",
    "currency_rates",
    "audit_events",
    "idempotency_records",
)


@dataclass
class RedemptionScene:
    base: SpendingScene

    @property
    def db(self) -> Database:
        return self.base.db

    @property
    def ledger(self) -> Ledger:
        return self.base.ledger

    @property
    def admin(self) -> Principal:
        return self.base.admin

    def tick(self) -> None:
        """Move the clock on a minute (rates are unique per currency and moment)."""
        self.base.clock.advance(timedelta(minutes=1))

    # --- accounts ---------------------------------------------------------------------------

    def shop(self, funds: int = SHOP_FUNDS, payout: bool = True, currency: str = "TRK") -> Shop:
        keeper = self.base.people(Role.SHOPKEEPER)[0]
        account_id = self.base.account(AccountKind.SHOP, keeper, currency)
        if funds:
            self.ledger.transfer(self.budget_of(currency), account_id, funds)
        if payout:
            self.payout(keeper, account_id)
        return Shop(keeper, account_id)

    def partner(self, redeemable: bool, funds: int = SHOP_FUNDS) -> Shop:
        keeper = self.base.people(Role.SHOPKEEPER)[0]
        account_id = self.base.account(AccountKind.PARTNER, keeper, funds=funds)
        self.payout(keeper, account_id)
        if redeemable:
            self.set_redeemable(self.admin, account_id, True)
        return Shop(keeper, account_id)

    def budget_of(self, currency: str) -> int:
        if currency == "TRK":
            return self.base.budget_id
        return int(
            scalar(
                self.db,
                "SELECT a.id FROM accounts a JOIN currencies c ON c.id = a.currency_id "
                "WHERE a.kind = 'budget' AND c.code = :c ORDER BY a.id LIMIT 1",
                c=currency,
            )
        )

    def payout(
        self, actor: Principal, account_id: int, iban: str = IBAN, name: str = "Bakkerij"
    ) -> PayoutView:
        return write(
            self.db,
            actor,
            lambda ctx: payouts.set_payout_details(ctx, account_id, iban, name),
        )

    def set_redeemable(self, actor: Principal, account_id: int, value: bool) -> PayoutView:
        return write(self.db, actor, lambda ctx: payouts.set_redeemable(ctx, account_id, value))

    def set_rate(self, rate: str, actor: Principal | None = None, code: str = "TRK") -> RateView:
        return write(
            self.db, actor or self.admin, lambda ctx: rates.set_rate(ctx, code, Decimal(rate))
        )

    # --- redemptions ------------------------------------------------------------------------

    def request(
        self, actor: Principal, account_id: int, amount: int = 30, db: Database | None = None
    ) -> RedemptionView:
        return write(
            db or self.db,
            actor,
            lambda ctx: redemptions.request(ctx, account_id, amount, "monthly"),
        )

    def approve(
        self, redemption_id: int, actor: Principal | None = None, db: Database | None = None
    ) -> RedemptionView:
        return write(
            db or self.db, actor or self.admin, lambda ctx: redemptions.approve(ctx, redemption_id)
        )

    def pay(
        self,
        redemption_id: int,
        actor: Principal | None = None,
        db: Database | None = None,
        reference: str = "SEPA-1",
    ) -> RedemptionView:
        return write(
            db or self.db,
            actor or self.admin,
            lambda ctx: redemptions.pay(ctx, redemption_id, reference),
        )

    def reject(
        self, redemption_id: int, actor: Principal | None = None, db: Database | None = None
    ) -> RedemptionView:
        return write(
            db or self.db,
            actor or self.admin,
            lambda ctx: redemptions.reject(ctx, redemption_id, "not this month"),
        )

    def spend(
        self, shop: Shop, target: int, amount: int, db: Database | None = None
    ) -> TransactionView:
        """The keeper pays ``amount`` out of the shop to ``target``."""
        command = journal.TransferCommand(shop.account_id, target, amount, "supplies")
        return write(db or self.db, shop.keeper, lambda ctx: journal.transfer(ctx, command))

    # --- plain SQL --------------------------------------------------------------------------

    def money(self, account_id: int) -> tuple[int, int]:
        """The account's stored (balance, held)."""
        row = rows(self.db, "SELECT balance, held FROM accounts WHERE id = :a", a=account_id)[0]
        return int(row[0]), int(row[1])

    def redeemed(self, currency: str = "TRK") -> int:
        return int(
            scalar(
                self.db,
                "SELECT a.balance FROM accounts a JOIN currencies c ON c.id = a.currency_id "
                "WHERE a.kind = 'redemption' AND c.code = :c",
                c=currency,
            )
        )

    def row(self, redemption_id: int) -> dict[str, Any]:
        found = rows(
            self.db,
            "SELECT r.status, r.euro_cents, r.rate, r.transaction_id, h.status "
            "FROM redemptions r JOIN holds h ON h.id = r.hold_id WHERE r.id = :r",
            r=redemption_id,
        )[0]
        return {
            "status": str(found[0]),
            "euro_cents": None if found[1] is None else int(found[1]),
            "rate": None if found[2] is None else Decimal(str(found[2])),
            "transaction_id": None if found[3] is None else int(found[3]),
            "hold": str(found[4]),
        }

    def redemption_transactions(self) -> list[tuple[int, dict[str, Any]]]:
        return [
            (int(r[0]), _meta(r[1]))
            for r in rows(
                self.db, "SELECT id, metadata FROM transactions WHERE kind = 'redemption'"
            )
        ]

    def events(self, action: str) -> list[tuple[int | None, str]]:
        """(actor_id, subject_id) of each audit event with ``action``, oldest first."""
        return [
            (None if r[0] is None else int(r[0]), str(r[1]))
            for r in rows(
                self.db,
                "SELECT actor_id, subject_id FROM audit_events WHERE action = :a ORDER BY id",
                a=action,
            )
        ]


def _meta(value: Any) -> dict[str, Any]:
    found = json.loads(value) if isinstance(value, str) else value
    assert isinstance(found, dict)
    return found


def table_snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {table: rows(db, f"SELECT * FROM {table} ORDER BY 1") for table in REDEMPTION_TABLES}


def assert_refused(db: Database, error: type[E], action: Callable[[], object]) -> E:
    """``action`` raises exactly ``error`` and leaves every table as it was."""
    before = table_snapshot(db)
    with pytest.raises(error) as caught:
        action()
    assert type(caught.value) is error, caught.value
    after = table_snapshot(db)
    changed = [table for table, taken in before.items() if after[table] != taken]
    assert not changed, f"the refusal {caught.value!r} changed {changed}"
    return caught.value


def assert_redemption_consistent(db: Database) -> None:
    """The ledger verifies; per currency issued = in circulation + redeemed; held amounts are
    the pending holds; each redemption's hold and transaction agree with its status."""
    report = verification.verify(db)
    assert report.ok, report.problems
    for (currency_id,) in rows(db, "SELECT id FROM currencies"):
        by_kind: dict[str, int] = {}
        for kind, total in rows(
            db,
            "SELECT kind, COALESCE(SUM(balance), 0) FROM accounts WHERE currency_id = :c "
            "GROUP BY kind",
            c=currency_id,
        ):
            by_kind[str(kind)] = int(total)
        issued = -by_kind.get("issuance", 0)
        redeemed = by_kind.get("redemption", 0)
        circulating = sum(v for k, v in by_kind.items() if k not in ("issuance", "redemption"))
        assert issued == circulating + redeemed, (currency_id, by_kind)
        paid = scalar(
            db,
            "SELECT COALESCE(SUM(amount), 0) FROM redemptions "
            "WHERE currency_id = :c AND status = 'paid'",
            c=currency_id,
        )
        assert redeemed == int(paid), (currency_id, redeemed, paid)
    for account_id, held in rows(db, "SELECT id, held FROM accounts"):
        pending = scalar(
            db,
            "SELECT COALESCE(SUM(amount), 0) FROM holds WHERE account_id = :a "
            "AND status = 'pending'",
            a=account_id,
        )
        assert int(held) == int(pending), account_id
        assert int(held) >= 0
    expected_hold = {
        "requested": "pending",
        "approved": "pending",
        "paid": "posted",
        "rejected": "released",
    }
    redemption_account = {
        int(r[0]): int(r[1])
        for r in rows(db, "SELECT currency_id, id FROM accounts WHERE kind = 'redemption'")
    }
    paid_transactions: set[int] = set()
    for rid, account_id, currency_id, amount, status, tx, hold_status, hold_tx, hold_amount in rows(
        db,
        "SELECT r.id, r.account_id, r.currency_id, r.amount, r.status, r.transaction_id, "
        "h.status, h.transaction_id, h.amount FROM redemptions r JOIN holds h ON h.id = r.hold_id",
    ):
        assert hold_status == expected_hold[str(status)], rid
        assert int(hold_amount) == int(amount), rid
        if status == "paid":
            assert tx is not None, rid
            assert int(hold_tx) == int(tx), rid
            paid_transactions.add(int(tx))
            postings = {
                int(r[0]): int(r[1])
                for r in rows(
                    db, "SELECT account_id, amount FROM postings WHERE transaction_id = :t", t=tx
                )
            }
            assert postings == {
                int(account_id): -int(amount),
                redemption_account[int(currency_id)]: int(amount),
            }, rid
        else:
            assert tx is None, rid
    journal = {int(r[0]) for r in rows(db, "SELECT id FROM transactions WHERE kind = 'redemption'")}
    assert journal == paid_transactions


def open_scene(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> RedemptionScene:
    made = RedemptionScene(make_scene(ledger, settings, monkeypatch))
    made.tick()
    return made


@pytest.fixture
def scene(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RedemptionScene]:
    made = open_scene(ledger, settings, monkeypatch)
    yield made
    assert_redemption_consistent(made.db)


# --- who may redeem --------------------------------------------------------------------------


def test_a_shop_redeems_and_its_hold_drops_available_at_once(scene: RedemptionScene) -> None:
    shop = scene.shop()
    asked = scene.request(shop.keeper, shop.account_id, 40)
    assert asked.status == "requested"
    assert asked.requested_by_id == shop.keeper.user_id
    assert scene.money(shop.account_id) == (SHOP_FUNDS, 40)
    assert scene.row(asked.id)["hold"] == "pending"


def test_an_admin_may_ask_for_a_shop(scene: RedemptionScene) -> None:
    shop = scene.shop()
    asked = scene.request(scene.admin, shop.account_id, 10)
    assert asked.requested_by_id == scene.admin.user_id
    assert scene.money(shop.account_id) == (SHOP_FUNDS, 10)


def test_members_budgets_and_unmarked_partners_never_redeem(scene: RedemptionScene) -> None:
    member = scene.base.member()
    partner = scene.partner(redeemable=False)
    assert_refused(
        scene.db,
        errors.AccountNotRedeemable,
        lambda: scene.request(member.principal, member.account_id, 10),
    )
    assert_refused(
        scene.db,
        errors.AccountNotRedeemable,
        lambda: scene.request(scene.admin, scene.base.budget_id, 10),
    )
    assert_refused(
        scene.db,
        errors.AccountNotRedeemable,
        lambda: scene.request(partner.keeper, partner.account_id, 10),
    )
    # A member account cannot even be given payout details.
    assert_refused(
        scene.db,
        errors.AccountNotRedeemable,
        lambda: scene.payout(member.principal, member.account_id),
    )


def test_a_partner_redeems_once_marked_and_no_longer_once_unmarked(
    scene: RedemptionScene,
) -> None:
    partner = scene.partner(redeemable=True)
    asked = scene.request(partner.keeper, partner.account_id, 20)
    assert scene.money(partner.account_id) == (SHOP_FUNDS, 20)
    scene.set_redeemable(scene.admin, partner.account_id, False)
    assert_refused(
        scene.db,
        errors.AccountNotRedeemable,
        lambda: scene.request(partner.keeper, partner.account_id, 20),
    )
    scene.pay(scene.approve(asked.id).id)
    assert scene.money(partner.account_id) == (SHOP_FUNDS - 20, 0)


@pytest.mark.parametrize("kind", [AccountKind.SHOP, AccountKind.MEMBER, AccountKind.BUDGET])
def test_only_partners_are_marked_redeemable(scene: RedemptionScene, kind: AccountKind) -> None:
    account_id = scene.base.account(kind, None)
    for value in (True, False):
        assert_refused(
            scene.db,
            errors.AccountKindNotAllowed,
            partial(scene.set_redeemable, scene.admin, account_id, value),
        )


def test_only_admins_mark_partners(scene: RedemptionScene) -> None:
    partner = scene.partner(redeemable=False)
    for role in (Role.SHOPKEEPER, Role.AUDITOR, Role.MEMBER, Role.COORDINATOR):
        actor = scene.base.people(role)[0]
        assert_refused(
            scene.db,
            errors.RoleNotAllowed,
            partial(scene.set_redeemable, actor, partner.account_id, True),
        )
    assert_refused(
        scene.db,
        errors.RoleNotAllowed,
        lambda: scene.set_redeemable(partner.keeper, partner.account_id, True),
    )


def test_payout_details_are_required(scene: RedemptionScene) -> None:
    shop = scene.shop(payout=False)
    assert_refused(
        scene.db,
        errors.PayoutDetailsMissing,
        lambda: scene.request(shop.keeper, shop.account_id, 10),
    )
    scene.payout(shop.keeper, shop.account_id)
    scene.request(shop.keeper, shop.account_id, 10)


def test_a_stranger_may_not_ask_or_set_payout_details(scene: RedemptionScene) -> None:
    shop = scene.shop()
    other = scene.shop()
    for actor in (other.keeper, scene.base.people(Role.AUDITOR)[0]):
        assert_refused(
            scene.db,
            errors.NotAccountOwner,
            partial(scene.request, actor, shop.account_id, 10),
        )
        assert_refused(
            scene.db,
            errors.NotAccountOwner,
            partial(scene.payout, actor, shop.account_id, "GB82 WEST 1234 5698 7654 32"),
        )


def test_an_unknown_account_or_redemption_is_not_found(scene: RedemptionScene) -> None:
    assert_refused(scene.db, errors.AccountNotFound, lambda: scene.request(scene.admin, 99_999))
    assert_refused(scene.db, errors.RedemptionNotFound, lambda: scene.approve(99_999))
    assert_refused(scene.db, errors.RedemptionNotFound, lambda: scene.pay(99_999))
    assert_refused(scene.db, errors.RedemptionNotFound, lambda: scene.reject(99_999))


@pytest.mark.parametrize("amount", [0, -5, 2**62])
def test_an_invalid_amount_is_refused(scene: RedemptionScene, amount: int) -> None:
    shop = scene.shop()
    assert_refused(
        scene.db,
        errors.InvalidAmount,
        lambda: scene.request(shop.keeper, shop.account_id, amount),
    )


# --- IBANs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("BE71 0961 2345 6769", "BE71096123456769"),
        ("be71096123456769", "BE71096123456769"),
        ("  gb82 west 1234 5698 7654 32 ", "GB82WEST12345698765432"),
        ("DE89\t3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("nl91abna0417164300", "NL91ABNA0417164300"),
    ],
)
def test_ibans_are_normalised(scene: RedemptionScene, typed: str, stored: str) -> None:
    shop = scene.shop(payout=False)
    view = scene.payout(shop.keeper, shop.account_id, typed, "Bakkerij Rabot")
    assert (view.iban, view.payout_name, view.redeemable) == (stored, "Bakkerij Rabot", True)
    assert scalar(scene.db, "SELECT iban FROM accounts WHERE id = :a", a=shop.account_id) == stored
    assert normalise_iban(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "BE72 0961 2345 6769",  # check digits off by one
        "BE71 0961 2345 6768",  # a digit of the account changed
        "GB82 WEST 1234 5698 7654 33",
        "BE7A 0961 2345 6769",  # letters where the check digits go
        "1271 0961 2345 6769",  # no country code
        "BE71 0961",  # too short
        "BE71 0961 2345 6769 0000 0000 0000 0000 0000",  # too long
        "BE71-0961-2345-6769",
        "",
    ],
)
def test_invalid_ibans_are_refused(scene: RedemptionScene, typed: str) -> None:
    shop = scene.shop()  # already has valid details, which must stay
    assert_refused(
        scene.db, errors.InvalidIban, lambda: scene.payout(shop.keeper, shop.account_id, typed)
    )
    with pytest.raises(errors.InvalidIban):
        normalise_iban(typed)


# --- the hold -----------------------------------------------------------------------------------


def test_more_than_available_is_refused(scene: RedemptionScene) -> None:
    shop = scene.shop()
    assert_refused(
        scene.db,
        errors.InsufficientFunds,
        lambda: scene.request(shop.keeper, shop.account_id, SHOP_FUNDS + 1),
    )
    scene.request(shop.keeper, shop.account_id, 70)
    assert_refused(
        scene.db,
        errors.InsufficientFunds,
        lambda: scene.request(shop.keeper, shop.account_id, 31),
    )
    scene.request(shop.keeper, shop.account_id, 30)
    assert scene.money(shop.account_id) == (SHOP_FUNDS, SHOP_FUNDS)


def test_held_tokens_cannot_be_spent_meanwhile(scene: RedemptionScene) -> None:
    shop = scene.shop()
    member = scene.base.member(funds=0)
    asked = scene.request(shop.keeper, shop.account_id, 80)
    assert_refused(
        scene.db,
        errors.InsufficientFunds,
        lambda: scene.spend(shop, member.account_id, 21),
    )
    scene.spend(shop, member.account_id, 20)
    assert scene.money(shop.account_id) == (80, 80)
    scene.pay(scene.approve(asked.id).id)
    assert scene.money(shop.account_id) == (0, 0)
    assert scene.redeemed() == 80


def test_rejecting_releases_the_hold(scene: RedemptionScene) -> None:
    shop = scene.shop()
    member = scene.base.member(funds=0)
    asked = scene.request(shop.keeper, shop.account_id, 100)
    rejected = scene.reject(asked.id)
    assert rejected.status == "rejected"
    assert rejected.reject_reason == "not this month"
    assert rejected.rejected_by_id == scene.admin.user_id
    assert scene.money(shop.account_id) == (SHOP_FUNDS, 0)
    assert scene.row(asked.id)["hold"] == "released"
    scene.spend(shop, member.account_id, SHOP_FUNDS)
    assert scene.redemption_transactions() == []


def test_rejecting_an_approved_redemption_releases_the_hold(scene: RedemptionScene) -> None:
    shop = scene.shop()
    asked = scene.request(shop.keeper, shop.account_id, 60)
    scene.approve(asked.id)
    scene.reject(asked.id)
    assert scene.money(shop.account_id) == (SHOP_FUNDS, 0)
    assert scene.row(asked.id)["hold"] == "released"


# --- the rate -------------------------------------------------------------------------------


def test_approval_fixes_the_rate_in_force_then(scene: RedemptionScene) -> None:
    shop = scene.shop()
    asked = scene.request(shop.keeper, shop.account_id, 60)
    assert asked.rate is None
    assert asked.euro_cents is None
    scene.tick()
    approved = scene.approve(asked.id)
    assert approved.rate == Decimal("0.1")
    assert approved.euro_cents == 600
    scene.tick()
    scene.set_rate("0.25")
    scene.tick()
    paid = scene.pay(asked.id)
    assert (paid.euro_cents, paid.rate) == (600, Decimal("0.1"))
    assert scene.row(asked.id)["euro_cents"] == 600
    [(_, metadata)] = scene.redemption_transactions()
    assert metadata["euro_cents"] == 600
    assert Decimal(metadata["rate"]) == Decimal("0.1")


def test_a_rate_set_before_approval_is_used(scene: RedemptionScene) -> None:
    shop = scene.shop()
    asked = scene.request(shop.keeper, shop.account_id, 60)
    scene.tick()
    scene.set_rate("0.12")
    scene.tick()
    approved = scene.approve(asked.id)
    assert (approved.euro_cents, approved.rate) == (720, Decimal("0.12"))
    scene.tick()
    scene.set_rate("0")
    scene.tick()
    second = scene.approve(scene.request(shop.keeper, shop.account_id, 40).id)
    assert (second.euro_cents, second.rate) == (0, Decimal("0"))


def test_rates_are_kept_in_history_newest_first(scene: RedemptionScene) -> None:
    scene.set_rate("0.12")
    scene.tick()
    scene.set_rate("0.11")
    history = rates.history(scene.db, scene.base.people(Role.AUDITOR)[0], "TRK")
    assert [view.rate for view in history] == [Decimal("0.11"), Decimal("0.12"), Decimal("0.1")]
    assert history[0].set_by_id == scene.admin.user_id
    assert_refused(
        scene.db,
        errors.RoleNotAllowed,
        lambda: rates.history(scene.db, scene.base.people(Role.SHOPKEEPER)[0], "TRK"),
    )


@pytest.mark.parametrize("rate", ["-0.01", "0.000000001", "1000000.01", "NaN", "Infinity"])
def test_an_invalid_rate_is_refused(scene: RedemptionScene, rate: str) -> None:
    assert_refused(scene.db, errors.InvalidRate, lambda: scene.set_rate(rate))


def test_only_admins_set_rates(scene: RedemptionScene) -> None:
    for role in (Role.AUDITOR, Role.SHOPKEEPER, Role.MEMBER, Role.COORDINATOR):
        actor = scene.base.people(role)[0]
        assert_refused(
            scene.db,
            errors.RoleNotAllowed,
            partial(scene.set_rate, "0.2", actor),
        )


def test_euro_cents_round_half_up_for_a_currency_with_cents(
    scene: RedemptionScene,
) -> None:
    scene.ledger.currency("EUX", decimals=2)  # EUR 0.10 per whole unit, 100 minor units
    scene.ledger.budget(10_000, currency="EUX")
    shop = scene.shop(funds=1_000, currency="EUX")
    cases = {25: 3, 5: 1, 4: 0, 15: 2, 14: 1, 1_000 - 25 - 5 - 4 - 15 - 14: 94}
    for amount, cents in cases.items():
        asked = scene.request(shop.keeper, shop.account_id, amount)
        approved = scene.approve(asked.id)
        assert approved.euro_cents == cents, (amount, approved.euro_cents)
        assert approved.currency == "EUX"
        scene.pay(asked.id)
    assert scene.redeemed("EUX") == 1_000
    assert scene.redeemed("TRK") == 0
    assert euro_cents(25, 2, Decimal("0.1")) == 3
    assert euro_cents(-25, 2, Decimal("0.1")) == -3


# --- each step once -------------------------------------------------------------------------


def test_each_step_happens_once(scene: RedemptionScene) -> None:
    shop = scene.shop()
    first = scene.request(shop.keeper, shop.account_id, 30)
    assert_refused(scene.db, errors.RedemptionNotApproved, lambda: scene.pay(first.id))
    scene.approve(first.id)
    assert_refused(scene.db, errors.RedemptionAlreadyApproved, lambda: scene.approve(first.id))
    scene.pay(first.id)
    assert_refused(scene.db, errors.RedemptionAlreadyPaid, lambda: scene.pay(first.id))
    assert_refused(scene.db, errors.RedemptionAlreadyPaid, lambda: scene.reject(first.id))
    assert_refused(scene.db, errors.RedemptionAlreadyPaid, lambda: scene.approve(first.id))

    second = scene.request(shop.keeper, shop.account_id, 30)
    scene.reject(second.id)
    assert_refused(scene.db, errors.RedemptionAlreadyRejected, lambda: scene.approve(second.id))
    assert_refused(scene.db, errors.RedemptionAlreadyRejected, lambda: scene.reject(second.id))
    assert_refused(scene.db, errors.RedemptionAlreadyRejected, lambda: scene.pay(second.id))
    assert scene.money(shop.account_id) == (SHOP_FUNDS - 30, 0)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SHOPKEEPER, Role.COORDINATOR, Role.MEMBER])
def test_only_admins_approve_pay_and_reject(scene: RedemptionScene, role: Role) -> None:
    shop = scene.shop()
    actor = scene.base.people(role)[0]
    requested = scene.request(shop.keeper, shop.account_id, 30)
    approved = scene.approve(scene.request(shop.keeper, shop.account_id, 30).id)
    for who in (actor, shop.keeper):
        refused = errors.RoleNotAllowed
        assert_refused(scene.db, refused, partial(scene.approve, requested.id, who))
        assert_refused(scene.db, refused, partial(scene.reject, requested.id, who))
        assert_refused(scene.db, refused, partial(scene.pay, approved.id, who))
        assert_refused(scene.db, refused, partial(scene.reject, approved.id, who))


# --- what paying posts ------------------------------------------------------------------------


def test_paying_posts_one_redemption_transaction(scene: RedemptionScene) -> None:
    shop = scene.shop()
    asked = scene.request(shop.keeper, shop.account_id, 45)
    before = int(scalar(scene.db, "SELECT COUNT(*) FROM transactions"))
    scene.approve(asked.id)
    assert int(scalar(scene.db, "SELECT COUNT(*) FROM transactions")) == before
    paid = scene.pay(asked.id, reference="SEPA 2026-11-25/1")
    assert int(scalar(scene.db, "SELECT COUNT(*) FROM transactions")) == before + 1
    [(tx, metadata)] = scene.redemption_transactions()
    assert paid.transaction_id == tx
    assert paid.paid_by_id == scene.admin.user_id
    assert paid.payout_reference == "SEPA 2026-11-25/1"
    assert metadata["euro_cents"] == 450
    assert metadata["payout_reference"] == "SEPA 2026-11-25/1"
    assert metadata["redemption_id"] == asked.id
    assert Decimal(metadata["rate"]) == Decimal("0.1")
    postings = {
        int(r[0]): int(r[1])
        for r in rows(
            scene.db, "SELECT account_id, amount FROM postings WHERE transaction_id = :t", t=tx
        )
    }
    assert postings == {shop.account_id: -45, scene.base.currency.redemption_account_id: 45}
    assert scene.money(shop.account_id) == (SHOP_FUNDS - 45, 0)
    assert scene.redeemed() == 45
    assert scene.row(asked.id) == {
        "status": "paid",
        "euro_cents": 450,
        "rate": Decimal("0.1"),
        "transaction_id": tx,
        "hold": "posted",
    }
    got = redemptions.get(scene.db, shop.keeper, asked.id)
    assert (got.status, got.transaction_id) == ("paid", tx)


# --- the audit trail --------------------------------------------------------------------------


def test_every_step_and_setting_is_in_the_audit_trail(scene: RedemptionScene) -> None:
    admins = scene.base.people(Role.ADMIN, 3)
    shop = scene.shop(payout=False)
    scene.payout(shop.keeper, shop.account_id)
    scene.payout(admins[0], shop.account_id, "GB82 WEST 1234 5698 7654 32", "Other")
    partner = scene.partner(redeemable=False)
    scene.set_redeemable(admins[1], partner.account_id, True)
    scene.set_rate("0.12", admins[2])
    paid = scene.request(shop.keeper, shop.account_id, 30)
    scene.approve(paid.id, admins[0])
    scene.pay(paid.id, admins[1])
    rejected = scene.request(shop.keeper, shop.account_id, 30)
    scene.reject(rejected.id, admins[2])

    payout_events = list(scene.events("account.payout_details_changed"))
    assert (shop.keeper.user_id, str(shop.account_id)) in payout_events
    assert (admins[0].user_id, str(shop.account_id)) in payout_events
    assert scene.events("account.redeemable_changed") == [
        (admins[1].user_id, str(partner.account_id))
    ]
    assert scene.events("currency.rate_changed") == [(admins[2].user_id, "TRK")]
    assert scene.events("redemption.approved") == [(admins[0].user_id, str(paid.id))]
    assert scene.events("redemption.paid") == [(admins[1].user_id, str(paid.id))]
    assert scene.events("redemption.rejected") == [(admins[2].user_id, str(rejected.id))]
    change = rows(
        scene.db,
        "SELECT before, after FROM audit_events WHERE action = 'account.payout_details_changed' "
        "AND actor_id = :a",
        a=admins[0].user_id,
    )[0]
    assert _meta(change[0])["iban"] == IBAN_NORMAL
    assert _meta(change[1])["iban"] == "GB82WEST12345698765432"
    assert _meta(change[1])["payout_name"] == "Other"
