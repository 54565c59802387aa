"""Earning rules (no database): an activity's settings must agree with each other; a fixed reward
pays its amount and a per-hour reward pays the hours (at most two decimals, up to the activity's
maximum) times the rate, rounded half up and never below one unit; a claim code is refused when
revoked, expired or used up (in that order); an activity takes claims only while active and inside
its window (start inclusive, end exclusive); the limits refuse a claim at capacity, at the member's
total and at the member's daily or weekly limit (in that order); a period starts at local midnight
on the day or on Monday; and an activity moves between active, paused and closed only as allowed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.earning import (
    MAX_HOURS_PER_CLAIM,
    ActivityRules,
    ActivityStatus,
    ClaimCounts,
    CodeKind,
    CodeState,
    RewardKind,
    check_activity_open,
    check_code_usable,
    check_limits,
    next_activity_status,
    reward_for,
)
from torekes.domain.periods import LimitPeriod, period_start

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)  # a Saturday
TICK = timedelta(microseconds=1)
BRUSSELS = ZoneInfo("Europe/Brussels")
ZONES = [UTC, BRUSSELS, ZoneInfo("America/Los_Angeles"), ZoneInfo("Pacific/Kiritimati")]


def rules(**changes: Any) -> ActivityRules:
    base = ActivityRules(
        reward_kind=RewardKind.FIXED,
        reward_amount=10,
        max_hours=None,
        capacity=None,
        per_member_limit=None,
        period_limit=None,
        period=None,
        valid_from=None,
        valid_until=None,
        status=ActivityStatus.ACTIVE,
    )
    return dataclasses.replace(base, **changes)


def per_hour(rate: int, max_hours: str = "8") -> ActivityRules:
    return rules(reward_kind=RewardKind.PER_HOUR, reward_amount=rate, max_hours=Decimal(max_hours))


def code(
    kind: CodeKind = CodeKind.MULTI,
    *,
    max_uses: int = 3,
    uses: int = 0,
    expires_at: datetime | None = None,
    revoked: bool = False,
) -> CodeState:
    return CodeState(
        kind=kind, max_uses=max_uses, uses=uses, expires_at=expires_at, revoked=revoked
    )


def counts(
    activity_total: int = 0, member_total: int = 0, member_in_period: int = 0
) -> ClaimCounts:
    return ClaimCounts(activity_total, member_total, member_in_period)


# --- an activity's settings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "activity",
    [
        rules(),
        per_hour(12),
        rules(period=LimitPeriod.DAY, period_limit=1),
        rules(period=LimitPeriod.WEEK, period_limit=3, capacity=10, per_member_limit=2),
        rules(valid_from=NOW, valid_until=NOW + TICK),
        rules(valid_from=NOW),
        rules(valid_until=NOW),
        rules(reward_amount=1),
    ],
    ids=[
        "fixed",
        "per-hour",
        "daily",
        "weekly",
        "shortest-window",
        "open-ended",
        "no-start",
        "one",
    ],
)
def test_consistent_settings_are_accepted(activity: ActivityRules) -> None:
    activity.check_consistent()


@pytest.mark.parametrize(
    "activity",
    [
        rules(reward_amount=0),
        rules(reward_amount=-5),
        rules(reward_kind=RewardKind.PER_HOUR, reward_amount=12, max_hours=None),
        rules(period=LimitPeriod.DAY),
        rules(period_limit=2),
        rules(valid_from=NOW, valid_until=NOW),
        rules(valid_from=NOW, valid_until=NOW - TICK),
    ],
    ids=[
        "zero-reward",
        "negative-reward",
        "per-hour-without-maximum",
        "period-without-limit",
        "limit-without-period",
        "empty-window",
        "window-ends-before-it-starts",
    ],
)
def test_contradictory_settings_are_refused(activity: ActivityRules) -> None:
    with pytest.raises(errors.InvalidActivity) as caught:
        activity.check_consistent()
    assert caught.value.code == "invalid_activity"
    assert isinstance(caught.value, errors.InvalidInput)


# --- rewards -------------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [None, Decimal("0.01"), Decimal(3), MAX_HOURS_PER_CLAIM])
def test_a_fixed_reward_pays_its_amount_whatever_the_hours(hours: Decimal | None) -> None:
    assert reward_for(rules(reward_amount=25), hours) == 25


@pytest.mark.parametrize(
    ("rate", "hours", "expected"),
    [
        (10, "1", 10),
        (10, "1.5", 15),
        (10, "8", 80),
        (10, "0.25", 3),  # 2.5 rounds half up
        (10, "0.24", 2),  # 2.4 rounds down
        (3, "0.5", 2),  # 1.5 rounds half up
        (1, "2.49", 2),
        (1, "2.5", 3),
        (1, "0.5", 1),  # exactly half a unit earns one
        (7, "0.08", 1),  # 0.56 rounds up to one
        (1000, "0.01", 10),
    ],
)
def test_a_per_hour_reward_is_rate_times_hours_rounded_half_up(
    rate: int, hours: str, expected: int
) -> None:
    assert reward_for(per_hour(rate), Decimal(hours)) == expected


def test_a_per_hour_reward_needs_the_hours() -> None:
    with pytest.raises(errors.HoursRequired) as caught:
        reward_for(per_hour(10), None)
    assert caught.value.code == "hours_required"


@pytest.mark.parametrize(("rate", "hours"), [(1, "0.49"), (1, "0.01"), (5, "0.09"), (10, "0.04")])
def test_hours_that_earn_less_than_one_unit_are_refused(rate: int, hours: str) -> None:
    with pytest.raises(errors.HoursOutOfRange) as caught:
        reward_for(per_hour(rate), Decimal(hours))
    assert caught.value.code == "hours_out_of_range"


def test_hours_up_to_the_activity_maximum_are_accepted_and_one_hundredth_more_is_not() -> None:
    activity = per_hour(10, max_hours="4")
    assert reward_for(activity, Decimal("4")) == 40
    assert reward_for(activity, Decimal("4.00")) == 40
    with pytest.raises(errors.HoursOutOfRange):
        reward_for(activity, Decimal("4.01"))


@pytest.mark.parametrize("hours", ["0", "0.00", "-1", "-0.01"])
def test_hours_must_be_positive(hours: str) -> None:
    with pytest.raises(errors.HoursOutOfRange) as caught:
        reward_for(per_hour(10), Decimal(hours))
    assert caught.value.code == "hours_out_of_range"


@pytest.mark.parametrize("hours", ["1.001", "0.005", "2.125"])
def test_hours_take_at_most_two_decimals(hours: str) -> None:
    with pytest.raises(errors.HoursOutOfRange):
        reward_for(per_hour(10), Decimal(hours))


@pytest.mark.parametrize("hours", ["1.25", "0.1", "3"])
def test_hours_with_up_to_two_decimals_are_accepted(hours: str) -> None:
    assert reward_for(per_hour(100), Decimal(hours)) == int(Decimal(hours) * 100)


def test_hours_sent_with_a_fixed_reward_are_still_checked_against_the_daily_maximum() -> None:
    assert reward_for(rules(), MAX_HOURS_PER_CLAIM) == 10
    with pytest.raises(errors.HoursOutOfRange):
        reward_for(rules(), MAX_HOURS_PER_CLAIM + Decimal("0.01"))
    with pytest.raises(errors.HoursOutOfRange):
        reward_for(rules(), Decimal("1.005"))


@settings(max_examples=300, deadline=None)
@given(rate=st.integers(1, 10**6), hundredths=st.integers(1, 2400))
def test_a_per_hour_reward_is_the_exact_product_rounded_half_up(rate: int, hundredths: int) -> None:
    hours = Decimal(hundredths).scaleb(-2)
    # rate * hundredths / 100, rounded half up, in whole-number arithmetic.
    expected = (2 * rate * hundredths + 100) // 200
    activity = per_hour(rate, max_hours="24")
    if expected < 1:
        with pytest.raises(errors.HoursOutOfRange):
            reward_for(activity, hours)
    else:
        assert reward_for(activity, hours) == expected


@settings(max_examples=200, deadline=None)
@given(rate=st.integers(1, 1000), first=st.integers(50, 2400), second=st.integers(50, 2400))
def test_more_hours_never_earn_less(rate: int, first: int, second: int) -> None:
    low, high = sorted([first, second])
    activity = per_hour(rate, max_hours="24")
    assert reward_for(activity, Decimal(low).scaleb(-2)) <= reward_for(
        activity, Decimal(high).scaleb(-2)
    )


# --- claim codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "usable",
    [
        code(),
        code(uses=2),
        code(CodeKind.SINGLE, max_uses=1, uses=0),
        code(expires_at=NOW + TICK),
    ],
    ids=["fresh", "one-use-left", "single-unused", "expires-a-moment-later"],
)
def test_a_usable_code_is_accepted(usable: CodeState) -> None:
    check_code_usable(usable, NOW)


@pytest.mark.parametrize(
    ("state", "error", "error_code"),
    [
        (code(revoked=True), errors.CodeRevoked, "code_revoked"),
        (code(expires_at=NOW), errors.CodeExpired, "code_expired"),
        (code(expires_at=NOW - TICK), errors.CodeExpired, "code_expired"),
        (code(CodeKind.SINGLE, max_uses=1, uses=1), errors.CodeAlreadyUsed, "code_already_used"),
        (code(uses=3), errors.CodeExhausted, "code_exhausted"),
        (code(uses=4), errors.CodeExhausted, "code_exhausted"),
        # The order: revoked before expired before used up.
        (
            code(CodeKind.SINGLE, max_uses=1, uses=1, expires_at=NOW, revoked=True),
            errors.CodeRevoked,
            "code_revoked",
        ),
        (code(uses=3, expires_at=NOW), errors.CodeExpired, "code_expired"),
    ],
    ids=[
        "revoked",
        "expires-now",
        "expired",
        "single-used",
        "multi-used-up",
        "multi-over-used",
        "revoked-first",
        "expired-before-used-up",
    ],
)
def test_an_unusable_code_is_refused_with_its_reason(
    state: CodeState, error: type[errors.TorekesError], error_code: str
) -> None:
    with pytest.raises(error) as caught:
        check_code_usable(state, NOW)
    assert type(caught.value) is error
    assert caught.value.code == error_code
    assert isinstance(caught.value, errors.Conflict)


# --- an activity open for claims -----------------------------------------------------------------


@pytest.mark.parametrize(
    "activity",
    [
        rules(),
        rules(valid_from=NOW),
        rules(valid_until=NOW + TICK),
        rules(valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=1)),
    ],
    ids=["no-window", "starts-now", "ends-a-moment-later", "inside-window"],
)
def test_an_active_activity_inside_its_window_is_open(activity: ActivityRules) -> None:
    check_activity_open(activity, NOW)


@pytest.mark.parametrize(
    ("activity", "error", "error_code"),
    [
        (rules(status=ActivityStatus.CLOSED), errors.ActivityClosed, "activity_closed"),
        (rules(status=ActivityStatus.PAUSED), errors.ActivityPaused, "activity_paused"),
        (rules(valid_from=NOW + TICK), errors.ActivityNotOpen, "activity_not_open"),
        (rules(valid_until=NOW), errors.ActivityNotOpen, "activity_not_open"),
        (rules(valid_until=NOW - TICK), errors.ActivityNotOpen, "activity_not_open"),
        # The status is reported before the window.
        (
            rules(status=ActivityStatus.CLOSED, valid_until=NOW - TICK),
            errors.ActivityClosed,
            "activity_closed",
        ),
        (
            rules(status=ActivityStatus.PAUSED, valid_from=NOW + TICK),
            errors.ActivityPaused,
            "activity_paused",
        ),
    ],
    ids=[
        "closed",
        "paused",
        "not-started",
        "ends-now",
        "ended",
        "closed-and-ended",
        "paused-and-not-started",
    ],
)
def test_an_activity_not_open_refuses_claims(
    activity: ActivityRules, error: type[errors.TorekesError], error_code: str
) -> None:
    with pytest.raises(error) as caught:
        check_activity_open(activity, NOW)
    assert type(caught.value) is error
    assert caught.value.code == error_code


# --- limits --------------------------------------------------------------------------------------


def test_without_limits_any_number_of_claims_is_accepted() -> None:
    check_limits(rules(), counts(10**9, 10**9, 10**9))


@pytest.mark.parametrize(
    ("activity", "so_far"),
    [
        (rules(capacity=5), counts(activity_total=4)),
        (rules(per_member_limit=2), counts(activity_total=40, member_total=1)),
        (rules(period=LimitPeriod.DAY, period_limit=1), counts(9, 9, 0)),
        (rules(period=LimitPeriod.WEEK, period_limit=3), counts(9, 9, 2)),
    ],
    ids=["capacity", "per-member", "daily", "weekly"],
)
def test_one_claim_below_each_limit_is_accepted(
    activity: ActivityRules, so_far: ClaimCounts
) -> None:
    check_limits(activity, so_far)


@pytest.mark.parametrize(
    ("activity", "so_far", "error", "error_code"),
    [
        (rules(capacity=5), counts(activity_total=5), errors.ActivityFull, "activity_full"),
        (
            rules(per_member_limit=2),
            counts(activity_total=2, member_total=2),
            errors.MemberLimitReached,
            "member_limit_reached",
        ),
        (
            rules(period=LimitPeriod.DAY, period_limit=1),
            counts(1, 1, 1),
            errors.MemberDailyLimitReached,
            "member_daily_limit_reached",
        ),
        (
            rules(period=LimitPeriod.WEEK, period_limit=3),
            counts(3, 3, 3),
            errors.MemberWeeklyLimitReached,
            "member_weekly_limit_reached",
        ),
        # The order: capacity, then the member's total, then the period.
        (
            rules(capacity=1, per_member_limit=1, period=LimitPeriod.DAY, period_limit=1),
            counts(1, 1, 1),
            errors.ActivityFull,
            "activity_full",
        ),
        (
            rules(capacity=9, per_member_limit=1, period=LimitPeriod.WEEK, period_limit=1),
            counts(1, 1, 1),
            errors.MemberLimitReached,
            "member_limit_reached",
        ),
    ],
    ids=["capacity", "per-member", "daily", "weekly", "capacity-first", "member-before-period"],
)
def test_a_claim_at_a_limit_is_refused(
    activity: ActivityRules,
    so_far: ClaimCounts,
    error: type[errors.TorekesError],
    error_code: str,
) -> None:
    with pytest.raises(error) as caught:
        check_limits(activity, so_far)
    assert type(caught.value) is error
    assert caught.value.code == error_code


# --- limit periods -------------------------------------------------------------------------------


def test_a_day_starts_at_local_midnight() -> None:
    assert period_start(NOW, LimitPeriod.DAY, UTC) == datetime(2026, 3, 14, tzinfo=UTC)
    # 23:30 UTC is already 00:30 on the next day in Brussels (UTC+1 in March).
    late = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    assert period_start(late, LimitPeriod.DAY, UTC) == datetime(2026, 3, 14, tzinfo=UTC)
    assert period_start(late, LimitPeriod.DAY, BRUSSELS) == datetime(2026, 3, 14, 23, tzinfo=UTC)


def test_a_week_starts_at_midnight_on_monday() -> None:
    monday = datetime(2026, 3, 9, tzinfo=UTC)
    assert period_start(NOW, LimitPeriod.WEEK, UTC) == monday
    assert period_start(monday, LimitPeriod.WEEK, UTC) == monday
    assert period_start(monday - TICK, LimitPeriod.WEEK, UTC) == monday - timedelta(days=7)
    sunday_night = datetime(2026, 3, 15, 23, 59, 59, tzinfo=UTC)
    assert period_start(sunday_night, LimitPeriod.WEEK, UTC) == monday


def test_a_week_that_crosses_into_summer_time_starts_at_local_midnight() -> None:
    # Brussels moves to UTC+2 on Sunday 29 March 2026; the next week starts on Monday 30 March
    # at 00:00 local time, which is 22:00 UTC on the Sunday.
    tuesday = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert period_start(tuesday, LimitPeriod.WEEK, BRUSSELS) == datetime(
        2026, 3, 29, 22, tzinfo=UTC
    )
    # And the week before, still in winter time, started at 23:00 UTC on Sunday 22 March.
    sunday = datetime(2026, 3, 29, 12, tzinfo=UTC)
    assert period_start(sunday, LimitPeriod.WEEK, BRUSSELS) == datetime(2026, 3, 22, 23, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    period=st.sampled_from(list(LimitPeriod)),
    zone=st.sampled_from(ZONES),
)
def test_a_period_starts_at_a_local_midnight_at_or_before_the_moment(
    moment: datetime, period: LimitPeriod, zone: ZoneInfo
) -> None:
    start = period_start(moment, period, zone)
    local_start = start.astimezone(zone)
    assert start <= moment
    assert local_start.time() == time.min
    if period is LimitPeriod.DAY:
        assert local_start.date() == moment.astimezone(zone).date()
    else:
        assert local_start.weekday() == 0
        assert moment.astimezone(zone).date() - local_start.date() < timedelta(days=7)
    assert period_start(start, period, zone) == start


# --- an activity's status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        (ActivityStatus.ACTIVE, "pause", ActivityStatus.PAUSED),
        (ActivityStatus.PAUSED, "resume", ActivityStatus.ACTIVE),
        (ActivityStatus.ACTIVE, "close", ActivityStatus.CLOSED),
        (ActivityStatus.PAUSED, "close", ActivityStatus.CLOSED),
    ],
)
def test_allowed_status_changes(
    current: ActivityStatus, action: str, expected: ActivityStatus
) -> None:
    assert next_activity_status(current, action) is expected


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (ActivityStatus.PAUSED, "pause"),
        (ActivityStatus.CLOSED, "pause"),
        (ActivityStatus.ACTIVE, "resume"),
        (ActivityStatus.CLOSED, "resume"),
        (ActivityStatus.CLOSED, "close"),
    ],
)
def test_refused_status_changes(current: ActivityStatus, action: str) -> None:
    with pytest.raises(errors.ActivityStatusUnchanged) as caught:
        next_activity_status(current, action)
    assert caught.value.code == "activity_status_unchanged"
    assert current.value in caught.value.detail
