"""Report period rules (no database): a month is written YYYY-MM (years 1900 to 9998) and reads
back as written; a moment belongs to the month of the neighbourhood's calendar, not UTC's, and a
month starts at local midnight on the first; months are ordered, step forward over the new year
and count back any number; a report covers whole months from the first to the last inclusive, at
most 120 of them, never ending before it starts; and without a range it covers the twelve months
up to and including the current one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.reporting import (
    DEFAULT_MONTHS,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_MONTHS,
    Month,
    months_between,
    report_months,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
ZONES = [UTC, BRUSSELS, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")]
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)

months = st.builds(Month, st.integers(FIRST_YEAR, LAST_YEAR), st.integers(1, 12))
# Months whose start every zone's rules and Python's datetime can place.
recent_months = st.builds(Month, st.integers(1971, 2100), st.integers(1, 12))


def index(month: Month) -> int:
    return month.year * 12 + month.month - 1


# --- writing a month -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-11", Month(2026, 11)),
        ("2026-01", Month(2026, 1)),
        ("2026-12", Month(2026, 12)),
        (f"{FIRST_YEAR}-01", Month(1900, 1)),
        (f"{LAST_YEAR}-12", Month(9998, 12)),
    ],
)
def test_a_month_is_read_from_yyyy_mm(text: str, month: Month) -> None:
    assert Month.parse(text) == month


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026-00",
        "2026-1",
        "26-11",
        "2026/11",
        "2026-11-01",
        "202611",
        " 2026-11",
        "2026-11 ",
        "2026-11\n",
        "November 2026",
        "abcd-ef",
        "1899-12",
        "9999-01",
        "0000-01",
    ],
)
def test_anything_else_is_refused_as_a_month(text: str) -> None:
    with pytest.raises(errors.InvalidPeriod) as caught:
        Month.parse(text)
    assert caught.value.code == "invalid_period"
    assert isinstance(caught.value, errors.InvalidInput)


def test_a_month_is_written_with_four_and_two_digits() -> None:
    assert str(Month(2026, 3)) == "2026-03"
    assert str(Month(1900, 12)) == "1900-12"


@given(month=months)
def test_a_month_reads_back_as_written(month: Month) -> None:
    assert Month.parse(str(month)) == month


# --- the month of a moment -----------------------------------------------------------------------


def test_a_moment_belongs_to_the_month_on_the_local_calendar() -> None:
    # 00:30 on 1 March in Brussels (UTC+1) is still February in UTC.
    moment = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert Month.of(moment, BRUSSELS) == Month(2026, 3)
    assert Month.of(moment, UTC) == Month(2026, 2)
    # In summer time (UTC+2) the local month starts two hours before UTC's.
    summer = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    assert Month.of(summer, BRUSSELS) == Month(2026, 7)
    assert Month.of(summer - timedelta(hours=1), BRUSSELS) == Month(2026, 6)


def test_the_new_year_comes_first_east_of_utc() -> None:
    moment = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    assert Month.of(moment, BRUSSELS) == Month(2026, 1)
    assert Month.of(moment, ZoneInfo("America/New_York")) == Month(2025, 12)


def test_a_month_starts_at_local_midnight_on_the_first() -> None:
    assert Month(2026, 3).start(UTC) == datetime(2026, 3, 1, tzinfo=UTC)
    assert Month(2026, 3).start(BRUSSELS) == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert Month(2026, 4).start(BRUSSELS) == datetime(2026, 3, 31, 22, tzinfo=UTC)
    assert Month(2026, 3).start(BRUSSELS).tzinfo is UTC


@settings(max_examples=300, deadline=None)
@given(month=recent_months, zone=st.sampled_from(ZONES))
def test_a_month_runs_from_its_start_to_the_moment_before_the_next_one(
    month: Month, zone: ZoneInfo
) -> None:
    start, end = month.start(zone), month.next().start(zone)
    assert start < end
    assert Month.of(start, zone) == month
    assert Month.of(end - TICK, zone) == month
    assert Month.of(start - TICK, zone) == month.minus(1)


# --- order and steps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "following"),
    [
        (Month(2026, 1), Month(2026, 2)),
        (Month(2026, 11), Month(2026, 12)),
        (Month(2026, 12), Month(2027, 1)),
    ],
)
def test_the_next_month(month: Month, following: Month) -> None:
    assert month.next() == following


@pytest.mark.parametrize(
    ("count", "earlier"),
    [
        (0, Month(2026, 3)),
        (1, Month(2026, 2)),
        (2, Month(2026, 1)),
        (3, Month(2025, 12)),
        (11, Month(2025, 4)),
        (12, Month(2025, 3)),
        (27, Month(2023, 12)),
        (-10, Month(2027, 1)),
    ],
)
def test_counting_months_back(count: int, earlier: Month) -> None:
    assert Month(2026, 3).minus(count) == earlier


def test_months_are_ordered_by_year_then_month() -> None:
    assert Month(2025, 12) < Month(2026, 1) < Month(2026, 2)
    assert Month(2026, 2) > Month(2025, 11)
    assert sorted([Month(2026, 1), Month(2025, 12), Month(2026, 11), Month(2025, 2)]) == [
        Month(2025, 2),
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 11),
    ]


@given(month=months)
def test_the_next_month_is_later_and_one_back_is_the_month_again(month: Month) -> None:
    following = month.next()
    assert following > month
    assert 1 <= following.month <= 12
    assert index(following) == index(month) + 1
    assert following.minus(1) == month


@given(month=months, count=st.integers(0, 240))
def test_counting_back_is_stepping_forward_undone(month: Month, count: int) -> None:
    earlier = month.minus(count)
    assert 1 <= earlier.month <= 12
    assert index(month) - index(earlier) == count
    stepped = earlier
    for _ in range(count):
        stepped = stepped.next()
    assert stepped == month


@given(first=months, second=months)
def test_months_order_as_their_position_in_time(first: Month, second: Month) -> None:
    assert (first < second) is (index(first) < index(second))
    assert (first == second) is (index(first) == index(second))


# --- ranges of months ----------------------------------------------------------------------------


def test_a_range_of_one_month() -> None:
    assert months_between(Month(2026, 3), Month(2026, 3)) == [Month(2026, 3)]


def test_a_range_over_the_new_year() -> None:
    assert months_between(Month(2025, 11), Month(2026, 2)) == [
        Month(2025, 11),
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 2),
    ]


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(errors.InvalidPeriod) as caught:
        months_between(Month(2026, 3), Month(2026, 2))
    assert caught.value.code == "invalid_period"
    assert "2026-02" in caught.value.detail
    assert "2026-03" in caught.value.detail


def test_a_range_of_exactly_the_maximum_is_accepted_and_one_month_more_is_not() -> None:
    assert MAX_MONTHS == 120
    first = Month(2017, 1)
    covered = months_between(first, Month(2026, 12))
    assert len(covered) == MAX_MONTHS
    assert covered[0] == first
    assert covered[-1] == Month(2026, 12)
    with pytest.raises(errors.InvalidPeriod) as caught:
        months_between(first.minus(1), Month(2026, 12))
    assert caught.value.code == "invalid_period"


@settings(max_examples=200, deadline=None)
@given(first=months, length=st.integers(1, MAX_MONTHS))
def test_a_range_lists_every_month_once_in_order(first: Month, length: int) -> None:
    last = first.minus(1 - length)
    covered = months_between(first, last)
    assert len(covered) == length
    assert covered[0] == first
    assert covered[-1] == last
    assert all(earlier.next() == later for earlier, later in pairwise(covered))


# --- the months a report covers ------------------------------------------------------------------


def test_without_a_range_a_report_covers_the_twelve_months_up_to_now() -> None:
    covered = report_months(None, None, NOW, BRUSSELS)
    assert len(covered) == DEFAULT_MONTHS == 12
    assert covered[0] == Month(2025, 4)
    assert covered[-1] == Month(2026, 3)


def test_the_current_month_is_the_local_one() -> None:
    just_past_midnight_in_brussels = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert report_months(None, None, just_past_midnight_in_brussels, BRUSSELS)[-1] == Month(2026, 3)
    assert report_months(None, None, just_past_midnight_in_brussels, UTC)[-1] == Month(2026, 2)


def test_a_report_with_only_its_last_month_covers_the_twelve_up_to_it() -> None:
    assert report_months(None, "2025-12", NOW, BRUSSELS) == months_between(
        Month(2025, 1), Month(2025, 12)
    )


def test_a_report_with_only_its_first_month_runs_to_the_current_month() -> None:
    assert report_months("2026-01", None, NOW, BRUSSELS) == [
        Month(2026, 1),
        Month(2026, 2),
        Month(2026, 3),
    ]


def test_a_report_with_both_months_covers_them_whatever_the_clock() -> None:
    assert report_months("2020-11", "2021-02", NOW, BRUSSELS) == [
        Month(2020, 11),
        Month(2020, 12),
        Month(2021, 1),
        Month(2021, 2),
    ]


def test_empty_months_count_as_not_given() -> None:
    assert report_months("", "", NOW, BRUSSELS) == report_months(None, None, NOW, BRUSSELS)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2026-04", None),  # starts after the current month
        ("2026-03", "2026-02"),
        ("2026-13", None),
        (None, "March"),
        ("2010-01", "2026-03"),  # more than 120 months
    ],
)
def test_a_report_period_that_breaks_a_rule_is_refused(first: str | None, last: str | None) -> None:
    with pytest.raises(errors.InvalidPeriod) as caught:
        report_months(first, last, NOW, BRUSSELS)
    assert caught.value.code == "invalid_period"
