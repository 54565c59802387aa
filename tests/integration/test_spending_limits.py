"""A currency's spending limits on the real database: the largest single payment a member may
make, and how much a member may spend in a calendar day (in ``TOREKES_TIMEZONE``, net of
refunds), on every channel: one-off requests, standing QRs and cards.

Every refusal is checked to change nothing (a card's PIN counters aside). Days move the test's
clock; the scene starts at noon in Brussels.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from tests.integration.earning_support import Member
from tests.integration.spending_support import (
    NOON,
    PIN,
    Shop,
    SpendingScene,
    assert_refused,
)
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.ledger import currencies
from torekes.ledger.currencies import LimitsCommand
from torekes.spending.read_models import PaymentRequestView

BRUSSELS = ZoneInfo("Europe/Brussels")
MIDNIGHT = datetime.combine(NOON.astimezone(BRUSSELS).date() + timedelta(days=1), time(), BRUSSELS)


@pytest.fixture
def payer(scene: SpendingScene) -> Member:
    return scene.member(1_000)


@pytest.fixture
def till(scene: SpendingScene, shop: Shop) -> PaymentRequestView:
    return scene.standing(shop)


def test_only_an_admin_sets_limits_and_only_positive_ones(scene: SpendingScene) -> None:
    (keeper,) = scene.people(Role.SHOPKEEPER)
    assert_refused(
        scene.db,
        errors.RoleNotAllowed,
        lambda: write(
            scene.db,
            keeper,
            lambda ctx: currencies.set_spending_limits(ctx, "TRK", LimitsCommand(10, 10)),
        ),
    )
    for bad in ((0, None), (None, 0), (-5, 10), (10, -1)):
        assert_refused(scene.db, errors.InvalidAmount, partial(scene.limits, *bad))
    assert_refused(
        scene.db,
        errors.CurrencyNotFound,
        lambda: write(
            scene.db,
            scene.admin,
            lambda ctx: currencies.set_spending_limits(ctx, "XXX", LimitsCommand(1, 1)),
        ),
    )

    view = scene.limits(50, 200)

    assert (view.max_payment, view.daily_spend_limit) == (50, 200)
    lifted = scene.limits(None, None)
    assert (lifted.max_payment, lifted.daily_spend_limit) == (None, None)


def test_a_payment_over_the_single_payment_limit_is_refused_on_every_channel(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(50, None)
    card = scene.card(payer.id)
    request = scene.request(shop, 51)

    refusals = [
        assert_refused(
            scene.db, errors.PaymentLimitExceeded, partial(scene.pay, payer.principal, request.code)
        ),
        assert_refused(
            scene.db,
            errors.PaymentLimitExceeded,
            partial(scene.pay, payer.principal, till.code, 51),
        ),
        assert_refused(
            scene.db,
            errors.PaymentLimitExceeded,
            partial(scene.charge, shop, card.number, PIN, 51),
            pins=True,
        ),
    ]

    assert [refusal.extra for refusal in refusals] == [{"limit": 50}] * 3
    assert scene.request_row(request.id) == ("open", None)
    for _ in range(3):
        scene.pay(payer.principal, till.code, 50)
    scene.charge(shop, card.number, PIN, 50)
    assert scene.balance(payer.account_id) == 800


def test_the_daily_limit_counts_every_channel_together(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(None, 100)
    card = scene.card(payer.id)
    scene.pay(payer.principal, scene.request(shop, 40).code)
    scene.pay(payer.principal, till.code, 25)
    scene.charge(shop, card.code, PIN, 30)

    refused = assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 6)
    )

    assert refused.extra == {"limit": 100, "remaining": 5}
    assert_refused(
        scene.db,
        errors.DailyLimitExceeded,
        partial(scene.charge, shop, card.code, PIN, 6),
        pins=True,
    )
    scene.pay(payer.principal, till.code, 5)
    full = assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 1)
    )
    assert full.extra == {"limit": 100, "remaining": 0}
    assert scene.balance(payer.account_id) == 900


def test_the_daily_limit_is_each_members_own(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(None, 100)
    other = scene.member(1_000)
    scene.pay(payer.principal, till.code, 100)

    assert scene.pay(other.principal, till.code, 100).amount == 100


def test_refunds_today_give_back_room_under_the_daily_limit(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(None, 100)
    payment = scene.pay(payer.principal, till.code, 100)
    assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 1)
    )

    scene.refund(shop.keeper, payment.transaction_id, 30)

    assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 31)
    )
    scene.pay(payer.principal, till.code, 30)
    assert scene.balance(payer.account_id) == 1_000 - 100


def test_the_daily_limit_starts_afresh_at_midnight_in_the_configured_zone(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(None, 100)
    scene.pay(payer.principal, till.code, 100)

    scene.clock.set(MIDNIGHT - timedelta(microseconds=1))
    assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 1)
    )
    scene.clock.set(MIDNIGHT)
    scene.pay(payer.principal, till.code, 100)

    assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 1)
    )
    assert scene.balance(payer.account_id) == 800


def test_a_refund_of_yesterdays_payment_gives_no_room_today(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(None, 100)
    yesterday = scene.pay(payer.principal, till.code, 100)
    scene.clock.set(MIDNIGHT + timedelta(hours=9))
    scene.pay(payer.principal, till.code, 100)

    scene.refund(shop.keeper, yesterday.transaction_id, 50)

    assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 1)
    )


def test_limits_apply_to_members_not_to_shops_paying_shops(
    scene: SpendingScene, shop: Shop, till: PaymentRequestView
) -> None:
    scene.limits(10, 10)
    buyer = scene.shop()
    scene.ledger.transfer(scene.budget_id, buyer.account_id, 500)

    scene.pay(buyer.keeper, till.code, 200, account_id=buyer.account_id)
    scene.pay(buyer.keeper, till.code, 200, account_id=buyer.account_id)

    assert scene.balance(buyer.account_id) == 100


def test_lifting_the_limits_lets_the_member_spend_again(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(50, 60)
    scene.pay(payer.principal, till.code, 50)
    assert_refused(
        scene.db, errors.DailyLimitExceeded, partial(scene.pay, payer.principal, till.code, 20)
    )

    scene.limits(None, None)

    scene.pay(payer.principal, till.code, 500)
    assert scene.balance(payer.account_id) == 450


def test_a_member_with_two_wallets_has_one_daily_limit(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(None, 100)
    second = scene.account(AccountKind.MEMBER, payer.principal, funds=100)
    scene.pay(payer.principal, till.code, 100)

    try:
        scene.pay(payer.principal, till.code, 50, account_id=second)
    except errors.DailyLimitExceeded:
        return
    raise AssertionError("the member spent 150 in a day under a daily limit of 100")


def test_a_reversed_payment_no_longer_counts_against_the_daily_limit(
    scene: SpendingScene, shop: Shop, payer: Member, till: PaymentRequestView
) -> None:
    scene.limits(None, 100)
    mistake = scene.pay(payer.principal, till.code, 90)
    scene.reverse(mistake.transaction_id)
    assert scene.balance(payer.account_id) == 1_000

    try:
        scene.pay(payer.principal, till.code, 20)
    except errors.DailyLimitExceeded as refused:
        raise AssertionError(f"refused after the reversal: {refused.extra}") from refused
