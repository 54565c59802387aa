"""Racing redemption steps on real threads against the real database, with one shared
``Database`` and with one ``Database`` per thread (like separate service processes): paying one
redemption at once, approving against rejecting, asking for more than a shop holds, and asking
while the shop pays out. Outcomes are counted exactly and the ledger checked with SQL afterwards
(``assert_redemption_consistent``, run by the ``scene`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import Engines
from tests.integration.spending_support import scalar
from tests.integration.test_redemption_rules import (
    SHOP_FUNDS,
    RedemptionScene,
    assert_redemption_consistent,
    open_scene,
)
from tests.integration.threads import Outcome, failures, run_concurrently, successes, unexpected
from tests.support import Ledger
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.redemption.read_models import RedemptionView
from torekes.settings import Settings


@pytest.fixture
def scene(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RedemptionScene]:
    made = open_scene(ledger, settings, monkeypatch)
    yield made
    assert_redemption_consistent(made.db)


separate_param = pytest.mark.parametrize(
    "separate", [False, True], ids=["one-engine", "engine-per-thread"]
)


def errors_of(outcomes: list[Outcome], kind: type[BaseException]) -> list[BaseException]:
    return [error for error in failures(outcomes) if type(error) is kind]


def redemption_count(scene: RedemptionScene) -> int:
    return int(scalar(scene.db, "SELECT COUNT(*) FROM transactions WHERE kind = 'redemption'"))


@separate_param
def test_ten_admins_paying_one_redemption_pay_it_once(
    scene: RedemptionScene, engines: Engines, separate: bool
) -> None:
    shop = scene.shop()
    asked = scene.request(shop.keeper, shop.account_id, 70)
    scene.approve(asked.id)
    admins = scene.base.people(Role.ADMIN, 10)
    databases = engines(separate, 10)

    outcomes = run_concurrently(
        10, lambda i: scene.pay(asked.id, admins[i], databases[i], reference=f"ref-{i}")
    )

    assert unexpected(outcomes, errors.RedemptionAlreadyPaid) == []
    paid: list[RedemptionView] = successes(outcomes)
    assert len(paid) == 1
    assert len(errors_of(outcomes, errors.RedemptionAlreadyPaid)) == 9
    assert redemption_count(scene) == 1
    assert scene.money(shop.account_id) == (SHOP_FUNDS - 70, 0)
    assert scene.redeemed() == 70
    row = scene.row(asked.id)
    assert (row["status"], row["hold"], row["transaction_id"]) == (
        "paid",
        "posted",
        paid[0].transaction_id,
    )
    assert len(scene.events("redemption.paid")) == 1


@separate_param
def test_approving_racing_rejecting_resolves_the_hold_once(
    scene: RedemptionScene, engines: Engines, separate: bool
) -> None:
    """Three admins approve and three reject one requested redemption at once. Exactly one
    approval or one rejection takes it out of ``requested``; a rejection may still follow an
    approval (rejecting an approved redemption is allowed), never the other way round."""
    shop = scene.shop()
    asked = scene.request(shop.keeper, shop.account_id, 50)
    admins = scene.base.people(Role.ADMIN, 6)
    databases = engines(separate, 6)

    def step(i: int) -> RedemptionView:
        if i % 2 == 0:
            return scene.approve(asked.id, admins[i], databases[i])
        return scene.reject(asked.id, admins[i], databases[i])

    outcomes = run_concurrently(6, step)

    allowed = (errors.RedemptionAlreadyApproved, errors.RedemptionAlreadyRejected)
    assert unexpected(outcomes, *allowed) == []
    won: list[RedemptionView] = successes(outcomes)
    approvals = [v for v in won if v.status == "approved"]
    rejections = [v for v in won if v.status == "rejected"]
    # A rejection may follow an approval but nothing follows a rejection: exactly one rejection
    # wins, at most one approval came before it, and the hold is released once.
    assert len(approvals) <= 1
    assert len(rejections) == 1
    row = scene.row(asked.id)
    assert (row["status"], row["hold"]) == ("rejected", "released")
    assert scene.money(shop.account_id) == (SHOP_FUNDS, 0)
    assert redemption_count(scene) == 0
    assert len(scene.events("redemption.rejected")) == len(rejections)
    assert len(scene.events("redemption.approved")) == len(approvals)


@separate_param
def test_ten_requests_of_thirty_from_a_hundred_hold_three(
    scene: RedemptionScene, engines: Engines, separate: bool
) -> None:
    shop = scene.shop()
    databases = engines(separate, 10)

    outcomes = run_concurrently(
        10, lambda i: scene.request(shop.keeper, shop.account_id, 30, databases[i])
    )

    assert unexpected(outcomes, errors.InsufficientFunds) == []
    assert len(successes(outcomes)) == 3
    assert len(errors_of(outcomes, errors.InsufficientFunds)) == 7
    assert scene.money(shop.account_id) == (SHOP_FUNDS, 90)
    assert int(scalar(scene.db, "SELECT COUNT(*) FROM redemptions")) == 3
    assert int(scalar(scene.db, "SELECT COUNT(*) FROM holds")) == 3


@separate_param
def test_requests_racing_payments_out_never_overdraw(
    scene: RedemptionScene, engines: Engines, separate: bool
) -> None:
    shop = scene.shop()
    member = scene.base.member(funds=0)
    databases = engines(separate, 10)

    def step(i: int) -> object:
        if i % 2 == 0:
            return scene.request(shop.keeper, shop.account_id, 30, databases[i])
        return scene.spend(shop, member.account_id, 30, databases[i])

    outcomes = run_concurrently(10, step)

    assert unexpected(outcomes, errors.InsufficientFunds) == []
    won = successes(outcomes)
    assert len(won) == 3
    held_count = sum(isinstance(v, RedemptionView) for v in won)
    spent = 30 * (3 - held_count)
    balance, held = scene.money(shop.account_id)
    assert (balance, held) == (SHOP_FUNDS - spent, 30 * held_count)
    assert balance - held == 10
    assert scene.base.balance(member.account_id) == spent
