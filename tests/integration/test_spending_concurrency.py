"""Racing payments, refunds and PIN attempts on real threads against the real database.

Every thread waits at a barrier so that all of them pay (or refund, or try a PIN) at once; each
records what it got back or what it raised. The tests count the outcomes exactly, insist that
nothing but the expected refusals was raised (no "database is locked", no integrity error, no
deadlock), and then check balances, payments, refunds, requests and the ledger with SQL. Most run
with one shared ``Database`` and with one ``Database`` per thread (like separate service
processes), where no lock inside one ``Database`` object can be what keeps the writers apart.
"""

from __future__ import annotations

import itertools
import threading

import pytest

from tests.integration.conftest import Engines
from tests.integration.spending_support import (
    PIN,
    WRONG_PIN,
    SpendingScene,
    scalar,
)
from tests.integration.threads import (
    JOIN_LIMIT_SECONDS,
    Outcome,
    failures,
    run_concurrently,
    successes,
    unexpected,
)
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.cards import MAX_PIN_FAILURES
from torekes.kit import security
from torekes.kit.unit_of_work import write
from torekes.spending import cards, payment_requests
from torekes.spending.read_models import CardView, ReceiptView

separate_param = pytest.mark.parametrize(
    "separate", [False, True], ids=["one-engine", "engine-per-thread"]
)


def errors_of(outcomes: list[Outcome], kind: type[BaseException]) -> list[BaseException]:
    return [error for error in failures(outcomes) if type(error) is kind]


