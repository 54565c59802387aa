"""Numbers as people type them on a page, read the way the page's language writes them (Babel's
number symbols of that language), turned into what the services take, or refused with an error
that says exactly what is wrong.

The rules, the same for amounts and hours:

- The language's decimal sign starts the decimals and its thousands sign groups the whole part
  (Dutch: ``1.000,50``; English: ``1,000.50``). A space (also a no-break space) groups thousands
  in every language. Grouping is in threes: after the first group of one to three digits every
  group has exactly three, so Dutch ``1.00`` and ``12.50`` are refused with a message that the
  decimals come after a comma (``number_decimal_sign``), and ``1.00.000`` as wrongly grouped
  (``number_grouping``).
- Only the digits 0-9: no exponent (``1e9``), no ``+`` or ``-`` sign (``number_signed``).
- An amount may name its own currency by its code or name before or after the number
  (``12 TRK``, ``TRK 12``, ``12 Torekes``); another currency's code, name or symbol (``5 EUR``,
  ``€5``) is refused (``amount_other_currency``): a page's amounts are always in the currency of
  its account, never converted.
- An amount has at most as many decimals as its currency (``amount_not_whole`` for a currency
  without decimals, ``amount_too_precise`` otherwise), counted as typed, so ``1.000`` on an
  English page is not a thousand Torekes but refused; it is above zero (``amount_zero``) and at
  most the ledger's largest amount (``amount_too_large``). Hours have at most two decimals
  (``hours_too_precise``); their range is the activity's, checked where the claim is made.

Every refusal carries the form's ``field`` and the values its message needs."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import cache
from typing import Protocol

from babel import Locale
from babel.numbers import (
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
    is_currency,
)

from torekes.domain import errors
from torekes.domain.earning import HOURS_QUANTUM
from torekes.domain.entries import MAX_AMOUNT

DIGITS = frozenset("0123456789")
# Spaces that group thousands in any language (French and others print a narrow no-break space).
SPACES = frozenset(" \u00a0\u202f")
# Marks that keep a sign's direction in right-to-left languages; not part of what is typed.
DIRECTION_MARKS = "\u200e\u200f\u061c"
SIGNS = frozenset("+-\u2212")
HOURS_PLACES = -HOURS_QUANTUM.as_tuple().exponent  # type: ignore[operator]


class Currency(Protocol):
    """What the reader needs of a currency: its code, its name and its number of decimals."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def decimals(self) -> int: ...


def minor_units(typed: str, currency: Currency, lang: str, field: str = "amount") -> int:
    """A typed amount of ``currency`` in minor units, read as the language ``lang`` writes it."""
    places = currency.decimals
    example = _example_amount(places)
    text = _without_unit(typed.strip(), currency)
    if not text:
        raise errors.AmountRequired(field=field)
    whole, fraction = _read(text, lang, field, example, currency)
    if len(fraction) > places:
        if places == 0:
            raise errors.AmountNotWhole(field=field, currency=currency.name)
        smallest = format(Decimal(1).scaleb(-places), "f")
        raise errors.AmountTooPrecise(field=field, currency=currency.name, smallest=smallest)
    minor = int((whole or "0") + fraction.ljust(places, "0"))
    if minor == 0:
        raise errors.AmountZero(field=field)
    if minor > MAX_AMOUNT:
        largest = format(Decimal(MAX_AMOUNT).scaleb(-places), "f")
        raise errors.AmountTooLarge(field=field, currency=currency.name, largest=largest)
    return minor


def hours(typed: str, lang: str, field: str = "hours") -> Decimal | None:
    """Typed hours as the language writes them, or None when the field was left empty (the
    service asks for them if needed, and checks them against the activity's range)."""
    text = typed.strip()
    if not text:
        return None
    whole, fraction = _read(text, lang, field, "1.5")
    if len(fraction) > HOURS_PLACES:
        raise errors.HoursTooPrecise(field=field, example="1.25")
    return Decimal(f"{whole or '0'}.{fraction}" if fraction else whole)


