"""Member cards for people without a smartphone: card numbers, PINs and the lockout rule.

A card carries two identifiers: a long random code in its QR (for scanning) and a short card
number printed beside it (for typing). Neither is a secret on its own; the PIN is. A PIN is 4 to
6 digits. Five wrong PINs in a row lock the card until an administrator unlocks it; a right PIN
resets the count. The number has ten digits, the last a Luhn check digit, so a mistyped digit is
caught before any PIN is tried.
"""

from __future__ import annotations

import re
from enum import StrEnum

from torekes.domain import errors

MAX_PIN_FAILURES = 5
MIN_PIN_DIGITS = 4
MAX_PIN_DIGITS = 6
PIN_PATTERN = re.compile(f"[0-9]{{{MIN_PIN_DIGITS},{MAX_PIN_DIGITS}}}")
CARD_NUMBER_DIGITS = 10
_SEPARATORS = re.compile(r"[\s\-.]")


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


def check_pin_format(pin: str) -> None:
    if PIN_PATTERN.fullmatch(pin) is None:
        raise errors.InvalidPin()


def pin_is_plausible(pin: str) -> bool:
    return PIN_PATTERN.fullmatch(pin) is not None


def luhn_digit(digits: str) -> str:
    """The check digit that makes ``digits`` followed by it pass the Luhn test."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def card_number(body: int) -> str:
    """The card number for a nine-digit body: the body and its check digit."""
    digits = f"{body:09d}"
    return digits + luhn_digit(digits)


def normalise_card_number(typed: str) -> str | None:
    """The card number someone typed, without spaces or dashes, if it is one; else ``None``."""
    cleaned = _SEPARATORS.sub("", typed)
    # isdigit alone also takes other scripts' digits (and superscripts), which int() refuses.
    if len(cleaned) != CARD_NUMBER_DIGITS or not (cleaned.isascii() and cleaned.isdigit()):
        return None
    if luhn_digit(cleaned[:-1]) != cleaned[-1]:
        return None
    return cleaned


def check_typed_card(typed: str) -> None:
    """Refuse (``card_number_mistyped``) what was typed as a card number, digits alone, when it is
    not ten digits with their check digit; a card's QR code or its URL passes to be looked up.
    The check needs no database, so it tells nothing about which cards exist."""
    cleaned = _SEPARATORS.sub("", typed)
    if cleaned.isascii() and cleaned.isdigit() and normalise_card_number(cleaned) is None:
        raise errors.CardNumberMistyped()


def format_card_number(number: str) -> str:
    """1234567890 as "123 456 7890", easy to read aloud and to type."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def masked_card_number(ending: str) -> str:
    """A card number as receipts show it: only its last four digits ("••• ••• 7890")."""
    return f"••• ••• {ending}"


def tries_left(failures: int) -> int:
    return max(0, MAX_PIN_FAILURES - failures)


def is_locked(failures: int) -> bool:
    return failures >= MAX_PIN_FAILURES
