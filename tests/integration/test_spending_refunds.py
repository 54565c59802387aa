"""Refunds and their interplay with reversals, on the real database: a refund returns all or part
of a payment to the payer as a new transaction, the refunds of one payment never add up to more
than it, only the shop's keeper or an administrator refunds, a payment with refunds is not
reversed, and a reversed refund may be refunded again.

Every refusal is checked to change nothing: the journal, the accounts, the payments and the
refunds are the same row for row before and after.
"""

from __future__ import annotations

from functools import partial

import pytest

from tests.integration.earning_support import Member
from tests.integration.spending_support import (
    Shop,
    SpendingScene,
    assert_refused,
    rows,
)
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.spending.read_models import ReceiptView


@pytest.fixture
def payer(scene: SpendingScene) -> Member:
    return scene.member(100)


@pytest.fixture
def payment(scene: SpendingScene, shop: Shop, payer: Member) -> ReceiptView:
    """A payment of 100 by ``payer`` to ``shop``, which now holds just that."""
    return scene.paid(payer, shop, 100)


def test_a_refund_returns_the_whole_payment_by_default(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    refund = scene.refund(shop.keeper, payment.transaction_id, reason="wrong bread")

    assert (refund.kind, refund.amount, refund.refunded_amount, refund.refundable) == (
        "refund",
        100,
        100,
        0,
    )
    assert refund.payment_transaction_id == payment.transaction_id
    assert refund.memo == "wrong bread"  # only what the shopkeeper typed
    assert [(line.amount, line.reason) for line in refund.refunds] == [(100, "wrong bread")]
    assert (refund.shop.balance_after, refund.payer.balance_after) == (0, None)
    assert scene.balance(payer.account_id) == 100
    assert scene.balance(shop.account_id) == 0
    again = assert_refused(
        scene.db,
        errors.RefundExceedsPayment,
        partial(scene.refund, shop.keeper, payment.transaction_id),
    )
    assert again.extra == {"refundable": 0}


def test_partial_refunds_are_capped_by_what_is_left_of_the_payment(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    first = scene.refund(shop.keeper, payment.transaction_id, 30)
    assert (first.amount, first.refunded_amount, first.refundable) == (30, 30, 70)

    over = assert_refused(
        scene.db,
        errors.RefundExceedsPayment,
        partial(scene.refund, shop.keeper, payment.transaction_id, 71),
    )
    assert over.extra == {"refundable": 70}
    for amount in (0, -10):
        assert_refused(
            scene.db,
            errors.InvalidAmount,
            partial(scene.refund, shop.keeper, payment.transaction_id, amount),
        )
    rest = scene.refund(shop.keeper, payment.transaction_id)

    assert (rest.amount, rest.refunded_amount, rest.refundable) == (70, 100, 0)
    assert [line.amount for line in rest.refunds] == [30, 70]
    assert_refused(
        scene.db,
        errors.RefundExceedsPayment,
        partial(scene.refund, shop.keeper, payment.transaction_id, 1),
    )
    assert scene.balance(payer.account_id) == 100


def test_only_the_shops_keeper_or_an_admin_refunds(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    other = scene.shop()
    (auditor,) = scene.people(Role.AUDITOR)
    (coordinator,) = scene.people(Role.COORDINATOR)

    assert_refused(
        scene.db,
        errors.NotAccountOwner,
        partial(scene.refund, other.keeper, payment.transaction_id, 10),
    )
    for actor in (payer.principal, auditor, coordinator):
        assert_refused(
            scene.db,
            errors.RoleNotAllowed,
            partial(scene.refund, actor, payment.transaction_id, 10),
        )

    by_admin = scene.refund(scene.admin, payment.transaction_id, 10)

    assert (by_admin.refunded_amount, by_admin.shop.balance_after) == (10, 90)
    assert scene.balance(payer.account_id) == 10


def test_only_payments_are_refunded(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    funding = scene.ledger.transfer(scene.budget_id, payer.account_id, 5)
    refund = scene.refund(shop.keeper, payment.transaction_id, 10)

    for transaction_id in (funding.id, refund.transaction_id):
        refused = assert_refused(
            scene.db, errors.NotAPayment, partial(scene.refund, shop.keeper, transaction_id)
        )
        assert refused.extra == {"transaction_id": transaction_id}
    assert_refused(
        scene.db, errors.TransactionNotFound, partial(scene.refund, shop.keeper, 999_999)
    )


def test_a_shop_that_spent_the_money_cannot_refund_it(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    supplier = scene.shop()
    till = scene.standing(supplier)
    scene.pay(shop.keeper, till.code, 80, account_id=shop.account_id)

    assert_refused(
        scene.db,
        errors.InsufficientFunds,
        partial(scene.refund, shop.keeper, payment.transaction_id, 30),
    )
    assert scene.refund(shop.keeper, payment.transaction_id, 20).refundable == 80


def test_a_frozen_shop_or_wallet_takes_part_in_no_refund(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    scene.set_status(shop.account_id, "freeze")
    assert_refused(
        scene.db,
        errors.AccountFrozen,
        partial(scene.refund, shop.keeper, payment.transaction_id, 10),
    )
    scene.set_status(shop.account_id, "unfreeze")
    scene.set_status(payer.account_id, "freeze")
    assert_refused(
        scene.db,
        errors.AccountFrozen,
        partial(scene.refund, shop.keeper, payment.transaction_id, 10),
    )
    scene.set_status(payer.account_id, "unfreeze")

    assert scene.refund(shop.keeper, payment.transaction_id, 10).refunded_amount == 10


# --- refunds and reversals ----------------------------------------------------------------


def test_a_payment_with_refunds_is_not_reversed(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    scene.refund(shop.keeper, payment.transaction_id, 1)

    refused = assert_refused(
        scene.db, errors.PaymentHasRefunds, partial(scene.reverse, payment.transaction_id)
    )

    assert refused.extra == {"transaction_id": payment.transaction_id}
    assert scene.balance(payer.account_id) == 1


def test_a_reversed_payment_is_not_refunded(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    reversal = scene.reverse(payment.transaction_id)
    assert scene.balance(payer.account_id) == 100

    for amount in (None, 10):
        assert_refused(
            scene.db,
            errors.AlreadyReversed,
            partial(scene.refund, shop.keeper, payment.transaction_id, amount),
        )
    assert_refused(scene.db, errors.AlreadyReversed, partial(scene.reverse, payment.transaction_id))
    assert_refused(scene.db, errors.ReversalNotReversible, partial(scene.reverse, reversal.id))
    assert scene.refunded(payment.transaction_id) == 0


def test_reversing_a_refund_lets_the_payment_be_refunded_again(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    first = scene.refund(shop.keeper, payment.transaction_id, 60)
    scene.refund(shop.keeper, payment.transaction_id, 40)
    assert scene.refunded(payment.transaction_id) == 100

    scene.reverse(first.transaction_id)

    assert scene.refunded(payment.transaction_id) == 40
    assert scene.balance(payer.account_id) == 40
    again = scene.refund(shop.keeper, payment.transaction_id)
    assert (again.amount, again.refunded_amount, again.refundable) == (60, 100, 0)
    assert scene.balance(payer.account_id) == 100
    assert scene.balance(shop.account_id) == 0


def test_once_every_refund_is_reversed_the_payment_can_be_reversed(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    refund = scene.refund(shop.keeper, payment.transaction_id, 25)
    scene.reverse(refund.transaction_id)

    scene.reverse(payment.transaction_id)

    assert scene.balance(payer.account_id) == 100
    assert scene.balance(shop.account_id) == 0
    assert_refused(
        scene.db,
        errors.AlreadyReversed,
        partial(scene.refund, shop.keeper, payment.transaction_id),
    )


def test_a_refund_whose_reversal_would_overdraw_the_payer_stays(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    """The payer spent the refunded tokens: the reversal is refused by the floor and the
    payment's refunded amount is left as it was."""
    refund = scene.refund(shop.keeper, payment.transaction_id, 50)
    other = scene.shop()
    scene.pay(payer.principal, scene.standing(other).code, 50)

    assert_refused(
        scene.db, errors.InsufficientFunds, partial(scene.reverse, refund.transaction_id)
    )

    assert scene.refunded(payment.transaction_id) == 50


def test_reversing_a_refund_twice_is_refused_as_already_reversed(
    scene: SpendingScene, shop: Shop, payer: Member, payment: ReceiptView
) -> None:
    refund = scene.refund(shop.keeper, payment.transaction_id, 30)
    scene.reverse(refund.transaction_id)

    before = rows(scene.db, "SELECT id, refunded_amount FROM payments ORDER BY id")
    try:
        scene.reverse(refund.transaction_id)
    except errors.AlreadyReversed:
        pass
    except Exception as error:  # the bug: a database error instead of the domain refusal
        raise AssertionError(f"{type(error).__name__} instead of AlreadyReversed") from error
    else:
        raise AssertionError("a refund was reversed twice")

    assert rows(scene.db, "SELECT id, refunded_amount FROM payments ORDER BY id") == before
    assert scene.refunded(payment.transaction_id) == 0
