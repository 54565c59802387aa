"""Secrets: argon2 password hashes and opaque API tokens stored as keyed digests.

Passwords are low-entropy, so they get argon2 (slow on purpose). API tokens carry 256 random
bits, so a keyed SHA-256 (HMAC with the installation's secret key) is enough to store them: a
stolen table of digests gives away no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "trk_"  # noqa: S105 - a visible prefix, not a secret
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_equal_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown username is as slow as a wrong password."""
    verify_password(_dummy_hash(), password)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
