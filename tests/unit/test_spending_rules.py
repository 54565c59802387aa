"""Spending rules (no database): a one-off payment request is open until it is paid, cancelled or
its expiry passes (expired from the moment of expiry, read from the clock), a standing request
never expires; a request lives 30 seconds to 24 hours; a one-off request fixes its amount and a
standing one needs the member's positive amount; a currency's single-payment and daily limits
refuse only what goes over them (the limit itself is allowed); and the refunds of a payment never
add up to more than the payment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.entries import MAX_AMOUNT
from torekes.domain.spending import (
    DEFAULT_REQUEST_LIFETIME,
    MAX_REQUEST_LIFETIME,
    MIN_REQUEST_LIFETIME,
    RequestKind,
    RequestState,
    RequestStatus,
    SpendingLimits,
    amount_to_pay,
    check_lifetime,
    check_limits,
    check_open,
    check_positive,
    check_refund,
    status_at,
)

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
EXPIRY = NOW + DEFAULT_REQUEST_LIFETIME


def one_off(
    amount: int = 250, status: RequestStatus = RequestStatus.OPEN, expires_at: datetime = EXPIRY
) -> RequestState:
    return RequestState(RequestKind.ONE_OFF, status, amount, expires_at)


def standing(status: RequestStatus = RequestStatus.OPEN) -> RequestState:
    return RequestState(RequestKind.STANDING, status, None, None)


# --- a request's status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_state", "at", "expected"),
    [
        (one_off(), NOW, RequestStatus.OPEN),
        (one_off(), EXPIRY - TICK, RequestStatus.OPEN),
        (one_off(), EXPIRY, RequestStatus.EXPIRED),
        (one_off(), EXPIRY + timedelta(days=1), RequestStatus.EXPIRED),
        (one_off(status=RequestStatus.PAID), EXPIRY + TICK, RequestStatus.PAID),
        (one_off(status=RequestStatus.CANCELLED), EXPIRY + TICK, RequestStatus.CANCELLED),
        (one_off(status=RequestStatus.PAID), NOW, RequestStatus.PAID),
        (standing(), NOW + timedelta(days=3650), RequestStatus.OPEN),
        (standing(RequestStatus.CANCELLED), NOW, RequestStatus.CANCELLED),
    ],
    ids=[
        "open",
        "a-moment-before-expiry",
        "at-expiry",
        "long-expired",
        "paid-stays-paid",
        "cancelled-stays-cancelled",
        "paid-before-expiry",
        "standing-never-expires",
        "standing-retired",
    ],
)
def test_the_status_is_read_from_the_clock(
    request_state: RequestState, at: datetime, expected: RequestStatus
) -> None:
    assert status_at(request_state, at) is expected


def test_reading_the_status_changes_nothing() -> None:
    request = one_off()
    assert status_at(request, EXPIRY) is RequestStatus.EXPIRED
    assert request.stored_status is RequestStatus.OPEN
    assert status_at(request, NOW) is RequestStatus.OPEN


@pytest.mark.parametrize(
    ("request_state", "at"),
    [(one_off(), NOW), (one_off(), EXPIRY - TICK), (standing(), NOW + timedelta(days=3650))],
    ids=["open", "a-moment-before-expiry", "standing"],
)
def test_an_open_request_may_be_paid(request_state: RequestState, at: datetime) -> None:
    check_open(request_state, at)


@pytest.mark.parametrize(
    ("request_state", "at", "error", "error_code"),
    [
        (
            one_off(status=RequestStatus.PAID),
            NOW,
            errors.PaymentRequestPaid,
            "payment_request_paid",
        ),
        (
            one_off(status=RequestStatus.CANCELLED),
            NOW,
            errors.PaymentRequestCancelled,
            "payment_request_cancelled",
        ),
        (one_off(), EXPIRY, errors.PaymentRequestExpired, "payment_request_expired"),
        (
            one_off(status=RequestStatus.PAID),
            EXPIRY + TICK,
            errors.PaymentRequestPaid,
            "payment_request_paid",
        ),
        (
            standing(RequestStatus.CANCELLED),
            NOW,
            errors.PaymentRequestCancelled,
            "payment_request_cancelled",
        ),
    ],
    ids=["paid", "cancelled", "expired", "paid-then-past-expiry", "standing-retired"],
)
def test_a_request_that_is_not_open_refuses_payment(
    request_state: RequestState, at: datetime, error: type[errors.TorekesError], error_code: str
) -> None:
    with pytest.raises(error) as caught:
        check_open(request_state, at)
    assert type(caught.value) is error
    assert caught.value.code == error_code
    assert isinstance(caught.value, errors.Conflict)


# --- a request's lifetime ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lifetime",
    [MIN_REQUEST_LIFETIME, DEFAULT_REQUEST_LIFETIME, timedelta(hours=1), MAX_REQUEST_LIFETIME],
    ids=["thirty-seconds", "default", "one-hour", "a-day"],
)
def test_lifetimes_from_thirty_seconds_to_a_day_are_accepted(lifetime: timedelta) -> None:
    check_lifetime(lifetime)


def test_the_limits_are_thirty_seconds_and_a_day_and_the_default_is_ten_minutes() -> None:
    assert timedelta(seconds=30) == MIN_REQUEST_LIFETIME
    assert timedelta(hours=24) == MAX_REQUEST_LIFETIME
    assert timedelta(minutes=10) == DEFAULT_REQUEST_LIFETIME


@pytest.mark.parametrize(
    "lifetime",
    [
        MIN_REQUEST_LIFETIME - TICK,
        MAX_REQUEST_LIFETIME + TICK,
        timedelta(0),
        timedelta(minutes=-10),
        timedelta(days=2),
    ],
    ids=["just-under-thirty-seconds", "just-over-a-day", "zero", "negative", "two-days"],
)
def test_lifetimes_outside_the_range_are_refused(lifetime: timedelta) -> None:
    with pytest.raises(errors.InvalidExpiry) as caught:
        check_lifetime(lifetime)
    assert caught.value.code == "invalid_expiry"
    assert "30 seconds to 24 hours" in caught.value.detail


# --- the amount a payment moves ------------------------------------------------------------------


def test_a_one_off_request_pays_its_own_amount() -> None:
    assert amount_to_pay(one_off(250), None) == 250


def test_a_one_off_request_accepts_its_own_amount_sent_again() -> None:
    assert amount_to_pay(one_off(250), 250) == 250


@pytest.mark.parametrize("offered", [249, 251, 1, -250, 0])
def test_a_one_off_request_refuses_any_other_amount(offered: int) -> None:
    with pytest.raises(errors.AmountNotExpected) as caught:
        amount_to_pay(one_off(250), offered)
    assert caught.value.code == "amount_not_expected"
    assert caught.value.extra == {"expected": 250}


def test_a_standing_request_needs_an_amount() -> None:
    with pytest.raises(errors.AmountRequired) as caught:
        amount_to_pay(standing(), None)
    assert caught.value.code == "amount_required"


@pytest.mark.parametrize("offered", [1, 250, MAX_AMOUNT])
def test_a_standing_request_pays_what_the_member_types(offered: int) -> None:
    assert amount_to_pay(standing(), offered) == offered


@pytest.mark.parametrize("offered", [0, -1, -250, MAX_AMOUNT + 1, True])
def test_a_standing_request_refuses_an_amount_that_is_not_positive_or_too_large(
    offered: int,
) -> None:
    with pytest.raises(errors.InvalidAmount) as caught:
        amount_to_pay(standing(), offered)
    assert caught.value.code == "invalid_amount"


@pytest.mark.parametrize("amount", [1, 2, MAX_AMOUNT])
def test_positive_amounts_within_range_are_accepted(amount: int) -> None:
    check_positive(amount)


@pytest.mark.parametrize("amount", [0, -1, -MAX_AMOUNT, MAX_AMOUNT + 1, True, False])
def test_zero_negative_too_large_or_boolean_amounts_are_refused(amount: int) -> None:
    with pytest.raises(errors.InvalidAmount):
        check_positive(amount)


@given(offered=st.integers(1, MAX_AMOUNT))
def test_a_standing_request_moves_exactly_the_amount_typed(offered: int) -> None:
    assert amount_to_pay(standing(), offered) == offered


# --- spending limits -----------------------------------------------------------------------------


def test_without_limits_any_payment_is_accepted() -> None:
    check_limits(SpendingLimits(max_payment=None, daily_limit=None), MAX_AMOUNT, MAX_AMOUNT)


def test_a_payment_of_exactly_the_single_payment_limit_is_accepted() -> None:
    check_limits(SpendingLimits(max_payment=500, daily_limit=None), 500, 10_000)


def test_a_payment_over_the_single_payment_limit_is_refused() -> None:
    with pytest.raises(errors.PaymentLimitExceeded) as caught:
        check_limits(SpendingLimits(max_payment=500, daily_limit=None), 501, 0)
    assert caught.value.code == "payment_limit_exceeded"
    assert caught.value.extra == {"limit": 500}


@pytest.mark.parametrize(("spent_today", "amount"), [(0, 1000), (999, 1), (400, 600), (0, 1)])
def test_a_payment_that_reaches_the_daily_limit_exactly_is_accepted(
    spent_today: int, amount: int
) -> None:
    check_limits(SpendingLimits(max_payment=None, daily_limit=1000), amount, spent_today)


@pytest.mark.parametrize(
    ("spent_today", "amount", "remaining"),
    [(0, 1001, 1000), (1000, 1, 0), (400, 601, 600), (999, 2, 1)],
)
def test_a_payment_that_goes_over_the_daily_limit_is_refused_with_what_remains(
    spent_today: int, amount: int, remaining: int
) -> None:
    with pytest.raises(errors.DailyLimitExceeded) as caught:
        check_limits(SpendingLimits(max_payment=None, daily_limit=1000), amount, spent_today)
    assert caught.value.code == "daily_limit_exceeded"
    assert caught.value.extra == {"limit": 1000, "remaining": remaining}


def test_what_remains_is_never_negative_when_the_day_is_already_over_the_limit() -> None:
    # A limit lowered during the day can leave a member already over it.
    with pytest.raises(errors.DailyLimitExceeded) as caught:
        check_limits(SpendingLimits(max_payment=None, daily_limit=1000), 1, 1500)
    assert caught.value.extra["remaining"] == 0


def test_the_single_payment_limit_is_checked_before_the_daily_limit() -> None:
    with pytest.raises(errors.PaymentLimitExceeded):
        check_limits(SpendingLimits(max_payment=100, daily_limit=50), 101, 50)
    with pytest.raises(errors.DailyLimitExceeded):
        check_limits(SpendingLimits(max_payment=100, daily_limit=50), 100, 0)


@given(
    limit=st.integers(1, 10**9),
    spent_today=st.integers(0, 10**9),
    amount=st.integers(1, 10**9),
)
def test_a_payment_is_refused_exactly_when_it_takes_the_day_over_the_limit(
    limit: int, spent_today: int, amount: int
) -> None:
    limits = SpendingLimits(max_payment=None, daily_limit=limit)
    if spent_today + amount > limit:
        with pytest.raises(errors.DailyLimitExceeded) as caught:
            check_limits(limits, amount, spent_today)
        assert caught.value.extra["remaining"] == max(0, limit - spent_today)
    else:
        check_limits(limits, amount, spent_today)


# --- refunds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment", "refunded", "amount"),
    [(500, 0, 500), (500, 0, 1), (500, 200, 300), (500, 499, 1)],
    ids=["whole", "one-unit", "the-rest", "the-last-unit"],
)
def test_a_refund_up_to_what_remains_is_accepted(payment: int, refunded: int, amount: int) -> None:
    check_refund(payment, refunded, amount)


@pytest.mark.parametrize(
    ("payment", "refunded", "amount", "refundable"),
    [(500, 0, 501, 500), (500, 200, 301, 300), (500, 500, 1, 0)],
    ids=["over-the-payment", "over-the-rest", "already-fully-refunded"],
)
def test_a_refund_over_what_remains_is_refused(
    payment: int, refunded: int, amount: int, refundable: int
) -> None:
    with pytest.raises(errors.RefundExceedsPayment) as caught:
        check_refund(payment, refunded, amount)
    assert caught.value.code == "refund_exceeds_payment"
    assert caught.value.extra == {"refundable": refundable}


@pytest.mark.parametrize("amount", [0, -1, True])
def test_a_refund_must_be_a_positive_whole_amount(amount: int) -> None:
    with pytest.raises(errors.InvalidAmount):
        check_refund(500, 0, amount)


@settings(max_examples=200, deadline=None)
@given(
    payment=st.integers(1, 10_000),
    asked=st.lists(st.integers(1, 5_000), max_size=20),
)
def test_accepted_refunds_never_add_up_to_more_than_the_payment(
    payment: int, asked: list[int]
) -> None:
    refunded = 0
    for amount in asked:
        remaining = payment - refunded
        if amount > remaining:
            with pytest.raises(errors.RefundExceedsPayment) as caught:
                check_refund(payment, refunded, amount)
            assert caught.value.extra == {"refundable": remaining}
        else:
            check_refund(payment, refunded, amount)
            refunded += amount
        assert 0 <= refunded <= payment


def test_a_day_already_over_its_limit_says_nothing_remains() -> None:
    # The limit was lowered after the day's payments: the message never shows a negative amount.
    with pytest.raises(errors.DailyLimitExceeded) as refused:
        check_limits(SpendingLimits(None, 1000), 1, 1500)
    assert refused.value.extra["remaining"] == 0
    assert str(refused.value) == "0 of today's 1000 remain"