def _read(
    text: str, lang: str, field: str, example: str, currency: Currency | None = None
) -> tuple[str, str]:
    """The whole part's and the fraction's digits of a number in ``lang``'s writing."""
    decimal_sign, group_signs = _symbols(lang)
    unknown = [c for c in text if c not in DIGITS and c != decimal_sign and c not in group_signs]
    if unknown:
        raise _not_a_number(text, unknown, lang, field, example, currency)
    if not any(c in DIGITS for c in text):
        raise errors.NumberNotDigits(field=field, example=example)
    whole, _, fraction = text.partition(decimal_sign)
    if decimal_sign in fraction or any(c in group_signs for c in fraction):
        raise errors.NumberDecimalSign(field=field, example=example)
    groups = re.split(f"[{re.escape(''.join(group_signs))}]", whole)
    if len(groups) > 1 and not _in_threes(groups):
        # One thousands sign before other than three digits, and no decimal sign: the sign was
        # meant as the decimal sign (Dutch "12.50"); a space never is.
        meant_as_decimal = not fraction and decimal_sign not in text and len(groups[-1]) != 3
        if meant_as_decimal and text[len(whole) - len(groups[-1]) - 1] not in SPACES:
            if currency is not None and currency.decimals == 0:
                # Advice to use this language's decimal sign would only lead to "only whole".
                raise errors.AmountNotWhole(field=field, currency=currency.name)
            raise errors.NumberDecimalSign(field=field, example=example)
        raise errors.NumberGrouping(field=field, example=example)
    return "".join(groups), fraction


def _in_threes(groups: list[str]) -> bool:
    first, *rest = groups
    return 1 <= len(first) <= 3 and all(len(group) == 3 for group in rest)


def _not_a_number(
    text: str,
    unknown: list[str],
    lang: str,
    field: str,
    example: str,
    currency: Currency | None,
) -> errors.TorekesError:
    """Why characters that are no digits nor number signs are there: another currency (for an
    amount), a sign, or something else (an exponent, letters)."""
    words = re.findall(r"[^\W\d_]+", text)
    named = [c for c in unknown if unicodedata.category(c) == "Sc"]
    named += [word for word in words if _is_currency_word(word, lang)]
    if named and currency is not None:
        return errors.AmountOtherCurrency(field=field, unit=named[0], currency=currency.name)
    if all(c in _signs(lang) or c.isspace() for c in unknown):
        return errors.NumberSigned(field=field)
    return errors.NumberNotDigits(field=field, example=example)


def _without_unit(text: str, currency: Currency) -> str:
    """The text without the currency's own code or name before or after the number."""
    for unit in sorted({currency.code, currency.name}, key=len, reverse=True):
        if not unit:
            continue
        folded, name = text.casefold(), unit.casefold()
        if folded.startswith(name):
            return text[len(unit) :].strip()
        if folded.endswith(name):
            return text[: -len(unit)].strip()
    return text


def _example_amount(places: int) -> str:
    """An amount to show as an example: 1250 in whole units, 12.50 with cents."""
    if places == 0:
        return "1250"
    return str(Decimal("12.5").quantize(Decimal(1).scaleb(-places)))


@cache
def _symbols(lang: str) -> tuple[str, frozenset[str]]:
    group = get_group_symbol(lang).strip(DIRECTION_MARKS)
    return get_decimal_symbol(lang).strip(DIRECTION_MARKS), frozenset({group} | SPACES)


@cache
def _signs(lang: str) -> frozenset[str]:
    local = {get_plus_sign_symbol(lang), get_minus_sign_symbol(lang)}
    return SIGNS | {sign.strip(DIRECTION_MARKS) for sign in local}


@cache
def _currency_words(lang: str) -> frozenset[str]:
    """Currencies' names and symbols in the language, as a person may type them."""
    locale = Locale.parse(lang)
    return frozenset(
        word.casefold() for word in (*locale.currencies.values(), *locale.currency_symbols.values())
    )


def _is_currency_word(word: str, lang: str) -> bool:
    # A single letter is no currency's name here: "1e9" is an exponent, not a currency "e".
    return len(word) > 1 and (is_currency(word.upper()) or word.casefold() in _currency_words(lang))
