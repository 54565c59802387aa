"""The error tree: every error has its own stable machine code, and the published codes hold."""

from __future__ import annotations

import re

import pytest

from torekes.domain import errors
from torekes.domain.errors import TorekesError

BRANCHES = (
    errors.InvalidInput,
    errors.NotFound,
    errors.Conflict,
    errors.Unauthenticated,
    errors.Forbidden,
    errors.RateLimited,
)

# Codes clients switch on: once published, never renamed.
PUBLISHED_CODES = {
    "InvalidInput": "invalid_input",
    "NotFound": "not_found",
    "Conflict": "conflict",
    "Unauthenticated": "not_authenticated",
    "Forbidden": "forbidden",
    "RateLimited": "too_many_attempts",
    "UnbalancedEntry": "unbalanced_entry",
    "TooFewPostings": "too_few_postings",
    "InvalidAmount": "invalid_amount",
    "DuplicateAccountInEntry": "duplicate_account",
    "InvalidIdempotencyKey": "invalid_idempotency_key",
    "AccountNotFound": "account_not_found",
    "CurrencyNotFound": "currency_not_found",
    "TransactionNotFound": "transaction_not_found",
    "UserNotFound": "user_not_found",
    "InsufficientFunds": "insufficient_funds",
    "CurrencyMismatch": "currency_mismatch",
    "AccountClosed": "account_closed",
    "AccountFrozen": "account_frozen",
    "AccountNotEmpty": "account_not_empty",
    "AlreadyReversed": "already_reversed",
    "IdempotencyKeyReused": "idempotency_key_reused",
    "InvalidCredentials": "invalid_credentials",
    "InvalidToken": "invalid_token",
    "NotAccountOwner": "not_account_owner",
    "RoleNotAllowed": "role_not_allowed",
}


def all_error_classes() -> list[type[TorekesError]]:
    found: list[type[TorekesError]] = []
    pending: list[type[TorekesError]] = [TorekesError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


ERROR_CLASSES = all_error_classes()


def test_the_tree_is_collected() -> None:
    names = {cls.__name__ for cls in ERROR_CLASSES}
    assert set(PUBLISHED_CODES) <= names
    assert len(ERROR_CLASSES) > len(BRANCHES) + 1


def test_every_error_code_is_unique() -> None:
    by_code: dict[str, list[str]] = {}
    for cls in ERROR_CLASSES:
        by_code.setdefault(cls.code, []).append(cls.__name__)
    shared = {code: names for code, names in by_code.items() if len(names) > 1}
    assert not shared, f"error codes shared by several classes: {shared}"


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_declares_its_own_code_and_title(cls: type[TorekesError]) -> None:
    # An inherited code would silently give a new error its parent's meaning.
    assert "code" in vars(cls), f"{cls.__name__} inherits its code"
    assert "title" in vars(cls), f"{cls.__name__} inherits its title"
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", cls.code), cls.code
    assert cls.title.strip()


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_belongs_to_one_branch(cls: type[TorekesError]) -> None:
    if cls is TorekesError:
        return
    assert sum(issubclass(cls, branch) for branch in BRANCHES) == 1, cls.__mro__


@pytest.mark.parametrize(("name", "code"), sorted(PUBLISHED_CODES.items()))
def test_published_codes_do_not_change(name: str, code: str) -> None:
    assert getattr(errors, name).code == code


def test_detail_defaults_to_the_title_and_extra_is_kept() -> None:
    error = errors.InsufficientFunds(account_id=3, available=7)
    assert error.detail == errors.InsufficientFunds.title
    assert str(error) == error.detail
    assert error.extra == {"account_id": 3, "available": 7}
    assert errors.AccountClosed("Account 3 is closed").detail == "Account 3 is closed"


def test_rate_limited_carries_retry_after() -> None:
    error = errors.RateLimited(retry_after=30)
    assert error.retry_after == 30
    assert error.code == "too_many_attempts"
