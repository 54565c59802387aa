"""Redemption rules (no database): a redemption is approved only while requested, paid only once
approved, rejected only before it is paid, and each refusal names the state it is in; its euro
value is the tokens at the rate in cents, rounded half up; a euro rate is a finite, non-negative
number up to a million with at most eight decimals; and an IBAN is accepted without spaces and in
upper case only when its shape (two letters, two check digits, 11 to 30 letters or digits) and its
ISO 7064 mod-97 check digits hold, so normalising is idempotent and any single mistyped digit is
caught.
"""

from __future__ import annotations

import string
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.entries import MAX_AMOUNT
from torekes.domain.redemption import (
    MAX_RATE,
    RedemptionStatus,
    RedemptionStep,
    check_rate,
    check_step,
    euro_cents,
    normalise_iban,
)

# --- steps ---------------------------------------------------------------------------------------

ALLOWED_STEPS = [
    (RedemptionStatus.REQUESTED, RedemptionStep.APPROVE),
    (RedemptionStatus.REQUESTED, RedemptionStep.REJECT),
    (RedemptionStatus.APPROVED, RedemptionStep.PAY),
    (RedemptionStatus.APPROVED, RedemptionStep.REJECT),
]


@pytest.mark.parametrize(("status", "step"), ALLOWED_STEPS)
def test_allowed_steps(status: RedemptionStatus, step: RedemptionStep) -> None:
    check_step(status, step)


@pytest.mark.parametrize(
    ("status", "step", "error", "error_code"),
    [
        (
            RedemptionStatus.REQUESTED,
            RedemptionStep.PAY,
            errors.RedemptionNotApproved,
            "redemption_not_approved",
        ),
        (
            RedemptionStatus.APPROVED,
            RedemptionStep.APPROVE,
            errors.RedemptionAlreadyApproved,
            "redemption_already_approved",
        ),
        *[
            (RedemptionStatus.PAID, step, errors.RedemptionAlreadyPaid, "redemption_already_paid")
            for step in RedemptionStep
        ],
        *[
            (
                RedemptionStatus.REJECTED,
                step,
                errors.RedemptionAlreadyRejected,
                "redemption_already_rejected",
            )
            for step in RedemptionStep
        ],
    ],
)
def test_refused_steps_name_the_state_the_redemption_is_in(
    status: RedemptionStatus,
    step: RedemptionStep,
    error: type[errors.TorekesError],
    error_code: str,
) -> None:
    with pytest.raises(error) as caught:
        check_step(status, step)
    assert type(caught.value) is error
    assert caught.value.code == error_code
    assert isinstance(caught.value, errors.Conflict)


def test_every_status_and_step_is_either_allowed_or_refused_as_a_conflict() -> None:
    for status in RedemptionStatus:
        for step in RedemptionStep:
            if (status, step) in ALLOWED_STEPS:
                check_step(status, step)
            else:
                with pytest.raises(errors.Conflict):
                    check_step(status, step)


# --- euro cents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "decimals", "rate", "cents"),
    [
        (100, 2, "1", 100),  # one token at one euro
        (1, 2, "1", 1),
        (250, 0, "0.1", 2500),
        (12345, 2, "0.12345678", 1524),  # 15.2406...
        (1, 2, "0.5", 1),  # exactly half a cent rounds up
        (1, 2, "0.49999999", 0),  # just under half a cent rounds down
        (3, 2, "0.5", 2),  # 1.5 cents rounds up
        (1, 8, "1", 0),
        (50_000_000, 8, "1", 50),
        (0, 2, "1", 0),
        (10**6, 2, "0", 0),
        (7, 0, "1000000", 700_000_000),
    ],
)
def test_euro_cents_are_the_value_at_the_rate_rounded_half_up(
    amount: int, decimals: int, rate: str, cents: int
) -> None:
    assert euro_cents(amount, decimals, Decimal(rate)) == cents


def exact_cents(amount: int, decimals: int, rate: Decimal) -> int:
    value = Fraction(amount, 10**decimals) * Fraction(rate) * 100
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)


rates = st.integers(0, int(MAX_RATE) * 10**8).map(lambda units: Decimal(units).scaleb(-8))


# Over the whole range of amounts: the product must not be rounded before the cents are.
@settings(max_examples=500, deadline=None)
@given(amount=st.integers(0, MAX_AMOUNT), decimals=st.integers(0, 8), rate=rates)
def test_euro_cents_match_exact_arithmetic(amount: int, decimals: int, rate: Decimal) -> None:
    assert euro_cents(amount, decimals, rate) == exact_cents(amount, decimals, rate)


def test_the_largest_amount_at_the_largest_rate_is_rounded_once() -> None:
    # 999999999999999 x 999999.99500001 euros is ...900000000.499999 cents: half up gives ...000.
    cents = euro_cents(999_999_999_999_999, 0, Decimal("999999.99500001"))
    assert cents == exact_cents(999_999_999_999_999, 0, Decimal("999999.99500001"))
    assert str(cents).endswith("900000000")


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(0, MAX_AMOUNT),
    second=st.integers(0, MAX_AMOUNT),
    decimals=st.integers(0, 8),
    rate=rates,
)
def test_more_tokens_are_never_worth_fewer_cents(
    first: int, second: int, decimals: int, rate: Decimal
) -> None:
    low, high = sorted([first, second])
    assert euro_cents(low, decimals, rate) <= euro_cents(high, decimals, rate)


