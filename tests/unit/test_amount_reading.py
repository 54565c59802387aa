"""Amounts and hours are read as the page's language writes them: what a page prints reads back
as the same amount, and each wrong way of typing one is refused with its own code and a message
that names what is wrong, in Dutch and in English."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.entries import MAX_AMOUNT
from torekes.web.forms import hours, minor_units
from torekes.web.i18n import translations
from torekes.web.problems import message_values, plain_words
from torekes.web.templating import format_amount

LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    decimals: int


TRK = Currency("TRK", "Torekes", 0)
CENTS = Currency("GLD", "Gulden", 2)


def said(error: errors.TorekesError, lang: str) -> str:
    """The refusal's message as a page in ``lang`` shows it."""
    return translations(lang).gettext(plain_words(error)) % message_values(error, lang)


def refusal(typed: str, currency: Currency, lang: str) -> errors.TorekesError:
    with pytest.raises(errors.InvalidInput) as caught:
        minor_units(typed, currency, lang)
    return caught.value


@settings(deadline=None)  # the first example loads the languages' number data
@given(
    minor=st.integers(min_value=1, max_value=MAX_AMOUNT),
    decimals=st.integers(min_value=0, max_value=8),
    lang=st.sampled_from(LANGUAGES),
)
def test_what_a_page_prints_reads_back_as_the_same_amount(
    minor: int, decimals: int, lang: str
) -> None:
    currency = Currency("XYZ", "Zeds", decimals)
    printed = format_amount(minor, decimals, lang)
    assert minor_units(printed, currency, lang) == minor
    assert minor_units(f"{printed} XYZ", currency, lang) == minor


@given(
    minor=st.integers(min_value=1, max_value=MAX_AMOUNT),
    decimals=st.integers(min_value=0, max_value=8),
)
def test_a_printed_amount_read_in_the_other_language_is_the_same_or_refused(
    minor: int, decimals: int
) -> None:
    """Never another amount by mistake: a number printed in one language reads in the other as
    the same amount (no separator in it) or is refused, unless it is a whole amount written with
    a single thousands sign, which the other language reads as decimals of another amount only
    when the currency has three or more decimals."""
    currency = Currency("XYZ", "Zeds", decimals)
    for printed_in, read_in in (("nl", "en"), ("en", "nl")):
        printed = format_amount(minor, decimals, printed_in)
        try:
            read = minor_units(printed, currency, read_in)
        except errors.InvalidInput:
            continue
        assert read == minor or (decimals >= 3 and printed.count(".") + printed.count(",") == 1)


@given(
    digits=st.integers(min_value=1, max_value=10**6),
    exponent=st.integers(min_value=-9, max_value=9),
    lang=st.sampled_from(LANGUAGES),
    letter=st.sampled_from("eE"),
)
def test_exponents_are_refused(digits: int, exponent: int, lang: str, letter: str) -> None:
    error = refusal(f"{digits}{letter}{exponent}", TRK, lang)
    assert isinstance(error, errors.NumberNotDigits)


@given(
    minor=st.integers(min_value=0, max_value=10**9),
    sign=st.sampled_from(["+", "-", "\u2212"]),
    lang=st.sampled_from(LANGUAGES),
    decimals=st.integers(min_value=0, max_value=8),
)
def test_signs_are_refused(minor: int, sign: str, lang: str, decimals: int) -> None:
    printed = format_amount(minor, decimals, lang)
    error = refusal(sign + printed, Currency("XYZ", "Zeds", decimals), lang)
    assert isinstance(error, errors.NumberSigned)


@given(
    whole=st.integers(min_value=0, max_value=10**6),
    extra=st.integers(min_value=1, max_value=3),
    decimals=st.integers(min_value=0, max_value=5),
    lang=st.sampled_from(LANGUAGES),
)
def test_more_decimals_than_the_currency_has_are_refused(
    whole: int, extra: int, decimals: int, lang: str
) -> None:
    currency = Currency("XYZ", "Zeds", decimals)
    sign = "," if lang == "nl" else "."
    typed = f"{whole}{sign}{'5' * (decimals + extra)}"
    error = refusal(typed, currency, lang)
    expected = errors.AmountNotWhole if decimals == 0 else errors.AmountTooPrecise
    assert isinstance(error, expected)


# (typed, Dutch reading, English reading) of a currency without decimals; a reading is the
# amount in minor units or the code of the refusal. Decimals typed with either sign are "only
# whole" for it: advice to use the language's decimal sign would only lead there next.
TYPICAL = [
    ("1.000", 1000, "amount_not_whole"),
    ("1,000", "amount_not_whole", 1000),
    ("1 000", 1000, 1000),
    ("1\u00a0000", 1000, 1000),
    ("1\u202f000", 1000, 1000),
    ("19.162", 19162, "amount_not_whole"),
    ("1.000.000", 1_000_000, "number_decimal_sign"),
    ("12,50", "amount_not_whole", "amount_not_whole"),
    ("12.50", "amount_not_whole", "amount_not_whole"),
    ("1,5", "amount_not_whole", "amount_not_whole"),
    ("1.00", "amount_not_whole", "amount_not_whole"),
    ("1.00.000", "number_grouping", "number_decimal_sign"),
    ("1000.000", "number_grouping", "amount_not_whole"),
    ("1,00,000", "number_decimal_sign", "number_grouping"),
    ("1e9", "number_not_digits", "number_not_digits"),
    ("1E9", "number_not_digits", "number_not_digits"),
    ("-5", "number_signed", "number_signed"),
    ("+5", "number_signed", "number_signed"),
    ("5 EUR", "amount_other_currency", "amount_other_currency"),
    ("€5", "amount_other_currency", "amount_other_currency"),
    ("5 euro", "amount_other_currency", "amount_other_currency"),
    ("$ 5", "amount_other_currency", "amount_other_currency"),
    ("12 TRK", 12, 12),
    ("TRK 12", 12, 12),
    ("12 torekes", 12, 12),
    ("", "amount_required", "amount_required"),
    ("   ", "amount_required", "amount_required"),
    ("TRK", "amount_required", "amount_required"),
    ("  7 ", 7, 7),
    ("007", 7, 7),
    ("0", "amount_zero", "amount_zero"),
    ("0.000", "amount_zero", "amount_not_whole"),
    (".", "number_not_digits", "number_not_digits"),
    ("twelve", "number_not_digits", "number_not_digits"),
    ("1000000000000000", MAX_AMOUNT, MAX_AMOUNT),
    ("1000000000000001", "amount_too_large", "amount_too_large"),
]


