"""What a refusal means, in plain words, for the pages: each stable error code a claim or a
payment can meet, with the text the person reads (a gettext message, translated when shown).
Some texts name values (``%(currency)s``, ``%(min_hours)s``): ``message_values`` makes them of
the error's parameters, numbers written as the page's language writes them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from torekes.domain import errors


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker for extraction
    """Mark a text for translation where it is defined; it is translated when shown."""
    return message


PLAIN_WORDS: dict[str, str] = {
    "payment_request_not_found": N_("This payment code is not known. Ask the shop for a new one."),
    "payment_request_expired": N_("This payment request has expired. Ask the shop for a new one."),
    "payment_request_cancelled": N_("The shop cancelled this payment request."),
    "payment_request_paid": N_("This payment request has already been paid."),
    "insufficient_funds": N_("You do not have enough tokens for this."),
    "no_member_account": N_("You have no wallet in this currency yet."),
    "account_frozen": N_("Your wallet is frozen. Ask at the neighbourhood counter."),
    "account_closed": N_("This wallet is closed."),
    "payment_limit_exceeded": N_("This is more than one payment may be."),
    "daily_limit_exceeded": N_("This would go over what you may spend today."),
    "self_payment": N_("You cannot pay yourself."),
    "amount_required": N_("Type the amount to pay."),
    "invalid_amount": N_("That amount is not valid."),
    "number_not_digits": N_("Type only digits, like %(example)s."),
    "number_signed": N_("Type the number without + or -."),
    "number_decimal_sign": N_(
        "Use “%(decimal_sign)s” before decimals, like %(decimals)s; “%(group_sign)s” only "
        "groups thousands, like %(thousands)s."
    ),
    "number_grouping": N_(
        "Group thousands by three digits, like %(millions)s, or leave out the “%(group_sign)s”."
    ),
    "amount_not_whole": N_("Only whole %(currency)s: type the amount without decimals."),
    "amount_too_precise": N_(
        "Too many decimals: the smallest amount in %(currency)s is %(smallest)s."
    ),
    "amount_other_currency": N_(
        "Amounts here are in %(currency)s: type the number without “%(unit)s”."
    ),
    "amount_zero": N_("Type an amount above zero."),
    "amount_too_large": N_(
        "That is more than %(largest)s %(currency)s, the most an amount can be."
    ),
    "hours_too_precise": N_("Type the hours with at most two decimals, like %(example)s."),
    "code_not_found": N_("This code is not known. Check that you scanned the whole code."),
    "code_revoked": N_("This code has been withdrawn. Ask the coordinator for a new one."),
    "code_expired": N_("This code has expired."),
    "code_already_used": N_("This code has already been used."),
    "code_exhausted": N_("This code has been used as often as it may be."),
    "activity_paused": N_("This activity is paused for now."),
    "activity_closed": N_("This activity has ended."),
    "activity_not_open": N_("This activity is not open at this time."),
    "activity_full": N_("This activity is full."),
    "member_limit_reached": N_("You have already claimed this as often as you may."),
    "member_daily_limit_reached": N_("You have already claimed this today."),
    "member_weekly_limit_reached": N_("You have already claimed this this week."),
    "budget_exhausted": N_("The project's budget is used up. Ask the coordinator."),
    "hours_required": N_("Type how many hours you helped."),
    "hours_out_of_range": N_("Type between %(min_hours)s and %(max_hours)s hours."),
    "role_not_allowed": N_("Your account may not do this."),
    "not_account_owner": N_("That is not your account."),
    "card_not_found": N_("This card is not known. Check the number, or scan the card again."),
    "card_number_mistyped": N_(
        "This card number is mistyped: a card number has ten digits and the last one does not "
        "fit. Check the digits and type it again."
    ),
    "wrong_pin": N_("The PIN is not right."),
    "card_locked": N_(
        "This card is locked after too many wrong PINs. An administrator can unlock it."
    ),
    "card_busy": N_(
        "Other PINs typed for this card are still being checked. Try again in a moment."
    ),
    "card_blocked": N_("This card is blocked. Its member can ask for a new one."),
    "too_many_attempts": N_("Too many wrong tries. Wait a while and try again."),
    "refund_exceeds_payment": N_("That is more than what is left to refund of this payment."),
    "already_reversed": N_("This payment was reversed by an administrator: nothing to refund."),
    "not_a_payment": N_("Only payments can be refunded."),
    "transaction_not_found": N_("This payment is not known."),
    "payout_details_missing": N_(
        "No bank account is set to pay the euros to. Set the IBAN and the name first."
    ),
    "account_not_redeemable": N_("This account may not redeem tokens for euros."),
    "invalid_iban": N_("That IBAN is not valid. Check the country, the length and the digits."),
    "account_not_found": N_("This account is not known."),
    "account_kind_not_allowed": N_("This account cannot do that."),
    "invalid_idempotency_key": N_("This form is not complete. Reload the page and try again."),
    "csrf_failed": N_(
        "This form is out of date or did not come from this site. Reload the page and try again."
    ),
    "not_project_coordinator": N_("You do not coordinate this project."),
    "project_not_found": N_("This project is not known."),
    "activity_not_found": N_("This activity is not known."),
    "claim_not_found": N_("This claim is not known in this project."),
    "claim_already_resolved": N_("This claim has already been decided."),
    "activity_status_unchanged": N_("The activity is already in that state."),
    "invalid_activity": N_(
        "These settings do not fit together: a reward per hour needs the most hours per claim, "
        "a limit per period needs both the number and the period, and the activity must end "
        "after it starts."
    ),
    "invalid_input": N_("Something in the form is not valid. Check it and try again."),
    "idempotency_key_reused": N_("This form was already sent with other values. Reload the page."),
    "redemption_not_found": N_("This redemption is not known."),
    "redemption_already_approved": N_("This redemption has already been approved."),
    "redemption_not_approved": N_("This redemption has not been approved yet."),
    "redemption_already_paid": N_("This redemption has already been paid."),
    "redemption_already_rejected": N_("This redemption has already been rejected."),
    "redemption_in_settlement": N_(
        "This redemption is part of a settlement; it is paid with the settlement."
    ),
    "nothing_to_settle": N_("There is no approved redemption of this currency left to settle."),
    "settlement_not_found": N_("This settlement is not known."),
    "settlement_already_paid": N_("This settlement has already been marked as paid."),
    "payout_account_not_configured": N_(
        "The bank account the euros are paid from is not set up (TOREKES_PAYOUT_IBAN and "
        "TOREKES_PAYOUT_NAME), so there is no bank file. The CSV can still be downloaded."
    ),
    "currency_not_found": N_("This currency is not known."),
    "invalid_cursor": N_("This page of the list does not exist. Start from the first page."),
    "ledger_not_intact": N_(
        "The ledger is not intact, so no checkpoint can be signed. See the problems found."
    ),
    "username_taken": N_("That username is taken. Choose another one."),
    "invalid_username": N_(
        "A username has 3 to 64 letters, digits, dots, dashes, underscores or @, no spaces."
    ),
    "weak_password": N_("That password is too short. Use at least 8 characters."),
    "user_not_found": N_("This user is not known."),
    "invalid_pin": N_("A PIN has 4 to 6 digits."),
    "not_a_member": N_("Cards are only for members. Check the member's number."),
    "member_has_card": N_("This member already has a card. Block it first, or replace it."),
    "card_not_locked": N_("This card is not locked."),
    "approval_request_not_found": N_("This approval request is not known."),
    "approval_request_resolved": N_("This request has already been approved or rejected."),
    "own_request_not_approvable": N_(
        "You asked for this yourself: another administrator must approve it."
    ),
    "second_admin_required": N_(
        "A new administrator needs the approval of a second administrator."
    ),
    "subject_not_approver": N_("This request is about you: another administrator must approve it."),
    "administrator_cannot_own_shop": N_(
        "An administrator may not own a shop or partner account. Choose a shopkeeper."
    ),
    "shop_owned_by_administrator": N_(
        "This shop is owned by an administrator, so it takes no payments."
    ),
    "user_already_inactive": N_("This user is already deactivated."),
    "user_already_active": N_("This user is already active."),
    "own_user_not_deactivatable": N_("You cannot deactivate yourself; another administrator can."),
    "last_active_admin": N_("This is the last active administrator: they cannot be deactivated."),
    "user_inactive": N_("This card's member is deactivated. Ask at the neighbourhood counter."),
    "wrong_password": N_("Your password now is not right."),
    "not_found": N_("This is not known here. Check the address, or start again from the menu."),
}
# The form field a refusal is about, where a code always means the same one on every page (other
# refusals name their field themselves, ``InvalidInput(field=...)``).
CODE_FIELDS: dict[str, str] = {
    "hours_required": "hours",
    "hours_out_of_range": "hours",
    "amount_required": "amount",
    "invalid_amount": "amount",
    "invalid_iban": "iban",
    "card_number_mistyped": "card",
    "invalid_username": "username",
    "wrong_password": "current_password",
    "wrong_pin": "current_pin",
}
SOMETHING_WRONG = N_("That did not work. Try again, or ask at the neighbourhood counter.")


# An error's parameters that are numbers (decimal strings), written as the language writes them.
NUMBER_VALUES = ("example", "smallest", "largest", "min_hours", "max_hours")


def plain_words(error: errors.TorekesError) -> str:
    """The error's text; its nearest kind's when the values its own text names are missing (a
    refusal stored before its text named them)."""
    codes = [error.code, *(getattr(kind, "code", "") for kind in type(error).__mro__)]
    for code in codes:
        message = PLAIN_WORDS.get(code)
        if message is not None and _has_values(message, error):
            return message
    return SOMETHING_WRONG


def message_values(error: errors.TorekesError, lang: str) -> dict[str, str]:
    """The values an error's text names, for the language ``lang``: its parameters, and how the
    language writes numbers (its decimal and thousands signs, with examples)."""
    values = {
        "decimal_sign": get_decimal_symbol(lang),
        "group_sign": get_group_symbol(lang),
        "decimals": written(Decimal("12.50"), lang),
        "thousands": written(Decimal(1000), lang),
        "millions": written(Decimal(1_000_000), lang),
    }
    for name, value in error.extra.items():
        if isinstance(value, str | int) and not isinstance(value, bool):
            values[name] = number(str(value), lang) if name in NUMBER_VALUES else str(value)
    return values


def written(value: Decimal, lang: str) -> str:
    """A number as the language writes it, with as many decimals as it has."""
    places = max(0, -int(value.as_tuple().exponent))
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=lang)


def number(text: str, lang: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    return written(value, lang) if value.is_finite() else text


def _has_values(message: str, error: errors.TorekesError) -> bool:
    try:
        message % message_values(error, "en")
    except (KeyError, ValueError, TypeError):
        return False
    return True


def field_of(error: errors.TorekesError) -> str | None:
    """The form field the refusal is about, if it is about one."""
    named = error.extra.get("field")
    return named if isinstance(named, str) else CODE_FIELDS.get(error.code)
