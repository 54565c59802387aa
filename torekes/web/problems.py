"""What a refusal means, in plain words, for the pages: each stable error code a claim or a
payment can meet, with the text the person reads (a gettext message, translated when shown)."""

from __future__ import annotations

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
    "role_not_allowed": N_("Your account may not do this."),
    "not_account_owner": N_("That is not your account."),
}
SOMETHING_WRONG = N_("That did not work. Try again, or ask at the neighbourhood counter.")


def plain_words(error: errors.TorekesError) -> str:
    return PLAIN_WORDS.get(error.code, SOMETHING_WRONG)
