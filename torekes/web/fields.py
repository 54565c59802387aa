"""What the pages of every audience take from their address and their forms, with the same limits
the API puts on them; a value outside them is refused before the page is asked.

The limits live here once: the routes' ``Form(max_length=...)`` take them, and so do the forms'
fields, drawn by the macros of ``macros.html`` from ``FIELD_KINDS`` (a template global): each
kind of field with its ``maxlength``, ``inputmode``, ``autocomplete`` and, for passwords and
PINs, ``type="password"`` (whose values a refused form never shows again).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Path

from torekes.api.schemas import MAX_DESCRIPTION, MAX_ID, MAX_SHEET_CODES, MAX_TITLE
from torekes.domain.cards import MAX_PIN_DIGITS, MIN_PIN_DIGITS
from torekes.domain.entries import MAX_MEMO_LENGTH as MAX_REASON
from torekes.domain.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from torekes.identity.auth import MAX_USERNAME_LENGTH
from torekes.spending.cards import MAX_CARD_INPUT_LENGTH
from torekes.spending.payment_requests import MAX_MEMO_LENGTH as MAX_MEMO

# How long a typed value may be, by what it is.
MAX_TYPED_AMOUNT = 30  # "1.000,50" with room for spaces; the amount reader says what is wrong
MAX_TYPED_HOURS = 10
MAX_TYPED_WHOLE = 12  # a count or limit typed on a coordinator's form
MAX_IBAN = 42
MAX_PAYOUT_NAME = 70
MAX_BANK_REFERENCE = 140  # what a SEPA transfer's remittance carries
MAX_NAME = 200  # a person's name, a username as typed on the administrator's form
MAX_CARD_NUMBER = 40
MAX_TYPED_PIN = 20  # longer than any PIN, so a PIN with spaces is still read and judged
MAX_SECRET = 1024  # a password or PIN field is read up to this, and judged by its own rules

# A row's id in the page's address: /admin/accounts/{account_id}, /projects/{project_id}.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# An account picked on a form: the shop a payment is asked for, or is redeemed from.
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
# A claim or payment code in the address a QR code opens: /c/{code}, /p/{code}, /till/{code}.
Code = Annotated[str, Path(min_length=1, max_length=100)]
# An IBAN as typed on a payout form (the services check it); longer ones are refused here.
Iban = Annotated[str, Form(max_length=MAX_IBAN)]
# The name of a payout account's holder.
PayoutName = Annotated[str, Form(max_length=MAX_PAYOUT_NAME)]
# An amount as typed (``12,50``), and a note with it.
TypedAmount = Annotated[str, Form(max_length=MAX_TYPED_AMOUNT)]
Memo = Annotated[str, Form(max_length=MAX_MEMO)]
# Why an administrator decides as they do.
Reason = Annotated[str, Form(max_length=MAX_REASON)]
# A password or PIN typed on a form.
Secret = Annotated[str, Form(max_length=MAX_SECRET)]
# The one-time key a form that writes carries, made when the form was drawn (``writes.new_key``).
Key = Annotated[str, Form(max_length=255)]

_OFF = {"autocomplete": "off"}
_PIN = {"type": "password", "inputmode": "numeric", "pattern": "[0-9]*", **_OFF}
# Each kind of form field with its limits, as ``macros.field`` draws it.
FIELD_KINDS: dict[str, dict[str, Any]] = {
    "amount": {"inputmode": "decimal", "maxlength": MAX_TYPED_AMOUNT, **_OFF},
    "hours": {"inputmode": "decimal", "maxlength": MAX_TYPED_HOURS, **_OFF},
    "whole": {"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": MAX_TYPED_WHOLE, **_OFF},
    "codes": {"type": "number", "inputmode": "numeric", "min": 1, "max": MAX_SHEET_CODES},
    "id": {"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": len(str(MAX_ID)), **_OFF},
    "memo": {"maxlength": MAX_MEMO, **_OFF},
    "reason": {"maxlength": MAX_REASON, **_OFF},
    "title": {"maxlength": MAX_TITLE, **_OFF},
    "description": {"maxlength": MAX_DESCRIPTION},
    "name": {"maxlength": MAX_NAME, **_OFF},
    "iban": {"maxlength": MAX_IBAN, "autocapitalize": "characters", "spellcheck": "false", **_OFF},
    "payout_name": {"maxlength": MAX_PAYOUT_NAME, **_OFF},
    "bank_reference": {"maxlength": MAX_BANK_REFERENCE, **_OFF},
    "username": {
        "maxlength": MAX_USERNAME_LENGTH,
        "autocomplete": "username",
        "autocapitalize": "none",
        "spellcheck": "false",
    },
    "card_number": {"inputmode": "numeric", "maxlength": MAX_CARD_NUMBER, **_OFF},
    # A card's number typed, or its QR's address scanned, at a shop's counter.
    "card": {
        "maxlength": MAX_CARD_INPUT_LENGTH,
        "autocapitalize": "off",
        "spellcheck": "false",
        **_OFF,
    },
    "password": {
        "type": "password",
        "maxlength": MAX_PASSWORD_LENGTH,
        "autocomplete": "current-password",
    },
    "new_password": {
        "type": "password",
        "minlength": MIN_PASSWORD_LENGTH,
        "maxlength": MAX_PASSWORD_LENGTH,
        "autocomplete": "new-password",
    },
    "pin": {**_PIN, "minlength": MIN_PIN_DIGITS, "maxlength": MAX_PIN_DIGITS},
    # A PIN the member chose, typed at the desk where it may be seen (never drawn again).
    "desk_pin": {
        "inputmode": "numeric",
        "pattern": "[0-9]*",
        "minlength": MIN_PIN_DIGITS,
        "maxlength": MAX_PIN_DIGITS,
        **_OFF,
    },
    "moment": {"type": "datetime-local"},
}
