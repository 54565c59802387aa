"""Receipts and payment lists on the real database: who sees which payment and refund, and whose
balance after it: each side sees its own, administrators and auditors see both, everyone else
is refused.
"""

from __future__ import annotations

import pytest

from tests.integration.earning_support import Member
from tests.integration.spending_support import (
    NOON,
    PIN,
    Shop,
    SpendingScene,
    scalar,
)
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.spending import PaymentChannel
from torekes.spending import payments
from torekes.spending.payments import PaymentQuery
from torekes.spending.read_models import ReceiptView


@pytest.fixture
def payer(scene: SpendingScene) -> Member:
    return scene.member(100)


def receipt(scene: SpendingScene, actor: Principal, transaction_id: int) -> ReceiptView:
    return payments.receipt(scene.db, actor, transaction_id)


def balances(view: ReceiptView) -> tuple[int | None, int | None]:
    """(the payer's, the shop's) balance after, as shown."""
    return view.payer.balance_after, view.shop.balance_after


def test_each_side_sees_its_own_balance_after_a_payment_and_readers_see_both(
    scene: SpendingScene, shop: Shop, payer: Member
) -> None:
    paid = scene.paid(payer, shop, 30)
    (auditor,) = scene.people(Role.AUDITOR)

    as_payer = receipt(scene, payer.principal, paid.transaction_id)
    as_shop = receipt(scene, shop.keeper, paid.transaction_id)

    assert balances(as_payer) == (70, None)
    assert balances(as_shop) == (None, 30)
    assert balances(receipt(scene, scene.admin, paid.transaction_id)) == (70, 30)
    assert balances(receipt(scene, auditor, paid.transaction_id)) == (70, 30)
    seq = scalar(scene.db, "SELECT seq FROM transactions WHERE id = :t", t=paid.transaction_id)
    assert (as_shop.seq, as_shop.currency, as_shop.created_at, as_shop.amount) == (
        seq,
        "TRK",
        NOON,
        30,
    )
    assert as_shop.payer.name == payer.principal.username.title()
    assert as_shop.shop.account_id == shop.account_id
    # The receipts differ only in whose balance is shown.
    assert as_payer.memo == as_shop.memo
    assert as_payer.payment_request_id == as_shop.payment_request_id is not None


def test_no_one_else_sees_a_receipt(scene: SpendingScene, shop: Shop, payer: Member) -> None:
    paid = scene.paid(payer, shop, 30)
    refund = scene.refund(shop.keeper, paid.transaction_id, 10)
    stranger = scene.member()
    other_shop = scene.shop()
    (coordinator,) = scene.people(Role.COORDINATOR)

    for actor in (stranger.principal, other_shop.keeper, coordinator):
        for transaction_id in (paid.transaction_id, refund.transaction_id):
            with pytest.raises(errors.NotAccountOwner):
                receipt(scene, actor, transaction_id)


def test_a_refund_has_a_receipt_of_its_own_that_points_at_its_payment(
    scene: SpendingScene, shop: Shop, payer: Member
) -> None:
    paid = scene.paid(payer, shop, 30)
    refund = scene.refund(shop.keeper, paid.transaction_id, 10, "stale")

    as_payer = receipt(scene, payer.principal, refund.transaction_id)

    assert (as_payer.kind, as_payer.amount, as_payer.payment_amount) == ("refund", 10, 30)
    assert (as_payer.refunded_amount, as_payer.refundable) == (10, 20)
    assert as_payer.payment_transaction_id == paid.transaction_id
    assert balances(as_payer) == (80, None)
    assert balances(receipt(scene, shop.keeper, refund.transaction_id)) == (None, 20)
    # The payment's own receipt now lists the refund.
    original = receipt(scene, payer.principal, paid.transaction_id)
    assert [(line.transaction_id, line.amount, line.reason) for line in original.refunds] == [
        (refund.transaction_id, 10, "stale")
    ]
    assert balances(original) == (70, None)  # still the balance right after the payment


def test_a_card_payments_receipt_shows_the_card_number(
    scene: SpendingScene, shop: Shop, payer: Member
) -> None:
    card = scene.card(payer.id)

    charged = scene.charge(shop, card.code, PIN, 15)

    assert (charged.channel, charged.card_number, charged.payment_request_id) == (
        "card",
        f"••• ••• {card.number[-4:]}",
        None,
    )
    # The charge's own answer carries the member's new balance, for the hand-over view the
    # member reads at the counter; a receipt the shop reads later does not.
    assert balances(charged) == (85, 15)
    assert balances(receipt(scene, shop.keeper, charged.transaction_id)) == (None, 15)
    assert balances(receipt(scene, payer.principal, charged.transaction_id)) == (85, None)


def test_only_payments_and_refunds_have_receipts(
    scene: SpendingScene, shop: Shop, payer: Member
) -> None:
    funding = scene.ledger.transfer(scene.budget_id, payer.account_id, 1)
    paid = scene.paid(payer, shop, 30)
    reversal = scene.reverse(paid.transaction_id)

    for transaction_id in (funding.id, reversal.id):
        with pytest.raises(errors.NotAPayment):
            receipt(scene, scene.admin, transaction_id)
    with pytest.raises(errors.TransactionNotFound):
        receipt(scene, scene.admin, 999_999)


def test_payment_lists_show_each_their_own(scene: SpendingScene, payer: Member) -> None:
    first, second = scene.shops(2)
    other = scene.member()
    card = scene.card(payer.id)
    by_request = scene.paid(payer, first, 10)
    by_card = scene.charge(first, card.number, PIN, 20)
    at_second = scene.paid(payer, second, 30)
    by_other = scene.paid(other, first, 40)

    def listed(actor: Principal, query: PaymentQuery | None = None) -> list[int]:
        page = payments.list_payments(scene.db, actor, query or PaymentQuery())
        return [view.transaction_id for view in page.items]

    assert listed(first.keeper) == [
        by_other.transaction_id,
        by_card.transaction_id,
        by_request.transaction_id,
    ]
    assert listed(second.keeper) == [at_second.transaction_id]
    assert listed(payer.principal) == [
        at_second.transaction_id,
        by_card.transaction_id,
        by_request.transaction_id,
    ]
    assert listed(other.principal) == [by_other.transaction_id]
    assert len(listed(scene.admin)) == 4
    assert listed(scene.admin, PaymentQuery(channel=PaymentChannel.CARD)) == [
        by_card.transaction_id
    ]
    assert listed(payer.principal, PaymentQuery(payer_account_id=payer.account_id)) == (
        listed(payer.principal)
    )
    with pytest.raises(errors.NotAccountOwner):
        listed(payer.principal, PaymentQuery(shop_account_id=first.account_id))
    with pytest.raises(errors.NotAccountOwner):
        listed(second.keeper, PaymentQuery(shop_account_id=first.account_id))
    with pytest.raises(errors.NotAccountOwner):
        listed(other.principal, PaymentQuery(payer_account_id=payer.account_id))
