"""The domain's error tree, each error carrying a stable machine ``code``.

    TorekesError
    ├── InvalidInput            the request breaks a rule of form (unbalanced entry, bad key, ...)
    │   ├── InvalidNumber       a number typed on a page (NumberNotDigits, NumberSigned, ...)
    │   └── InvalidAmount       an amount out of rule (AmountZero, AmountNotWhole, ...)
    ├── NotFound                an id names nothing (or nothing the caller may see)
    ├── Conflict                the request is well formed but the ledger's state refuses it
    │   ├── InsufficientFunds, CurrencyMismatch, AccountClosed, AccountFrozen,
    │   ├── AlreadyReversed, IdempotencyKeyReused, AccountNotEmpty, ...
    │   └── PaymentRequestPaid, CardLocked, DailyLimitExceeded, RefundExceedsPayment, ...
    ├── Unauthenticated         no valid credentials
    ├── Forbidden               valid credentials, insufficient rights (or a card's wrong PIN)
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


class InvalidNumber(InvalidInput):
    """A number typed on a page's form that cannot be read; ``field`` names the form field."""

    code = "invalid_number"
    title = "The number is not written as the page's language writes numbers"


class NumberNotDigits(InvalidNumber):
    code = "number_not_digits"
    title = "Type only digits and the language's decimal and thousands signs"


class NumberSigned(InvalidNumber):
    code = "number_signed"
    title = "Type the number without a + or - sign"


class NumberDecimalSign(InvalidNumber):
    code = "number_decimal_sign"
    title = "The thousands sign is used as a decimal sign, or the decimal sign more than once"


class NumberGrouping(InvalidNumber):
    code = "number_grouping"
    title = "Thousands are grouped by three digits"


class AmountNotWhole(InvalidAmount):
    code = "amount_not_whole"
    title = "This currency has no decimals: type a whole amount"


class AmountTooPrecise(InvalidAmount):
    code = "amount_too_precise"
    title = "More decimals than the currency has"


class AmountOtherCurrency(InvalidAmount):
    code = "amount_other_currency"
    title = "The amount names another currency"


class AmountZero(InvalidAmount):
    code = "amount_zero"
    title = "The amount must be above zero"


class AmountTooLarge(InvalidAmount):
    code = "amount_too_large"
    title = "The amount is above the largest amount there can be"


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


class HoursRequired(InvalidInput):
    code = "hours_required"
    title = "This activity rewards per hour: say how many hours"


class HoursOutOfRange(InvalidInput):
    """Carries ``min_hours`` and ``max_hours`` (decimal strings), the range the activity allows."""

    code = "hours_out_of_range"
    title = "The hours are outside what this activity allows"


class HoursTooPrecise(InvalidNumber):
    code = "hours_too_precise"
    title = "Hours take at most two decimals"


class InvalidActivity(InvalidInput):
    code = "invalid_activity"
    title = "The activity's settings contradict each other"


class InvalidPin(InvalidInput):
    code = "invalid_pin"
    title = "A PIN is 4 to 6 digits"


class CardNumberMistyped(InvalidInput):
    code = "card_number_mistyped"
    title = "The card number is mistyped: check its ten digits"


class CardListedTwice(InvalidInput):
    code = "card_listed_twice"
    title = "This card is listed on an earlier line already"


class AmountRequired(InvalidInput):
    code = "amount_required"
    title = "This QR code has no amount: say how much to pay"


class AmountNotExpected(InvalidInput):
    code = "amount_not_expected"
    title = "This payment request fixes its amount: do not send one"


class InvalidIban(InvalidInput):
    code = "invalid_iban"
    title = "The IBAN is not valid (country, length or check digits)"


class InvalidRate(InvalidInput):
    code = "invalid_rate"
    title = "A euro rate is a non-negative number with at most eight decimals"


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    title = "The report period is not a valid range of months"


class InvalidCheckpoint(InvalidInput):
    code = "invalid_checkpoint"
    title = "This is not a signed checkpoint of Torekes"


class InvalidExpiry(InvalidInput):
    code = "invalid_expiry"
    title = "The expiry is outside what a payment request allows"


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


