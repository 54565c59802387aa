"""Rules of form for journal entries: postings, amounts, transfers and reversals (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from torekes.domain import errors
from torekes.domain.entries import (
    GENERAL_ENTRY_KINDS,
    MAX_AMOUNT,
    Posting,
    TransactionKind,
    check_amount,
    reversal_postings,
    transfer_postings,
    validate_postings,
)


def test_a_balanced_pair_is_valid() -> None:
    validate_postings([Posting(1, -30), Posting(2, 30)])


def test_a_balanced_split_of_many_postings_is_valid() -> None:
    validate_postings([Posting(1, -100), Posting(2, 60), Posting(3, 25), Posting(4, 15)])


@pytest.mark.parametrize("postings", [[], [Posting(1, 10)]], ids=["none", "one"])
def test_fewer_than_two_postings_are_refused(postings: list[Posting]) -> None:
    with pytest.raises(errors.TooFewPostings) as caught:
        validate_postings(postings)
    assert caught.value.code == "too_few_postings"


@pytest.mark.parametrize(
    "postings",
    [
        [Posting(1, -30), Posting(2, 31)],
        [Posting(1, -30), Posting(2, 29)],
        [Posting(1, 10), Posting(2, 20)],
        [Posting(1, -100), Posting(2, 60), Posting(3, 39)],
    ],
)
def test_unbalanced_postings_are_refused(postings: list[Posting]) -> None:
    with pytest.raises(errors.UnbalancedEntry) as caught:
        validate_postings(postings)
    assert caught.value.code == "unbalanced_entry"
    assert isinstance(caught.value, errors.InvalidInput)


@pytest.mark.parametrize(
    "amount",
    [0, True, False, 1.0, 2.5, "10", None, MAX_AMOUNT + 1, -(MAX_AMOUNT + 1), 10**30],
    ids=repr,
)
def test_amounts_that_are_zero_not_whole_numbers_or_too_large_are_refused(amount: Any) -> None:
    with pytest.raises(errors.InvalidAmount):
        check_amount(amount)
    with pytest.raises(errors.InvalidAmount):
        validate_postings([Posting(1, amount), Posting(2, -1), Posting(3, 1)])


@pytest.mark.parametrize("amount", [1, -1, MAX_AMOUNT, -MAX_AMOUNT])
def test_amounts_up_to_the_limit_are_accepted(amount: int) -> None:
    check_amount(amount)
    validate_postings([Posting(1, amount), Posting(2, -amount)])


def test_a_zero_posting_is_refused_even_when_the_entry_balances() -> None:
    with pytest.raises(errors.InvalidAmount):
        validate_postings([Posting(1, -5), Posting(2, 5), Posting(3, 0)])


def test_bool_amounts_are_refused_even_when_they_would_balance() -> None:
    # True == 1 in Python; a JSON ``true`` must never become one token.
    with pytest.raises(errors.InvalidAmount):
        validate_postings([Posting(1, True), Posting(2, -1)])


def test_an_account_may_appear_only_once() -> None:
    with pytest.raises(errors.DuplicateAccountInEntry) as caught:
        validate_postings([Posting(1, -30), Posting(1, 30)])
    assert caught.value.code == "duplicate_account"
    with pytest.raises(errors.DuplicateAccountInEntry):
        validate_postings([Posting(1, -30), Posting(2, 20), Posting(1, 10)])


def test_transfer_postings_debit_the_source_and_credit_the_target() -> None:
    postings = transfer_postings(7, 9, 25)
    assert postings == [Posting(7, -25), Posting(9, 25)]
    validate_postings(postings)


@pytest.mark.parametrize("amount", [0, -1, -100])
def test_transfer_postings_need_a_positive_amount(amount: int) -> None:
    with pytest.raises(errors.InvalidAmount):
        transfer_postings(7, 9, amount)


def test_reversal_postings_are_the_exact_opposite() -> None:
    original = [Posting(1, -100), Posting(2, 60), Posting(3, 40)]
    reversal = reversal_postings(original)
    assert reversal == [Posting(1, 100), Posting(2, -60), Posting(3, -40)]
    validate_postings(reversal)
    # Each account nets to zero across the original and its reversal.
    net: dict[int, int] = {}
    for posting in [*original, *reversal]:
        net[posting.account_id] = net.get(posting.account_id, 0) + posting.amount
    assert set(net.values()) == {0}


def test_reversing_a_reversal_gives_back_the_original() -> None:
    original = [Posting(1, -5), Posting(2, 5)]
    assert reversal_postings(reversal_postings(original)) == original


def test_reversal_is_not_a_general_entry_kind() -> None:
    assert TransactionKind.REVERSAL not in GENERAL_ENTRY_KINDS
    assert TransactionKind.TRANSFER in GENERAL_ENTRY_KINDS


def test_postings_are_immutable() -> None:
    posting = Posting(1, 10)
    with pytest.raises(AttributeError):
        posting.amount = 20  # type: ignore[misc]
