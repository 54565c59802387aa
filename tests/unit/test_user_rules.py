"""Username and password rules (no database), shared by the API, the command line and demo data:
a username is 3 to 64 ASCII letters, digits or ``. _ @ -`` and nothing else (no spaces, accents or
trailing newline); a password is 8 to 256 characters, counted as characters rather than bytes,
and contains no NUL.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from torekes.domain import errors
from torekes.domain.users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    check_username,
)

USERNAME_ALPHABET = string.ascii_letters + string.digits + "_.@-"

# --- usernames -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    [
        "abc",
        "a" * 64,
        "alice",
        "Alice.Smith",
        "bob_1",
        "carol@example.org",
        "d-e",
        "123",
        "...",
        "-_@",
    ],
)
def test_valid_usernames_are_accepted(username: str) -> None:
    check_username(username)


@pytest.mark.parametrize(
    "username",
    [
        "",
        "ab",
        "a" * 65,
        "alice smith",
        "alice!",
        "al/ce",
        "alice+tag@example.org",
        "élodie",
        "alice\n",
        "\nalice",
        " alice",
        "alice\x00",
        "\uff41\uff4c\uff49\uff43\uff45",  # full-width letters
    ],
)
def test_invalid_usernames_are_refused(username: str) -> None:
    with pytest.raises(errors.InvalidUsername) as caught:
        check_username(username)
    assert caught.value.code == "invalid_username"
    assert isinstance(caught.value, errors.InvalidInput)


@given(username=st.text(alphabet=USERNAME_ALPHABET, min_size=3, max_size=64))
def test_any_username_of_the_allowed_characters_and_length_is_accepted(username: str) -> None:
    check_username(username)


@given(
    before=st.text(alphabet=USERNAME_ALPHABET, max_size=30),
    bad=st.characters().filter(lambda char: char not in USERNAME_ALPHABET),
    after=st.text(alphabet=USERNAME_ALPHABET, max_size=30),
)
def test_one_character_outside_the_alphabet_is_enough_to_refuse(
    before: str, bad: str, after: str
) -> None:
    with pytest.raises(errors.InvalidUsername):
        check_username(before + bad + after)


# --- passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "x" * MIN_PASSWORD_LENGTH,
        "x" * MAX_PASSWORD_LENGTH,
        "correct horse battery staple",
        "é" * 8,  # eight characters, sixteen bytes
        "🔑" * 8,
    ],
)
def test_passwords_of_8_to_256_characters_are_accepted(password: str) -> None:
    check_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "",
        "x" * (MIN_PASSWORD_LENGTH - 1),
        "x" * (MAX_PASSWORD_LENGTH + 1),
        "é" * 7,  # fourteen bytes but seven characters
        "\x00" + "x" * 8,
        "x" * 8 + "\x00",
        "pass\x00word",
    ],
)
def test_short_long_or_nul_passwords_are_refused(password: str) -> None:
    with pytest.raises(errors.WeakPassword) as caught:
        check_password(password)
    assert caught.value.code == "weak_password"
    assert isinstance(caught.value, errors.InvalidInput)


def test_the_limits_are_8_and_256() -> None:
    assert (MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH) == (8, 256)


@given(
    password=st.text(
        alphabet=st.characters(exclude_characters="\x00"),
        min_size=MIN_PASSWORD_LENGTH,
        max_size=MAX_PASSWORD_LENGTH,
    )
)
def test_any_password_of_allowed_length_without_nul_is_accepted(password: str) -> None:
    check_password(password)


@given(
    before=st.text(max_size=MAX_PASSWORD_LENGTH // 2),
    after=st.text(max_size=MAX_PASSWORD_LENGTH // 2),
)
def test_a_nul_anywhere_refuses_the_password(before: str, after: str) -> None:
    with pytest.raises(errors.WeakPassword):
        check_password(before + "\x00" + after)