class ProjectNotFound(NotFound):
    code = "project_not_found"
    title = "No such project"


class ActivityNotFound(NotFound):
    code = "activity_not_found"
    title = "No such activity"


class CodeNotFound(NotFound):
    code = "code_not_found"
    title = "No such claim code"


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    title = "No such claim"


class PaymentRequestNotFound(NotFound):
    code = "payment_request_not_found"
    title = "No such payment request"


class CardNotFound(NotFound):
    code = "card_not_found"
    title = "No such card"


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"
    title = "No such redemption"


class SettlementNotFound(NotFound):
    code = "settlement_not_found"
    title = "No such settlement"


class ApprovalRequestNotFound(NotFound):
    code = "approval_request_not_found"
    title = "No such approval request"


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    title = "No such payment"


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


class RedemptionNotReversible(Conflict):
    code = "redemption_not_reversible"
    title = "A paid redemption was paid out in euros; its transaction cannot be reversed"


class ApprovalRequestResolved(Conflict):
    code = "approval_request_resolved"
    title = "The approval request has already been approved or rejected"


class SecondAdminRequired(Conflict):
    code = "second_admin_required"
    title = "With more than one administrator, a new one needs a second administrator's approval"


class LedgerNotIntact(Conflict):
    code = "ledger_not_intact"
    title = "The audit found problems; a checkpoint is signed only of an intact ledger"


class BalanceOutOfRange(Conflict):
    code = "balance_out_of_range"
    title = "The resulting balance would exceed the ledger's range"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was already used for a different request"


class CurrencyExists(Conflict):
    code = "currency_exists"
    title = "A currency with this code already exists"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "This username is taken"


class BudgetExhausted(Conflict):
    code = "budget_exhausted"
    title = "The project's budget cannot cover this reward"


class CodeRevoked(Conflict):
    code = "code_revoked"
    title = "This code has been revoked"


class CodeExpired(Conflict):
    code = "code_expired"
    title = "This code has expired"


class CodeAlreadyUsed(Conflict):
    code = "code_already_used"
    title = "This code has already been used"


class CodeExhausted(Conflict):
    code = "code_exhausted"
    title = "This code has reached its limit of uses"


class ActivityPaused(Conflict):
    code = "activity_paused"
    title = "The activity is paused"


class ActivityClosed(Conflict):
    code = "activity_closed"
    title = "The activity is closed"


class ActivityNotOpen(Conflict):
    code = "activity_not_open"
    title = "The activity is not open at this time"


class ActivityFull(Conflict):
    code = "activity_full"
    title = "The activity has reached its capacity"


class MemberLimitReached(Conflict):
    code = "member_limit_reached"
    title = "You have reached this activity's limit of claims"


class MemberDailyLimitReached(Conflict):
    code = "member_daily_limit_reached"
    title = "You have reached this activity's limit of claims for today"


class MemberWeeklyLimitReached(Conflict):
    code = "member_weekly_limit_reached"
    title = "You have reached this activity's limit of claims for this week"


class NoMemberAccount(Conflict):
    code = "no_member_account"
    title = "You have no open member account in this currency"


class ClaimAlreadyResolved(Conflict):
    code = "claim_already_resolved"
    title = "The claim has already been approved or rejected"


class HoldAlreadyResolved(Conflict):
    code = "hold_already_resolved"
    title = "The hold has already been posted or released"


class ActivityStatusUnchanged(Conflict):
    code = "activity_status_unchanged"
    title = "The activity cannot move to that state"


class PaymentRequestExpired(Conflict):
    code = "payment_request_expired"
    title = "This payment request has expired"


class PaymentRequestCancelled(Conflict):
    code = "payment_request_cancelled"
    title = "This payment request has been cancelled"


class PaymentRequestPaid(Conflict):
    code = "payment_request_paid"
    title = "This payment request has already been paid"


class AdministratorCannotOwnShop(Conflict):
    code = "administrator_cannot_own_shop"
    title = "An administrator may not own a shop or partner account"


class ShopOwnedByAdministrator(Conflict):
    code = "shop_owned_by_administrator"
    title = "This shop is owned by an administrator, so it takes no payments"


class SelfPayment(Conflict):
    code = "self_payment"
    title = "A shop cannot pay itself"


