"""Member card rules (no database): a PIN is 4 to 6 ASCII digits and nothing else; a card number
is a nine-digit body and its Luhn check digit, printed as "123 456 7890" and accepted back with
spaces, dashes or dots between the digits, while any single mistyped digit, most swaps of two
neighbouring digits, a wrong length or a letter make it no card number; and five wrong PINs in a
row lock a card, with the tries left counting down to zero and never below.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.cards import (
    CARD_NUMBER_DIGITS,
    MAX_PIN_FAILURES,
    card_number,
    check_pin_format,
    check_typed_card,
    format_card_number,
    is_locked,
    luhn_digit,
    normalise_card_number,
    pin_is_plausible,
    tries_left,
)


def passes_luhn(number: str) -> bool:
    """The Luhn test as usually stated, written apart from the code under test: from the right,
    double every second digit, subtract 9 from results over 9; the sum ends in 0."""
    total = 0
    for index, char in enumerate(reversed(number)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


# --- PINs ----------------------------------------------------------------------------------------

GOOD_PINS = ["0000", "1234", "12345", "123456", "000000", "9999"]
BAD_PINS = [
    "",
    "123",
    "1234567",
    "12a4",
    "abcd",
    " 1234",
    "1234 ",
    "1234\n",
    "12 34",
    "-123",
    "12.3",
    "\u0661\u0662\u0663\u0664",  # Arabic-Indic digits
    "\uff11\uff12\uff13\uff14",  # full-width digits
]


@pytest.mark.parametrize("pin", GOOD_PINS)
def test_four_to_six_digits_make_a_pin(pin: str) -> None:
    check_pin_format(pin)
    assert pin_is_plausible(pin)


@pytest.mark.parametrize("pin", BAD_PINS)
def test_anything_else_is_refused_as_a_pin(pin: str) -> None:
    with pytest.raises(errors.InvalidPin) as caught:
        check_pin_format(pin)
    assert caught.value.code == "invalid_pin"
    assert not pin_is_plausible(pin)


@given(pin=st.text(max_size=8))
def test_a_pin_is_plausible_exactly_when_its_format_is_accepted(pin: str) -> None:
    expected = 4 <= len(pin) <= 6 and all(char in "0123456789" for char in pin)
    assert pin_is_plausible(pin) is expected
    if expected:
        check_pin_format(pin)
    else:
        with pytest.raises(errors.InvalidPin):
            check_pin_format(pin)


# --- card numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "check"),
    [("7992739871", "3"), ("", "0"), ("0", "0"), ("1", "8"), ("123456789", "7")],
)
def test_the_luhn_check_digit(digits: str, check: str) -> None:
    assert luhn_digit(digits) == check
    assert passes_luhn(digits + check)


def test_card_numbers_have_ten_digits_with_the_body_zero_padded() -> None:
    assert card_number(123456789) == "1234567897"
    assert card_number(0) == "0000000000"
    assert card_number(42) == "0000000422"
    assert card_number(999_999_999) == "9999999999"


def test_a_card_number_is_printed_in_groups_of_three_three_and_four() -> None:
    assert format_card_number("1234567897") == "123 456 7897"


@pytest.mark.parametrize(
    "typed",
    [
        "1234567897",
        "123 456 7897",
        "123-456-7897",
        "123.456.7897",
        " 123 456 7897 ",
        "1 2 3 4 5 6 7 8 9 7",
        "123\t456\t7897",
        "123 - 456 - 7897",
    ],
)
def test_a_typed_card_number_is_accepted_with_separators(typed: str) -> None:
    assert normalise_card_number(typed) == "1234567897"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1234567896",  # wrong check digit
        "1234567987",  # two digits swapped
        "234567897",  # a digit left out
        "12345678970",  # a digit too many
        "01234567897",
        "123456789X",
        "abc def ghij",
        "123/456/7897",
        "123_456_7897",
        "+1234567897",
    ],
)
def test_anything_else_is_no_card_number(typed: str) -> None:
    assert normalise_card_number(typed) is None


bodies = st.integers(0, 10**9 - 1)


@settings(max_examples=300, deadline=None)
@given(body=bodies)
def test_every_card_number_passes_luhn_and_reads_back_as_printed(body: int) -> None:
    number = card_number(body)
    assert len(number) == CARD_NUMBER_DIGITS
    assert number.isascii()
    assert number.isdigit()
    assert int(number[:-1]) == body
    assert passes_luhn(number)
    assert normalise_card_number(number) == number
    assert normalise_card_number(format_card_number(number)) == number


@settings(max_examples=300, deadline=None)
@given(body=bodies, position=st.integers(0, CARD_NUMBER_DIGITS - 1), shift=st.integers(1, 9))
def test_any_single_mistyped_digit_makes_no_card_number(
    body: int, position: int, shift: int
) -> None:
    number = card_number(body)
    wrong = str((int(number[position]) + shift) % 10)
    assert normalise_card_number(number[:position] + wrong + number[position + 1 :]) is None


@settings(max_examples=300, deadline=None)
@given(body=bodies, position=st.integers(0, CARD_NUMBER_DIGITS - 2))
def test_swapping_two_neighbouring_digits_is_caught_unless_they_are_0_and_9(
    body: int, position: int
) -> None:
    number = card_number(body)
    pair = number[position : position + 2]
    assume(pair[0] != pair[1] and pair not in {"09", "90"})
    swapped = number[:position] + pair[::-1] + number[position + 2 :]
    assert normalise_card_number(swapped) is None


# --- wrong PINs and the lock ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "left", "locked"),
    [(0, 5, False), (1, 4, False), (4, 1, False), (5, 0, True), (6, 0, True), (50, 0, True)],
)
def test_five_wrong_pins_in_a_row_lock_the_card(failures: int, left: int, locked: bool) -> None:
    assert MAX_PIN_FAILURES == 5
    assert tries_left(failures) == left
    assert is_locked(failures) is locked


@given(failures=st.integers(0, 1000))
def test_a_card_is_locked_exactly_when_no_tries_are_left(failures: int) -> None:
    assert is_locked(failures) is (tries_left(failures) == 0)
    assert 0 <= tries_left(failures) <= MAX_PIN_FAILURES


@pytest.mark.parametrize(
    "typed",
    [
        "12345678\u00b20",  # a superscript two among the digits
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u06697",  # Arabic-Indic and one 7
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10",  # full-width digits
    ],
    ids=["superscript", "arabic-indic", "full-width"],
)
def test_digits_of_other_scripts_are_not_a_card_number(typed: str) -> None:
    assert normalise_card_number(typed) is None


@settings(max_examples=200, deadline=None)
@given(body=bodies, position=st.integers(0, CARD_NUMBER_DIGITS - 1), shift=st.integers(1, 9))
def test_a_mistyped_number_is_refused_before_any_pin_and_a_right_one_passes(
    body: int, position: int, shift: int
) -> None:
    number = card_number(body)
    check_typed_card(format_card_number(number))
    wrong = str((int(number[position]) + shift) % 10)
    with pytest.raises(errors.CardNumberMistyped):
        check_typed_card(number[:position] + wrong + number[position + 1 :])


@pytest.mark.parametrize("typed", ["123", "123 456 789", "12345678901", "123-456-78"])
def test_too_few_or_too_many_digits_are_mistyped(typed: str) -> None:
    with pytest.raises(errors.CardNumberMistyped):
        check_typed_card(typed)


@pytest.mark.parametrize(
    "typed", ["Ab3dEf_h", "https://torekes.example/k/Ab3dEf", "12ab34", "\uff11" * 10]
)
def test_a_qr_code_or_its_url_is_left_to_be_looked_up(typed: str) -> None:
    check_typed_card(typed)