# --- rates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate",
    ["0", "0.00000001", "0.1", "1", "0.12345678", "999999.99999999", "1000000", "1.000000000"],
)
def test_finite_non_negative_rates_with_up_to_eight_decimals_are_accepted(rate: str) -> None:
    check_rate(Decimal(rate))


@pytest.mark.parametrize(
    "rate",
    [
        "-0.00000001",
        "-1",
        "0.000000001",
        "0.123456789",
        "1000000.00000001",
        "1000001",
        "1e7",
        "NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
    ],
)
def test_other_rates_are_refused(rate: str) -> None:
    with pytest.raises(errors.InvalidRate) as caught:
        check_rate(Decimal(rate))
    assert caught.value.code == "invalid_rate"
    assert isinstance(caught.value, errors.InvalidInput)


# --- IBANs ---------------------------------------------------------------------------------------


def with_check_digits(country: str, bban: str) -> str:
    """The IBAN of ``bban`` in ``country`` with the check digits ISO 7064 MOD 97-10 gives it."""
    as_digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(as_digits) % 97:02d}{bban}"


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("BE68 5390 0754 7034", "BE68539007547034"),
        ("BE68539007547034", "BE68539007547034"),
        ("be68 5390 0754 7034", "BE68539007547034"),
        ("  BE68\t5390 0754\n7034  ", "BE68539007547034"),
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("gb82west12345698765432", "GB82WEST12345698765432"),
        ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
        ("NO93 8601 1117 947", "NO9386011117947"),  # the shortest in use, 15 characters
        ("MT84 MALT 0110 0001 2345 MTLC AST0 01S", "MT84MALT011000012345MTLCAST001S"),
    ],
)
def test_valid_ibans_are_accepted_without_spaces_in_upper_case(typed: str, normalised: str) -> None:
    assert normalise_iban(typed) == normalised


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "BE69 5390 0754 7034",  # wrong check digits
        "BE68 5390 0754 7035",  # a mistyped digit
        "BE68 5390 0754 7043",  # two digits swapped
        "BE68-5390-0754-7034",  # dashes are not spaces
        "BE68 5390 0754 703",  # a digit left out
        "B168 5390 0754 7034",  # the country is two letters
        "BEX8 5390 0754 7034",  # the check digits are digits
        "68BE 5390 0754 7034",
        "BE68 5390 0754 7034!",
        "BÉ68 5390 0754 7034",
    ],
)
def test_invalid_ibans_are_refused(typed: str) -> None:
    with pytest.raises(errors.InvalidIban) as caught:
        normalise_iban(typed)
    assert caught.value.code == "invalid_iban"
    assert isinstance(caught.value, errors.InvalidInput)


@pytest.mark.parametrize(("length", "accepted"), [(14, False), (15, True), (34, True), (35, False)])
def test_an_iban_has_15_to_34_characters_even_when_its_check_digits_hold(
    length: int, accepted: bool
) -> None:
    iban = with_check_digits("BE", "1" * (length - 4))
    assert len(iban) == length
    if accepted:
        assert normalise_iban(iban) == iban
    else:
        with pytest.raises(errors.InvalidIban):
            normalise_iban(iban)


def test_the_check_digit_helper_agrees_with_a_published_iban() -> None:
    assert with_check_digits("BE", "539007547034") == "BE68539007547034"
    assert with_check_digits("GB", "WEST12345698765432") == "GB82WEST12345698765432"


countries = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2)
bbans = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=11, max_size=30)
valid_ibans = st.builds(with_check_digits, countries, bbans)


@st.composite
def typed_forms(draw: st.DrawFn, iban: str) -> str:
    """``iban`` as someone might type it: any case, spaces anywhere."""
    out = []
    for char in iban:
        out.append(char.lower() if draw(st.booleans()) else char)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from([" ", "  ", "\t"])))
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), iban=valid_ibans)
def test_any_typed_form_of_a_valid_iban_normalises_to_it(data: st.DataObject, iban: str) -> None:
    typed = data.draw(typed_forms(iban))
    assert normalise_iban(typed) == iban


@settings(max_examples=300, deadline=None)
@given(data=st.data(), iban=valid_ibans)
def test_normalising_is_idempotent(data: st.DataObject, iban: str) -> None:
    once = normalise_iban(data.draw(typed_forms(iban)))
    assert normalise_iban(once) == once


@settings(max_examples=300, deadline=None)
@given(data=st.data(), iban=valid_ibans)
def test_any_single_mistyped_digit_is_caught(data: st.DataObject, iban: str) -> None:
    # Check digits included: mod 97 catches every change of one digit into another.
    position = data.draw(
        st.sampled_from([index for index, char in enumerate(iban) if char.isdigit()])
    )
    digit = data.draw(st.sampled_from(string.digits.replace(iban[position], "")))
    mistyped = iban[:position] + digit + iban[position + 1 :]
    with pytest.raises(errors.InvalidIban):
        normalise_iban(mistyped)
