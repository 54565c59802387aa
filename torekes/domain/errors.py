"""The domain's error tree, each error carrying a stable machine ``code``.

    TorekesError
    ├── InvalidInput            the request breaks a rule of form (unbalanced entry, bad key, ...)
    ├── NotFound                an id names nothing (or nothing the caller may see)
    ├── Conflict                the request is well formed but the ledger's state refuses it
    │   ├── InsufficientFunds, CurrencyMismatch, AccountClosed, AccountFrozen,
    │   ├── AlreadyReversed, IdempotencyKeyReused, AccountNotEmpty, ...
    ├── Unauthenticated         no valid credentials
    ├── Forbidden               valid credentials, insufficient rights
    └── RateLimited             too many attempts in a window

The API maps each branch to one HTTP status in one place (``torekes.api.errors``); the ``code`` is
what clients switch on and never changes once published.
"""

from __future__ import annotations

from typing import Any


class TorekesError(Exception):
    """Base of every error the services raise on purpose."""

    code: str = "error"
    title: str = "Request refused"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)


class InvalidInput(TorekesError):
    code = "invalid_input"
    title = "The request is not valid"


class NotFound(TorekesError):
    code = "not_found"
    title = "Not found"


class Conflict(TorekesError):
    code = "conflict"
    title = "The request conflicts with the ledger's state"


class Unauthenticated(TorekesError):
    code = "not_authenticated"
    title = "Authentication required"


class Forbidden(TorekesError):
    code = "forbidden"
    title = "Not allowed"


class RateLimited(TorekesError):
    code = "too_many_attempts"
    title = "Too many attempts; try again later"

    def __init__(self, detail: str | None = None, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


# --- invalid input -----------------------------------------------------------------------------


class UnbalancedEntry(InvalidInput):
    code = "unbalanced_entry"
    title = "Postings must sum to zero"


class TooFewPostings(InvalidInput):
    code = "too_few_postings"
    title = "A transaction needs at least two postings"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    title = "Amounts must be non-zero whole numbers of minor units within range"


class DuplicateAccountInEntry(InvalidInput):
    code = "duplicate_account"
    title = "An account may appear only once in a transaction"


class InvalidMetadata(InvalidInput):
    code = "invalid_metadata"
    title = "Metadata must be small, plain JSON"


class InvalidUsername(InvalidInput):
    code = "invalid_username"
    title = "A username is 3 to 64 letters, digits or . _ @ -"


class WeakPassword(InvalidInput):
    code = "weak_password"
    title = "A password needs at least 8 characters"


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    title = "Idempotency-Key must be 1 to 255 visible ASCII characters"


class InvalidAsOf(InvalidInput):
    code = "invalid_as_of"
    title = "as_of must be a sequence number or an ISO 8601 timestamp"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "The pagination cursor is not valid"


# --- not found ---------------------------------------------------------------------------------


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "No such account"


class CurrencyNotFound(NotFound):
    code = "currency_not_found"
    title = "No such currency"


class TransactionNotFound(NotFound):
    code = "transaction_not_found"
    title = "No such transaction"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "No such user"


# --- conflicts ---------------------------------------------------------------------------------


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    title = "The account's available balance does not cover the amount"


class CurrencyMismatch(Conflict):
    code = "currency_mismatch"
    title = "All accounts of a transaction must be in one currency"


class AccountClosed(Conflict):
    code = "account_closed"
    title = "The account is closed"


class AccountFrozen(Conflict):
    code = "account_frozen"
    title = "The account is frozen"


class AccountNotEmpty(Conflict):
    code = "account_not_empty"
    title = "Only an account with a zero balance and nothing held can be closed"


class AccountKindNotAllowed(Conflict):
    code = "account_kind_not_allowed"
    title = "This operation is not allowed on an account of this kind"


class AccountStatusUnchanged(Conflict):
    code = "account_status_unchanged"
    title = "The account is already in that state"


class AlreadyReversed(Conflict):
    code = "already_reversed"
    title = "The transaction has already been reversed"


class ReversalNotReversible(Conflict):
    code = "reversal_not_reversible"
    title = "A reversal cannot itself be reversed; post a new correcting entry instead"


class BalanceOutOfRange(Conflict):
    code = "balance_out_of_range"
    title = "The resulting balance would exceed the ledger's range"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was already used for a different request"


class IdempotencyRequestInFlight(Conflict):
    code = "idempotency_request_in_progress"
    title = "A request with this Idempotency-Key is still being processed"


class CurrencyExists(Conflict):
    code = "currency_exists"
    title = "A currency with this code already exists"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "This username is taken"


# --- authentication ----------------------------------------------------------------------------


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Wrong username or password"


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    title = "The bearer token is unknown, revoked or expired"


class NotAccountOwner(Forbidden):
    code = "not_account_owner"
    title = "You do not own this account"


class RoleNotAllowed(Forbidden):
    code = "role_not_allowed"
    title = "Your role may not do this"
