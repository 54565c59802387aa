"""Payment requests on the real database: a shop's one-off QR (an amount that expires, paid once,
or cancelled) and its standing QR at the till (the member types the amount, paid many times),
who may pay what from which account, watching a request turn paid, and the database's own
refusal to change a request that left ``open``.

Every refusal is checked to change nothing: the journal, the accounts, the payments and the
requests are the same row for row before and after. Expiry moves the test's clock.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.spending_support import (
    NOON,
    Shop,
    SpendingScene,
    assert_refused,
)
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.spending import RequestKind
from torekes.spending import payment_requests


def status_of(scene: SpendingScene, code: str) -> str:
    return payment_requests.open_request(scene.db, scene.admin, code).status


# --- one-off requests -------------------------------------------------------------------------


def test_a_request_is_paid_once_from_the_members_account(scene: SpendingScene, shop: Shop) -> None:
    payer = scene.member()
    request = scene.request(shop, 30, memo="Bread")
    assert (request.status, request.amount, request.expires_at) == (
        "open",
        30,
        NOON + timedelta(minutes=10),
    )
    assert request.url.endswith(f"/p/{request.code}")
    seen = payment_requests.open_request(scene.db, payer.principal, request.code)
    assert (seen.shop_name, seen.amount, seen.status, seen.transaction_id) == (
        request.shop_name,
        30,
        "open",
        None,
    )

    receipt = scene.pay(payer.principal, request.code)

    assert (receipt.kind, receipt.amount, receipt.channel, receipt.memo) == (
        "payment",
        30,
        "request",
        "Bread",
    )
    assert receipt.payment_request_id == request.id
    assert (receipt.payer.account_id, receipt.payer.balance_after) == (payer.account_id, 70)
    assert (receipt.shop.account_id, receipt.shop.balance_after) == (shop.account_id, None)
    assert scene.request_row(request.id) == ("paid", receipt.transaction_id)
    assert scene.balance(shop.account_id) == 30
    assert_refused(
        scene.db, errors.PaymentRequestPaid, lambda: scene.pay(payer.principal, request.code)
    )
    other = scene.member()
    assert_refused(
        scene.db, errors.PaymentRequestPaid, lambda: scene.pay(other.principal, request.code)
    )


def test_a_request_expires_after_ten_minutes_unless_the_shop_says_otherwise(
    scene: SpendingScene, shop: Shop
) -> None:
    payer = scene.member()
    default = scene.request(shop, 10)
    short = scene.request(shop, 10, lifetime=timedelta(seconds=30))
    long = scene.request(shop, 10, lifetime=timedelta(hours=24))
    assert [r.expires_at for r in (default, short, long)] == [
        NOON + timedelta(minutes=10),
        NOON + timedelta(seconds=30),
        NOON + timedelta(hours=24),
    ]

    scene.clock.advance(timedelta(minutes=10) - timedelta(microseconds=1))
    assert status_of(scene, default.code) == "open"
    scene.pay(payer.principal, scene.request(shop, 10).code)  # a fresh one still works
    scene.clock.advance(timedelta(microseconds=1))

    assert status_of(scene, default.code) == "expired"
    assert status_of(scene, short.code) == "expired"
    assert status_of(scene, long.code) == "open"
    for request in (default, short):
        assert_refused(
            scene.db,
            errors.PaymentRequestExpired,
            partial(scene.pay, payer.principal, request.code),
        )
        assert_refused(
            scene.db,
            errors.PaymentRequestExpired,
            partial(scene.cancel, shop.keeper, request.code),
        )
        # Expiry is read from the clock, never written.
        assert scene.request_row(request.id) == ("open", None)
    listed = payment_requests.list_requests(
        scene.db, scene.settings, shop.keeper, None, None, None, 50
    )
    assert {view.id: view.status for view in listed.items}[default.id] == "expired"
    assert scene.pay(payer.principal, long.code).amount == 10


@pytest.mark.parametrize(
    "lifetime", [timedelta(seconds=29), timedelta(hours=24, seconds=1), -timedelta(minutes=5)]
)
def test_a_lifetime_out_of_bounds_is_refused(
    scene: SpendingScene, shop: Shop, lifetime: timedelta
) -> None:
    assert_refused(
        scene.db, errors.InvalidExpiry, lambda: scene.request(shop, 10, lifetime=lifetime)
    )


def test_a_one_off_request_needs_a_positive_amount(scene: SpendingScene, shop: Shop) -> None:
    assert_refused(scene.db, errors.AmountRequired, lambda: scene.request(shop, None))
    for amount in (0, -5):
        assert_refused(scene.db, errors.InvalidAmount, partial(scene.request, shop, amount))


def test_the_member_sends_no_amount_for_a_one_off_request_or_the_same(
    scene: SpendingScene, shop: Shop
) -> None:
    payer = scene.member()
    request = scene.request(shop, 30)

    refused = assert_refused(
        scene.db,
        errors.AmountNotExpected,
        lambda: scene.pay(payer.principal, request.code, amount=20),
    )

    assert refused.extra == {"expected": 30}
    assert scene.pay(payer.principal, request.code, amount=30).amount == 30


def test_a_cancelled_request_cannot_be_paid_and_a_paid_one_cannot_be_cancelled(
    scene: SpendingScene, shop: Shop
) -> None:
    payer = scene.member()
    request = scene.request(shop, 30)
    other_shop = scene.shop()
    assert_refused(
        scene.db, errors.NotAccountOwner, lambda: scene.cancel(other_shop.keeper, request.code)
    )
    assert_refused(
        scene.db, errors.RoleNotAllowed, lambda: scene.cancel(payer.principal, request.code)
    )

    cancelled = scene.cancel(shop.keeper, request.code)

    assert cancelled.status == "cancelled"
    assert cancelled.resolved_at == NOON
    assert scene.request_row(request.id) == ("cancelled", None)
    assert_refused(
        scene.db, errors.PaymentRequestCancelled, lambda: scene.pay(payer.principal, request.code)
    )
    assert_refused(
        scene.db, errors.PaymentRequestCancelled, lambda: scene.cancel(shop.keeper, request.code)
    )
    paid = scene.request(shop, 30)
    scene.pay(payer.principal, paid.code)
    assert_refused(
        scene.db, errors.PaymentRequestPaid, lambda: scene.cancel(shop.keeper, paid.code)
    )
    assert_refused(
        scene.db, errors.PaymentRequestPaid, lambda: scene.cancel(scene.admin, paid.code)
    )
    assert scene.balance(payer.account_id) == 70


def test_an_unknown_code_is_not_found(scene: SpendingScene, shop: Shop) -> None:
    payer = scene.member()
    request = scene.request(shop, 30)
    for code in ("no-such-code", request.code[:-1], request.code.upper()):
        if code == request.code:
            continue
        assert_refused(
            scene.db,
            errors.PaymentRequestNotFound,
            partial(scene.pay, payer.principal, code),
        )


# --- standing requests ------------------------------------------------------------------------


def test_a_standing_request_is_paid_many_times_with_the_amount_the_member_types(
    scene: SpendingScene, shop: Shop
) -> None:
    first, second = scene.members(2)
    till = scene.standing(shop)
    assert (till.kind, till.amount, till.expires_at, till.status) == (
        "standing",
        None,
        None,
        "open",
    )

    amounts = [12, 5, 40]
    for amount in amounts:
        receipt = scene.pay(first.principal, till.code, amount)
        assert (receipt.amount, receipt.channel) == (amount, "standing")
    scene.pay(second.principal, till.code, 3)
    scene.clock.advance(timedelta(days=400))  # a standing QR never expires
    scene.pay(second.principal, till.code, 7)

    assert scene.balance(first.account_id) == 100 - sum(amounts)
    assert scene.balance(second.account_id) == 90
    assert scene.balance(shop.account_id) == sum(amounts) + 10
    assert scene.request_row(till.id) == ("open", None)
    assert status_of(scene, till.code) == "open"


def test_a_standing_request_needs_the_amount_from_the_member_never_from_the_shop(
    scene: SpendingScene, shop: Shop
) -> None:
    payer = scene.member()
    assert_refused(
        scene.db,
        errors.AmountNotExpected,
        lambda: scene.request(shop, 30, RequestKind.STANDING),
    )
    assert_refused(
        scene.db,
        errors.InvalidExpiry,
        lambda: scene.request(shop, None, RequestKind.STANDING, lifetime=timedelta(minutes=5)),
    )
    till = scene.standing(shop)

    assert_refused(scene.db, errors.AmountRequired, lambda: scene.pay(payer.principal, till.code))
    for amount in (0, -1):
        assert_refused(
            scene.db,
            errors.InvalidAmount,
            partial(scene.pay, payer.principal, till.code, amount),
        )
    assert_refused(
        scene.db, errors.InsufficientFunds, lambda: scene.pay(payer.principal, till.code, 101)
    )


def test_a_retired_standing_request_takes_no_more_payments(
    scene: SpendingScene, shop: Shop
) -> None:
    payer = scene.member()
    till = scene.standing(shop)
    scene.pay(payer.principal, till.code, 10)

    assert scene.cancel(shop.keeper, till.code).status == "cancelled"

    assert_refused(
        scene.db, errors.PaymentRequestCancelled, lambda: scene.pay(payer.principal, till.code, 5)
    )


# --- who pays from which account ------------------------------------------------------------


def test_a_shopkeeper_paying_their_own_shop_is_refused(scene: SpendingScene, shop: Shop) -> None:
    request = scene.request(shop, 30)
    scene.ledger.transfer(scene.budget_id, shop.account_id, 100)
    second_shop = scene.account(AccountKind.SHOP, shop.keeper, funds=100)

    for account_id in (shop.account_id, second_shop):
        refused = assert_refused(
            scene.db,
            errors.SelfPayment,
            partial(scene.pay, shop.keeper, request.code, account_id=account_id),
        )
        assert refused.extra == {"account_id": shop.account_id}
    # Another shop may pay this one from its own shop account.
    other = scene.shop()
    scene.ledger.transfer(scene.budget_id, other.account_id, 50)
    receipt = scene.pay(other.keeper, request.code, account_id=other.account_id)
    assert receipt.payer.account_id == other.account_id
    assert scene.balance(other.account_id) == 20


def test_a_member_pays_only_from_their_own_account_in_the_shops_currency(
    scene: SpendingScene, shop: Shop
) -> None:
    scene.ledger.currency("EUX")
    payer, stranger = scene.members(2)
    foreign = scene.account(AccountKind.MEMBER, payer.principal, currency="EUX")
    scene.ledger.transfer(scene.ledger.budget(100, "EUX").id, foreign, 100)
    request = scene.request(shop, 30)

    assert_refused(
        scene.db,
        errors.CurrencyMismatch,
        lambda: scene.pay(payer.principal, request.code, account_id=foreign),
    )
    assert_refused(
        scene.db,
        errors.NotAccountOwner,
        lambda: scene.pay(payer.principal, request.code, account_id=stranger.account_id),
    )
    assert_refused(
        scene.db,
        errors.AccountNotFound,
        lambda: scene.pay(payer.principal, request.code, account_id=999_999),
    )
    # Without naming an account the member pays from their member account in TRK.
    assert scene.pay(payer.principal, request.code).payer.account_id == payer.account_id
    assert scene.balance(foreign) == 100


def test_a_member_with_no_account_in_the_currency_and_those_who_never_pay_are_refused(
    scene: SpendingScene, shop: Shop
) -> None:
    (walletless,) = scene.people(Role.MEMBER)
    (coordinator,) = scene.people(Role.COORDINATOR)
    (auditor,) = scene.people(Role.AUDITOR)
    request = scene.request(shop, 30)

    assert_refused(scene.db, errors.NoMemberAccount, lambda: scene.pay(walletless, request.code))
    for actor in (scene.admin, coordinator, auditor):
        assert_refused(scene.db, errors.RoleNotAllowed, partial(scene.pay, actor, request.code))
    assert scene.request_row(request.id) == ("open", None)


def test_only_the_shops_keeper_or_an_admin_asks_for_payment_into_it(
    scene: SpendingScene, shop: Shop
) -> None:
    payer = scene.member()
    other = scene.shop()
    posing = Shop(other.keeper, shop.account_id)

    assert_refused(scene.db, errors.NotAccountOwner, lambda: scene.request(posing, 30))
    assert_refused(
        scene.db,
        errors.RoleNotAllowed,
        lambda: scene.request(Shop(payer.principal, shop.account_id)),
    )
    assert_refused(
        scene.db,
        errors.AccountKindNotAllowed,
        lambda: scene.request(Shop(scene.admin, payer.account_id)),
    )
    assert scene.request(Shop(scene.admin, shop.account_id)).shop_account_id == shop.account_id


def test_a_frozen_shop_neither_asks_nor_is_paid(scene: SpendingScene, shop: Shop) -> None:
    payer = scene.member()
    request = scene.request(shop, 30)
    till = scene.standing(shop)
    scene.set_status(shop.account_id, "freeze")

    assert_refused(scene.db, errors.AccountFrozen, lambda: scene.request(shop, 30))
    assert_refused(scene.db, errors.AccountFrozen, lambda: scene.pay(payer.principal, request.code))
    assert_refused(scene.db, errors.AccountFrozen, lambda: scene.pay(payer.principal, till.code, 5))

    scene.set_status(shop.account_id, "unfreeze")
    assert scene.pay(payer.principal, request.code).amount == 30


def test_a_frozen_wallet_pays_nothing(scene: SpendingScene, shop: Shop) -> None:
    payer = scene.member()
    request = scene.request(shop, 30)
    scene.set_status(payer.account_id, "freeze")

    assert_refused(scene.db, errors.AccountFrozen, lambda: scene.pay(payer.principal, request.code))
    assert scene.request_row(request.id) == ("open", None)


# --- seeing and watching a request ------------------------------------------------------------


def test_the_transaction_of_a_paid_request_is_shown_only_to_its_two_sides(
    scene: SpendingScene, shop: Shop
) -> None:
    payer, stranger = scene.members(2)
    request = scene.request(shop, 30)
    receipt = scene.pay(payer.principal, request.code)

    seen = {
        who: payment_requests.open_request(scene.db, actor, request.code).transaction_id
        for who, actor in (
            ("payer", payer.principal),
            ("shop", shop.keeper),
            ("admin", scene.admin),
            ("stranger", stranger.principal),
        )
    }

    assert seen == {
        "payer": receipt.transaction_id,
        "shop": receipt.transaction_id,
        "admin": receipt.transaction_id,
        "stranger": None,
    }
    assert (
        payment_requests.open_request(scene.db, stranger.principal, request.code).status == "paid"
    )
    with pytest.raises(errors.NotAccountOwner):
        payment_requests.get_request(scene.db, scene.settings, stranger.principal, request.code)


def test_watching_returns_the_paid_request_at_once_and_an_open_one_when_the_wait_is_up(
    scene: SpendingScene, shop: Shop
) -> None:
    payer = scene.member()
    waiting = scene.request(shop, 10)
    paid = scene.request(shop, 20)
    receipt = scene.pay(payer.principal, paid.code)

    seen = anyio.run(payment_requests.watch, scene.db, shop.keeper, paid.code, 30.0)
    still = anyio.run(payment_requests.watch, scene.db, shop.keeper, waiting.code, 0.0)

    assert (seen.status, seen.transaction_id) == ("paid", receipt.transaction_id)
    assert (still.status, still.transaction_id) == ("open", None)


# --- the database keeps a resolved request final --------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE payment_requests SET status = 'open', transaction_id = NULL WHERE id = :r",
        "UPDATE payment_requests SET amount = amount + 1 WHERE id = :r",
        "UPDATE payment_requests SET memo = 'changed' WHERE id = :r",
        "DELETE FROM payment_requests WHERE id = :r",
    ],
)
@pytest.mark.parametrize("resolution", ["paid", "cancelled"])
def test_the_database_refuses_to_change_a_resolved_request(
    scene: SpendingScene, shop: Shop, statement: str, resolution: str
) -> None:
    payer = scene.member()
    request = scene.request(shop, 30)
    if resolution == "paid":
        expected: tuple[str, int | None] = (
            "paid",
            scene.pay(payer.principal, request.code).transaction_id,
        )
    else:
        scene.cancel(shop.keeper, request.code)
        expected = ("cancelled", None)
    with scene.db.write_engine.connect() as connection:
        with pytest.raises(DBAPIError, match="final"):
            connection.execute(text(statement), {"r": request.id})
        connection.rollback()

    assert scene.request_row(request.id) == expected


def test_the_database_lets_an_open_request_change(scene: SpendingScene, shop: Shop) -> None:
    """The control of the test above: the same raw UPDATE on an open request goes through."""
    request = scene.request(shop, 30)
    with scene.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE payment_requests SET memo = 'changed' WHERE id = :r"), {"r": request.id}
        )
    assert payment_requests.open_request(scene.db, scene.admin, request.code).memo == "changed"
