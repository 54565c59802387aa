"""Secrets: argon2 password and PIN hashes, and opaque API tokens stored as keyed digests.

Passwords are low-entropy, so they get argon2 (slow on purpose); a hash made with older argon2
parameters is made again at the next right password (``needs_rehash``). A PIN has so few
possible values that argon2 alone would not protect it in a copied database, so it is peppered
first: argon2 hashes HMAC-SHA-256(pepper key, PIN), where the key comes from the settings
(``TOREKES_PIN_PEPPER``, or derived from the secret key) and is never stored in the database.
Peppered hashes carry the prefix ``peppered$``; a hash without it is an older plain argon2 hash of
the PIN, still accepted and replaced by a peppered one at its next right PIN.

API tokens carry 256 random bits, so a keyed SHA-256 (HMAC with the installation's secret key) is
enough to store them: a stolen table of digests gives away no usable token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_PREFIX = "trk_"  # noqa: S105 - a visible prefix, not a secret
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other argon2 parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


PEPPERED = "peppered$"


def _peppered(pepper_key: bytes, pin: str) -> str:
    return hmac.new(pepper_key, pin.encode(), hashlib.sha256).hexdigest()


def hash_pin(pepper_key: bytes, pin: str) -> str:
    return PEPPERED + _hasher.hash(_peppered(pepper_key, pin))


def verify_pin(pepper_key: bytes, pin_hash: str, pin: str) -> bool:
    """One argon2 check of ``pin``, against a peppered hash or an older plain one."""
    if pin_hash.startswith(PEPPERED):
        return verify_password(pin_hash.removeprefix(PEPPERED), _peppered(pepper_key, pin))
    return verify_password(pin_hash, pin)


def pin_needs_rehash(pin_hash: str) -> bool:
    """Whether a PIN's hash is an older unpeppered one, or made with older argon2 parameters."""
    return not pin_hash.startswith(PEPPERED) or needs_rehash(pin_hash.removeprefix(PEPPERED))


@cache
def dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_equal_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown username is as slow as a wrong password."""
    verify_password(dummy_hash(), password)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


# --- claim codes, payment requests and member cards -----------------------------------------------
# A claim code is derived, never stored: HMAC(secret key, batch nonce and position); the codes of
# payment requests and member cards are derived the same way from their own 128-bit nonce. The
# database keeps only SHA-256 digests for look-up, so a sheet, a till's QR or a card can be printed
# again later, as long as the secret key is the same. A short code (60 bits, Crockford base32) is
# derived the same way for people who type instead of scanning.

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_CODE_LENGTH = 12
_TYPO_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def new_nonce() -> str:
    return secrets.token_hex(16)


def _derive(secret_key: str, purpose: str, nonce: str, position: int) -> bytes:
    message = f"{purpose}|{nonce}|{position}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def derived_code(secret_key: str, purpose: str, nonce: str, position: int = 0) -> str:
    """160 random-looking bits, URL-safe: 27 characters of base64url."""
    digest = _derive(secret_key, purpose, nonce, position)[:20]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def claim_code(secret_key: str, nonce: str, position: int) -> str:
    return derived_code(secret_key, "claim-code", nonce, position)


def payment_request_code(secret_key: str, nonce: str) -> str:
    return derived_code(secret_key, "payment-request", nonce)


def card_code(secret_key: str, nonce: str) -> str:
    return derived_code(secret_key, "member-card", nonce)


def short_code(secret_key: str, nonce: str, position: int) -> str:
    """Twelve Crockford base32 characters, shown as XXXX-XXXX-XXXX."""
    number = int.from_bytes(_derive(secret_key, "short-code", nonce, position)[:8], "big")
    chars = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(SHORT_CODE_LENGTH))
    return "-".join(chars[i : i + 4] for i in range(0, SHORT_CODE_LENGTH, 4))


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def short_code_digest(typed: str) -> str | None:
    """The digest of a typed short code, forgiving case, dashes, spaces, O/0 and I/L/1."""
    cleaned = typed.upper().translate(_TYPO_FIXES)
    if len(cleaned) != SHORT_CODE_LENGTH or any(char not in CROCKFORD for char in cleaned):
        return None
    return code_digest("-".join(cleaned[i : i + 4] for i in range(0, SHORT_CODE_LENGTH, 4)))


# --- member card numbers --------------------------------------------------------------------------
# A card number is typed at a counter, so it is short (a billion possible) and a plain digest of it
# would be reversed by trying them all. The database keeps a keyed digest to find a card by its
# number and the number itself sealed (AES-GCM), to print it again; both are keyed with the card
# key (the PIN pepper's key), so a copied database alone gives no number away.


def card_number_digest(key: bytes, number: str) -> str:
    return hmac.new(key, f"card-number|{number}".encode(), hashlib.sha256).hexdigest()


def seal(key: bytes, purpose: str, text: str) -> str:
    """``text`` encrypted and authenticated under a key derived from ``key`` for ``purpose``."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_sealing_key(key, purpose)).encrypt(nonce, text.encode(), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(key: bytes, purpose: str, sealed: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode())
    opened = AESGCM(_sealing_key(key, purpose)).decrypt(raw[:12], raw[12:], purpose.encode())
    return opened.decode()


def _sealing_key(key: bytes, purpose: str) -> bytes:
    return hmac.new(key, f"seal|{purpose}".encode(), hashlib.sha256).digest()
