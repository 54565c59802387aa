"""Posting rules per account kind and status, closing, freezing (no database)."""

from __future__ import annotations

import pytest

from torekes.domain import errors
from torekes.domain.accounts import (
    BALANCE_LIMIT,
    TRANSFERABLE_KINDS,
    USER_CREATABLE_KINDS,
    AccountKind,
    AccountState,
    AccountStatus,
    check_can_close,
    check_can_post,
    next_status,
)

FLOORED_KINDS = [kind for kind in AccountKind if kind is not AccountKind.ISSUANCE]


def state(
    kind: AccountKind = AccountKind.MEMBER,
    *,
    balance: int = 0,
    held: int = 0,
    status: AccountStatus = AccountStatus.ACTIVE,
) -> AccountState:
    return AccountState(id=42, currency_id=1, kind=kind, status=status, balance=balance, held=held)


def test_available_is_balance_minus_held() -> None:
    assert state(balance=100, held=30).available == 70


@pytest.mark.parametrize("kind", FLOORED_KINDS)
def test_floored_accounts_may_be_emptied_exactly(kind: AccountKind) -> None:
    assert check_can_post(state(kind, balance=100), -100) == 0


@pytest.mark.parametrize("kind", FLOORED_KINDS)
def test_floored_accounts_never_go_below_zero(kind: AccountKind) -> None:
    with pytest.raises(errors.InsufficientFunds) as caught:
        check_can_post(state(kind, balance=100), -101)
    assert caught.value.code == "insufficient_funds"
    assert caught.value.extra == {"account_id": 42, "available": 100}


def test_held_funds_are_not_available() -> None:
    account = state(balance=100, held=30)
    assert check_can_post(account, -70) == 30
    with pytest.raises(errors.InsufficientFunds) as caught:
        check_can_post(account, -71)
    assert caught.value.extra["available"] == 70


def test_credits_to_a_floored_account_are_accepted() -> None:
    assert check_can_post(state(balance=0), 25) == 25
    assert check_can_post(state(balance=10, held=10), 5) == 15


def test_issuance_may_go_negative() -> None:
    issuance = state(AccountKind.ISSUANCE, balance=-1_000)
    assert check_can_post(issuance, -5_000) == -6_000
    assert check_can_post(state(AccountKind.ISSUANCE), -1) == -1


def test_the_floor_is_not_skipped_for_any_kind_but_issuance() -> None:
    assert [kind for kind in AccountKind if not kind.is_floored] == [AccountKind.ISSUANCE]


@pytest.mark.parametrize("amount", [-1, 1])
def test_closed_accounts_take_no_postings(amount: int) -> None:
    with pytest.raises(errors.AccountClosed) as caught:
        check_can_post(state(balance=10, status=AccountStatus.CLOSED), amount)
    assert caught.value.code == "account_closed"


@pytest.mark.parametrize("amount", [-1, 1])
def test_frozen_accounts_take_no_postings(amount: int) -> None:
    with pytest.raises(errors.AccountFrozen) as caught:
        check_can_post(state(balance=10, status=AccountStatus.FROZEN), amount)
    assert caught.value.code == "account_frozen"


def test_balances_stay_inside_the_range() -> None:
    assert check_can_post(state(balance=BALANCE_LIMIT - 2), 1) == BALANCE_LIMIT - 1
    with pytest.raises(errors.BalanceOutOfRange):
        check_can_post(state(balance=BALANCE_LIMIT - 1), 1)
    issuance = state(AccountKind.ISSUANCE, balance=-(BALANCE_LIMIT - 1))
    with pytest.raises(errors.BalanceOutOfRange):
        check_can_post(issuance, -1)


def test_check_can_post_does_not_change_the_state() -> None:
    account = state(balance=100)
    check_can_post(account, -40)
    assert account.balance == 100


@pytest.mark.parametrize("kind", sorted(USER_CREATABLE_KINDS))
def test_an_empty_user_account_can_be_closed(kind: AccountKind) -> None:
    check_can_close(state(kind))
    check_can_close(state(kind, status=AccountStatus.FROZEN))


@pytest.mark.parametrize("kind", [AccountKind.ISSUANCE, AccountKind.REDEMPTION])
def test_system_accounts_cannot_be_closed(kind: AccountKind) -> None:
    with pytest.raises(errors.AccountKindNotAllowed):
        check_can_close(state(kind))


def test_an_account_with_a_balance_or_a_hold_cannot_be_closed() -> None:
    with pytest.raises(errors.AccountNotEmpty):
        check_can_close(state(balance=1))
    with pytest.raises(errors.AccountNotEmpty):
        check_can_close(state(balance=5, held=5))


def test_a_closed_account_cannot_be_closed_again() -> None:
    with pytest.raises(errors.AccountStatusUnchanged):
        check_can_close(state(status=AccountStatus.CLOSED))


def test_freeze_and_unfreeze() -> None:
    assert next_status(state(), "freeze") is AccountStatus.FROZEN
    assert next_status(state(status=AccountStatus.FROZEN), "unfreeze") is AccountStatus.ACTIVE


def test_freezing_twice_or_unfreezing_an_active_account_is_refused() -> None:
    with pytest.raises(errors.AccountStatusUnchanged):
        next_status(state(status=AccountStatus.FROZEN), "freeze")
    with pytest.raises(errors.AccountStatusUnchanged):
        next_status(state(), "unfreeze")


@pytest.mark.parametrize("action", ["freeze", "unfreeze"])
def test_a_closed_account_stays_closed(action: str) -> None:
    with pytest.raises(errors.AccountClosed):
        next_status(state(status=AccountStatus.CLOSED), action)


def test_kind_sets() -> None:
    assert AccountKind.ISSUANCE not in USER_CREATABLE_KINDS
    assert AccountKind.REDEMPTION not in USER_CREATABLE_KINDS
    assert {AccountKind.ISSUANCE, AccountKind.REDEMPTION}.isdisjoint(TRANSFERABLE_KINDS)
    assert TRANSFERABLE_KINDS <= USER_CREATABLE_KINDS