@pytest.mark.parametrize(("typed", "dutch", "english"), TYPICAL)
def test_typical_amounts_in_dutch_and_english(
    typed: str, dutch: int | str, english: int | str
) -> None:
    for lang, expected in (("nl", dutch), ("en", english)):
        if isinstance(expected, int):
            assert minor_units(typed, TRK, lang) == expected, lang
        else:
            assert refusal(typed, TRK, lang).code == expected, lang


def test_a_currency_with_cents_reads_its_decimals_and_not_more() -> None:
    assert minor_units("12,50", CENTS, "nl") == 1250
    assert minor_units("12.50", CENTS, "en") == 1250
    assert minor_units("1.234,5", CENTS, "nl") == 123450
    assert minor_units("1,234.5", CENTS, "en") == 123450
    assert minor_units(",5", CENTS, "nl") == 50
    assert refusal("12,505", CENTS, "nl").code == "amount_too_precise"


@pytest.mark.parametrize(
    ("typed", "currency", "lang", "message"),
    [
        ("1,5", TRK, "nl", "Alleen hele Torekes: typ het bedrag zonder decimalen."),
        ("1.5", TRK, "en", "Only whole Torekes: type the amount without decimals."),
        ("1e9", TRK, "nl", "Typ alleen cijfers, zoals 1.250."),
        ("1e9", TRK, "en", "Type only digits, like 1,250."),
        ("1e9", CENTS, "nl", "Typ alleen cijfers, zoals 12,50."),
        (
            "12.50",
            CENTS,
            "nl",
            "Gebruik “,” voor decimalen, zoals 12,50; “.” groepeert alleen duizendtallen, "
            "zoals 1.000.",
        ),
        (
            "12,50",
            CENTS,
            "en",
            "Use “.” before decimals, like 12.50; “,” only groups thousands, like 1,000.",
        ),
        (
            "1.00.000",
            TRK,
            "nl",
            "Groepeer duizendtallen per drie cijfers, zoals 1.000.000, of laat de “.” weg.",
        ),
        ("-5", TRK, "en", "Type the number without + or -."),
        ("5 EUR", TRK, "nl", "Bedragen zijn hier in Torekes: typ het getal zonder “EUR”."),
        ("€5", TRK, "en", "Amounts here are in Torekes: type the number without “€”."),
        ("0", TRK, "nl", "Typ een bedrag boven nul."),
        (
            "12,505",
            CENTS,
            "nl",
            "Te veel decimalen: het kleinste bedrag in Gulden is 0,01.",
        ),
        (
            "99999999999999999",
            CENTS,
            "en",
            "That is more than 10,000,000,000,000.00 Gulden, the most an amount can be.",
        ),
    ],
)
def test_each_refusal_says_what_is_wrong(
    typed: str, currency: Currency, lang: str, message: str
) -> None:
    assert said(refusal(typed, currency, lang), lang) == message


def test_a_refusal_names_the_field_it_is_about() -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        minor_units("1e9", TRK, "nl", field="reward_amount")
    assert caught.value.extra["field"] == "reward_amount"


@pytest.mark.parametrize(
    ("typed", "lang", "read"),
    [
        ("1,5", "nl", Decimal("1.5")),
        ("1.5", "en", Decimal("1.5")),
        ("0,25", "nl", Decimal("0.25")),
        (" 2 ", "en", Decimal(2)),
        ("", "nl", None),
    ],
)
def test_hours_are_read_as_the_language_writes_them(
    typed: str, lang: str, read: Decimal | None
) -> None:
    assert hours(typed, lang) == read


@pytest.mark.parametrize(
    ("typed", "lang", "code"),
    [
        ("1.5", "nl", "number_decimal_sign"),
        ("1,5", "en", "number_decimal_sign"),
        ("1,125", "nl", "hours_too_precise"),
        ("-1", "nl", "number_signed"),
        ("1e1", "en", "number_not_digits"),
        ("2 uur", "nl", "number_not_digits"),
    ],
)
def test_hours_typed_wrongly_are_refused(typed: str, lang: str, code: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        hours(typed, lang)
    assert caught.value.code == code
    assert caught.value.extra["field"] == "hours"


def test_hours_out_of_range_name_the_range_in_the_language() -> None:
    error = errors.HoursOutOfRange(min_hours="0.02", max_hours="4")
    assert said(error, "nl") == "Typ tussen 0,02 en 4 uur."
    assert said(error, "en") == "Type between 0.02 and 4 hours."


def test_a_refusal_stored_without_its_values_is_said_in_the_words_of_its_kind() -> None:
    """A refusal kept for a repeat before its message named values still reads as a sentence."""
    assert plain_words(errors.HoursOutOfRange()) == plain_words(errors.InvalidInput())
    assert plain_words(errors.AmountNotWhole()) == plain_words(errors.InvalidAmount())