@separate_param
def test_twenty_members_paying_one_request_at_once_are_charged_once(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    shop = scene.shop()
    request = scene.request(shop, 30)
    payers = scene.members(20)
    databases = engines(separate, 20)

    outcomes = run_concurrently(
        20, lambda i: scene.pay(payers[i].principal, request.code, db=databases[i])
    )

    assert unexpected(outcomes, errors.PaymentRequestPaid) == []
    paid: list[ReceiptView] = successes(outcomes)
    assert len(paid) == 1
    assert len(errors_of(outcomes, errors.PaymentRequestPaid)) == 19
    winner = next(p for p in payers if p.account_id == paid[0].payer.account_id)
    assert scene.balance(winner.account_id) == 70
    assert sum(scene.balance(p.account_id) for p in payers) == 20 * 100 - 30
    assert scene.balance(shop.account_id) == 30
    assert scene.request_row(request.id) == ("paid", paid[0].transaction_id)
    assert scene.count("payments") == 1


@separate_param
def test_a_shop_cancelling_while_members_pay_either_cancels_or_is_paid_once(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    shop = scene.shop()
    request = scene.request(shop, 30)
    payers = scene.members(9)
    databases = engines(separate, 10)

    def act(index: int) -> object:
        if index == 9:
            return write(
                databases[index],
                shop.keeper,
                lambda ctx: payment_requests.cancel(ctx, scene.settings, request.code),
            )
        return scene.pay(payers[index].principal, request.code, db=databases[index])

    outcomes = run_concurrently(10, act)

    allowed = (errors.PaymentRequestPaid, errors.PaymentRequestCancelled)
    assert unexpected(outcomes, *allowed) == []
    assert len(successes(outcomes)) == 1
    status, transaction_id = scene.request_row(request.id)
    cancelled = outcomes[9].error is None
    assert status == ("cancelled" if cancelled else "paid")
    assert scene.count("payments") == (0 if cancelled else 1)
    assert scene.balance(shop.account_id) == (0 if cancelled else 30)
    assert (transaction_id is None) is cancelled


@separate_param
def test_a_member_with_100_racing_ten_payments_of_30_at_ten_shops_makes_three(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    shops = scene.shops(10)
    requests = [scene.request(shop, 30) for shop in shops]
    payer = scene.member(100)
    databases = engines(separate, 10)

    outcomes = run_concurrently(
        10, lambda i: scene.pay(payer.principal, requests[i].code, db=databases[i])
    )

    assert unexpected(outcomes, errors.InsufficientFunds) == []
    assert len(successes(outcomes)) == 3
    assert len(errors_of(outcomes, errors.InsufficientFunds)) == 7
    assert scene.balance(payer.account_id) == 10
    assert sum(scene.balance(shop.account_id) for shop in shops) == 90
    # The refused requests stay open, to be paid by someone who can.
    statuses = [scene.request_row(request.id)[0] for request in requests]
    assert sorted(statuses) == ["open"] * 7 + ["paid"] * 3
    assert scene.count("payments") == 3


@separate_param
def test_ten_refunds_of_30_racing_on_a_payment_of_100_return_exactly_90(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    shop = scene.shop()
    payer = scene.member(100)
    payment = scene.paid(payer, shop, 100)
    databases = engines(separate, 10)

    outcomes = run_concurrently(
        10,
        lambda i: scene.refund(shop.keeper, payment.transaction_id, 30, f"r{i}", databases[i]),
    )

    assert unexpected(outcomes, errors.RefundExceedsPayment) == []
    refunds: list[ReceiptView] = successes(outcomes)
    assert len(refunds) == 3
    refused = errors_of(outcomes, errors.RefundExceedsPayment)
    assert len(refused) == 7
    assert all(
        isinstance(e, errors.TorekesError) and e.extra == {"refundable": 10} for e in refused
    )
    assert scene.refunded(payment.transaction_id) == 90
    assert scene.balance(payer.account_id) == 90
    assert scene.balance(shop.account_id) == 10
    assert scene.count("refunds") == 3


@separate_param
def test_full_refunds_and_a_reversal_racing_on_one_payment_return_it_once(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    """Full refunds (no amount) from the shop and a reversal by an administrator, all at once:
    whichever comes first, the member gets the payment back exactly once."""
    shop = scene.shop()
    payer = scene.member(100)
    payment = scene.paid(payer, shop, 60)
    databases = engines(separate, 8)

    def act(index: int) -> object:
        if index == 0:
            return scene.reverse(payment.transaction_id, databases[index])
        return scene.refund(shop.keeper, payment.transaction_id, db=databases[index])

    outcomes = run_concurrently(8, act)

    allowed = (errors.RefundExceedsPayment, errors.AlreadyReversed, errors.PaymentHasRefunds)
    assert unexpected(outcomes, *allowed) == []
    assert len(successes(outcomes)) == 1
    assert scene.balance(payer.account_id) == 100
    assert scene.balance(shop.account_id) == 0
    reversed_it = outcomes[0].error is None
    assert scene.refunded(payment.transaction_id) == (0 if reversed_it else 60)
    assert scene.count("refunds") == (0 if reversed_it else 1)


@separate_param
def test_twelve_wrong_pins_at_once_lock_the_card_after_at_most_five_tries(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    shop = scene.shop()
    holder = scene.member(100)
    card = scene.card(holder.id)
    databases = engines(separate, 12)
    guesses = [f"{1000 + i}" for i in range(12)]  # none of them is the PIN

    outcomes = run_concurrently(
        12, lambda i: scene.charge(shop, card.code, guesses[i], 10, db=databases[i])
    )

    # A try refused while five others were still being checked is told the card is busy; once
    # they are found wrong, the card is locked.
    assert unexpected(outcomes, errors.WrongPin, errors.CardLocked, errors.CardBusy) == []
    wrong = errors_of(outcomes, errors.WrongPin)
    evaluated = scene.attempts(card_id=card.id)
    assert sum(evaluated.values()) <= 5
    assert evaluated == {"wrong": len(wrong)}
    refused = errors_of(outcomes, errors.CardLocked) + errors_of(outcomes, errors.CardBusy)
    assert len(wrong) + len(refused) == 12
    status, failures_count, locked = scene.card_state(card.id)
    assert (status, failures_count, locked) == ("active", 5, True)
    # The right PIN is now refused too, and nothing was ever charged.
    with pytest.raises(errors.CardLocked):
        scene.charge(shop, card.number, PIN, 10)
    assert scene.balance(holder.account_id) == 100
    assert scene.count("payments") == 0


@separate_param
def test_eight_right_pins_at_once_are_never_told_the_card_is_locked(
    scene: SpendingScene, engines: Engines, separate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each try is counted in advance, so eight at once fill the card's five tries in flight; a
    try beyond them is told the card is busy (try again), never that it is locked, and every
    right PIN leaves the card as it was. The first five PIN checks wait until the other three
    tries have been answered, so those surely come while five are in flight."""
    shop = scene.shop()
    holder = scene.member(1_000)
    card = scene.card(holder.id)
    databases = engines(separate, 8)
    checked = itertools.count()
    others = itertools.count(1)
    others_answered = threading.Event()
    checking = threading.local()
    verify = security.verify_pin

    def slow_check(pepper: bytes, pin_hash: str, pin: str) -> bool:
        if next(checked) < MAX_PIN_FAILURES:
            checking.first = True
            assert others_answered.wait(JOIN_LIMIT_SECONDS)
        return verify(pepper, pin_hash, pin)

    def pay(index: int) -> ReceiptView:
        try:
            return scene.charge(shop, card.number, PIN, 10, db=databases[index])
        finally:
            if not getattr(checking, "first", False) and next(others) == 8 - MAX_PIN_FAILURES:
                others_answered.set()

    monkeypatch.setattr(security, "verify_pin", slow_check)
    outcomes = run_concurrently(8, pay)

    assert errors_of(outcomes, errors.CardLocked) == []
    assert unexpected(outcomes, errors.CardBusy) == []
    paid = len(successes(outcomes))
    assert (paid, len(errors_of(outcomes, errors.CardBusy))) == (5, 3)
    assert scene.balance(holder.account_id) == 1_000 - 10 * paid
    assert scene.count("payments") == paid
    assert scene.card_state(card.id) == ("active", 0, False)
    assert scene.attempts(card_id=card.id) == {"right": paid}
    scene.charge(shop, card.number, PIN, 10)  # and the card pays on


@separate_param
def test_payments_racing_against_a_daily_limit_never_overshoot_it(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    scene.limits(None, 100)
    shops = scene.shops(2)
    tills = [scene.standing(shop) for shop in shops]
    payer = scene.member(1_000)
    databases = engines(separate, 10)

    outcomes = run_concurrently(
        10, lambda i: scene.pay(payer.principal, tills[i % 2].code, 30, db=databases[i])
    )

    assert unexpected(outcomes, errors.DailyLimitExceeded) == []
    assert len(successes(outcomes)) == 3
    assert len(errors_of(outcomes, errors.DailyLimitExceeded)) == 7
    assert scene.balance(payer.account_id) == 1_000 - 90
    spent = scalar(
        scene.db,
        "SELECT SUM(amount) FROM payments WHERE payer_account_id = :a",
        a=payer.account_id,
    )
    assert spent == 90


@separate_param
def test_card_payments_and_qr_payments_racing_on_one_wallet_never_overdraw_it(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    """Two card charges with the right PIN and eight standing-QR payments of one member with
    100, all of 30 at once: three go through, whatever the channel."""
    shop, till_shop = scene.shops(2)
    till = scene.standing(till_shop)
    payer = scene.member(100)
    card = scene.card(payer.id)
    databases = engines(separate, 10)

    def spend(index: int) -> ReceiptView:
        if index < 2:
            return scene.charge(shop, card.number, PIN, 30, db=databases[index])
        return scene.pay(payer.principal, till.code, 30, db=databases[index])

    outcomes = run_concurrently(10, spend)

    assert unexpected(outcomes, errors.InsufficientFunds) == []
    assert len(successes(outcomes)) == 3
    assert scene.balance(payer.account_id) == 10
    assert scene.balance(shop.account_id) + scene.balance(till_shop.account_id) == 90
    # Right PINs leave the card as it was: unlocked, no failure counted.
    assert scene.card_state(card.id) == ("active", 0, False)


@separate_param
def test_wrong_pins_on_many_cards_at_one_shop_stop_at_the_shop_limit(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    """The per-shop limit on wrong PINs holds under concurrency too: ten wrong PINs at once on
    ten different cards, with the shop allowed three failures, get three PINs evaluated."""
    strict = scene.settings.model_copy(update={"pin_shop_max_failures": 3})
    shop = scene.shop()
    holders = scene.members(10)
    issued: list[CardView] = [scene.card(holder.id) for holder in holders]
    databases = engines(separate, 10)

    outcomes = run_concurrently(
        10,
        lambda i: scene.charge(
            shop, issued[i].number, WRONG_PIN, 10, db=databases[i], settings=strict
        ),
    )

    assert unexpected(outcomes, errors.WrongPin, errors.RateLimited) == []
    assert len(errors_of(outcomes, errors.RateLimited)) == 7
    assert scene.attempts(shop=shop) == {"wrong": 3}


@separate_param
def test_one_member_issued_a_card_by_several_admins_at_once_gets_one(
    scene: SpendingScene, engines: Engines, separate: bool
) -> None:
    holder = scene.member()
    admins = scene.people(Role.ADMIN, 6)
    databases = engines(separate, 6)

    outcomes = run_concurrently(
        6,
        lambda i: write(
            databases[i],
            admins[i],
            lambda ctx: cards.issue_card(ctx, scene.settings, holder.id, PIN),
        ),
    )

    assert unexpected(outcomes, errors.MemberHasCard) == []
    assert len(successes(outcomes)) == 1
    assert scene.count("member_cards") == 1
