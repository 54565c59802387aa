"""Rules for usernames and passwords, the same for the API, the command line and demo data."""

from __future__ import annotations

import re

from torekes.domain import errors

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{3,64}$"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

_USERNAME = re.compile(USERNAME_PATTERN)


def check_username(username: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise errors.InvalidUsername(f"{username!r} is not a valid username")


def check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH or "\x00" in password:
        raise errors.WeakPassword(
            f"A password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, no NUL"
        )
