"""Four-eyes rules (no database): an entry moves what its positive postings add up to, so a
reversal moves as much as what it reverses; it needs a second administrator only when a threshold
is set and the entry moves strictly more than the threshold's whole units in minor units (the
threshold itself does not); only a pending request can be approved or rejected; and nobody
approves their own request.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.approvals import (
    ApprovalStatus,
    check_pending,
    check_second_admin,
    moved_amount,
    needs_second_admin,
)
from torekes.domain.entries import MAX_AMOUNT

# --- what an entry moves -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "moved"),
    [
        ([-50, 50], 50),  # a transfer or an issuance
        ([-100, 60, 40], 100),  # a general entry splitting one debit
        ([-60, -40, 100], 100),  # a general entry gathering two debits
        ([100, -60, -40], 100),  # the reversal of the first general entry
        ([-30, 30, -20, 20], 50),
        ([], 0),
    ],
)
def test_an_entry_moves_the_sum_of_its_positive_postings(amounts: list[int], moved: int) -> None:
    assert moved_amount(amounts) == moved


balanced_entries = st.lists(
    st.integers(-MAX_AMOUNT, MAX_AMOUNT).filter(bool), min_size=1, max_size=8
).map(lambda amounts: [*amounts, -sum(amounts)] if sum(amounts) else amounts)


@given(amounts=balanced_entries)
def test_a_reversal_moves_as_much_as_the_entry_it_reverses(amounts: list[int]) -> None:
    assert moved_amount([-amount for amount in amounts]) == moved_amount(amounts)


@given(amounts=balanced_entries)
def test_what_a_balanced_entry_moves_is_also_what_its_debits_add_up_to(amounts: list[int]) -> None:
    assert sum(amounts) == 0
    assert moved_amount(amounts) == -sum(amount for amount in amounts if amount < 0)


@given(amounts=st.lists(st.integers(-MAX_AMOUNT, MAX_AMOUNT), max_size=8))
def test_what_an_entry_moves_is_never_negative_and_ignores_its_debits(amounts: list[int]) -> None:
    moved = moved_amount(amounts)
    assert moved >= 0
    assert moved == moved_amount([amount for amount in amounts if amount > 0])


# --- the threshold -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moved", "decimals", "above", "needed"),
    [
        (10_000, 2, "100", False),  # exactly 100.00: not more than the threshold
        (10_001, 2, "100", True),  # 100.01
        (9_999, 2, "100", False),
        (100, 0, "100", False),
        (101, 0, "100", True),
        (50, 2, "0.5", False),  # a threshold with a fraction of a unit
        (51, 2, "0.5", True),
        (1, 0, "0", True),  # a threshold of zero sends every entry to a second administrator
        (10**10, 8, "100", False),
        (10**10 + 1, 8, "100", True),
        (MAX_AMOUNT, 2, "10000000000000", False),
    ],
)
def test_an_entry_needs_a_second_administrator_only_above_the_threshold(
    moved: int, decimals: int, above: str, needed: bool
) -> None:
    assert needs_second_admin(moved, decimals, Decimal(above)) is needed


@pytest.mark.parametrize("moved", [0, 1, MAX_AMOUNT])
def test_without_a_threshold_no_entry_needs_a_second_administrator(moved: int) -> None:
    assert needs_second_admin(moved, 2, None) is False


@given(moved=st.integers(0, MAX_AMOUNT), decimals=st.integers(0, 8), above=st.integers(0, 10**9))
def test_the_threshold_compares_minor_units_with_whole_units(
    moved: int, decimals: int, above: int
) -> None:
    assert needs_second_admin(moved, decimals, Decimal(above)) is (moved > above * 10**decimals)


# --- resolving a request -------------------------------------------------------------------------


def test_a_pending_request_can_be_resolved() -> None:
    check_pending(ApprovalStatus.PENDING)


@pytest.mark.parametrize("status", [ApprovalStatus.APPROVED, ApprovalStatus.REJECTED])
def test_a_resolved_request_cannot_be_resolved_again(status: ApprovalStatus) -> None:
    with pytest.raises(errors.ApprovalRequestResolved) as caught:
        check_pending(status)
    assert caught.value.code == "approval_request_resolved"
    assert isinstance(caught.value, errors.Conflict)
    assert status.value in caught.value.detail


def test_another_administrator_may_approve() -> None:
    check_second_admin(requested_by_id=3, approver_id=4)


def test_nobody_approves_their_own_request() -> None:
    with pytest.raises(errors.OwnRequestNotApprovable) as caught:
        check_second_admin(requested_by_id=3, approver_id=3)
    assert caught.value.code == "own_request_not_approvable"
    assert isinstance(caught.value, errors.Forbidden)