class PaymentLimitExceeded(Conflict):
    code = "payment_limit_exceeded"
    title = "The amount is over this currency's limit for a single payment"


class DailyLimitExceeded(Conflict):
    code = "daily_limit_exceeded"
    title = "The payment would take the member over this currency's daily spending limit"


class CardBlocked(Conflict):
    code = "card_blocked"
    title = "This card is blocked"


class CardLocked(Conflict):
    code = "card_locked"
    title = "This card is locked after too many wrong PINs; an administrator can unlock it"


class CardBusy(Conflict):
    code = "card_busy"
    title = "Other PINs typed for this card are still being checked; try again in a moment"


class CardNotLocked(Conflict):
    code = "card_not_locked"
    title = "This card is not locked"


class NotAMember(Conflict):
    code = "not_a_member"
    title = "Cards are issued to members only"


class MemberHasCard(Conflict):
    code = "member_has_card"
    title = "The member already has an active card; block or replace it first"


class NotAPayment(Conflict):
    code = "not_a_payment"
    title = "Only payments can be refunded"


class RefundExceedsPayment(Conflict):
    code = "refund_exceeds_payment"
    title = "The refunds of a payment cannot add up to more than the payment"


class AccountNotRedeemable(Conflict):
    code = "account_not_redeemable"
    title = "Only shops, and partners an administrator allows, redeem tokens for euros"


class PayoutDetailsMissing(Conflict):
    code = "payout_details_missing"
    title = "The account has no IBAN and name to pay euros to"


class RedemptionAlreadyApproved(Conflict):
    code = "redemption_already_approved"
    title = "The redemption has already been approved"


class RedemptionNotApproved(Conflict):
    code = "redemption_not_approved"
    title = "The redemption must be approved before it is paid"


class RedemptionAlreadyPaid(Conflict):
    code = "redemption_already_paid"
    title = "The redemption has already been paid"


class RedemptionAlreadyRejected(Conflict):
    code = "redemption_already_rejected"
    title = "The redemption has been rejected"


class RedemptionInSettlement(Conflict):
    code = "redemption_in_settlement"
    title = "The redemption belongs to a settlement; it is paid with it"


class NothingToSettle(Conflict):
    code = "nothing_to_settle"
    title = "No approved redemption waits for a settlement in this currency"


class SettlementAlreadyPaid(Conflict):
    code = "settlement_already_paid"
    title = "The settlement has already been paid"


class PayoutAccountNotConfigured(Conflict):
    code = "payout_account_not_configured"
    title = "Set TOREKES_PAYOUT_IBAN and TOREKES_PAYOUT_NAME to export bank files"


class PaymentHasRefunds(Conflict):
    code = "payment_has_refunds"
    title = "A payment that has been refunded in part cannot be reversed; refund the rest instead"


class UserAlreadyInactive(Conflict):
    code = "user_already_inactive"
    title = "The user is already deactivated"


class UserAlreadyActive(Conflict):
    code = "user_already_active"
    title = "The user is already active"


class OwnUserNotDeactivatable(Conflict):
    code = "own_user_not_deactivatable"
    title = "You cannot deactivate yourself; another administrator can"


class LastActiveAdmin(Conflict):
    code = "last_active_admin"
    title = "The last active administrator cannot be deactivated"


class UserInactive(Conflict):
    code = "user_inactive"
    title = "The user is deactivated"


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


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    title = "The form did not come from this site's own page; reload the page and try again"


class OwnRequestNotApprovable(Forbidden):
    code = "own_request_not_approvable"
    title = "A second administrator must approve this request; you asked for it"


class SubjectNotApprover(Forbidden):
    code = "subject_not_approver"
    title = "A second administrator must approve this request; it is about you"


class NotProjectCoordinator(Forbidden):
    code = "not_project_coordinator"
    title = "You do not coordinate this project"


class WrongPin(Forbidden):
    code = "wrong_pin"
    title = "Wrong PIN"


class WrongPassword(Forbidden):
    code = "wrong_password"
    title = "The current password is not right"


class RoleNotAllowed(Forbidden):
    code = "role_not_allowed"
    title = "Your role may not do this"
