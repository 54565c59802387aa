"""Codes a write shows, derived here so that a stored response keeps none of them readable.

A write's response may show codes the server derives from the secret key and a stored nonce (claim
codes and their short codes, a payment request's code, a member card's code and number, and the URLs
that hold them). A write made with an ``Idempotency-Key`` stores its response for replays, and a
secret is stored only as a digest, in every table and backup. So every code is derived through this
module: while a write runs (``remembering``), each code derived is remembered with how to derive it
again (purpose, nonce and position); ``conceal`` replaces each one the response shows with a random
placeholder and says how to rebuild it, and ``reveal`` derives the codes again with the secret key
when the response is replayed. The nonces are in the database already and give nothing away without
the key; a card number, which is not derived, is kept sealed with the key.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from torekes.domain.cards import format_card_number
from torekes.kit import security

# How to derive a code again: its purpose, its nonce and its position.
Recipe = tuple[str, str, int]
# A placeholder in a stored response, with the recipe of the code it stands for.
Concealed = list[tuple[str, Recipe]]

SHOWN_CARD_NUMBER = "shown card number"  # the purpose a stored response's card number is sealed for
_DERIVATIONS: dict[str, Callable[[str, str, int], str]] = {
    "claim-code": security.claim_code,
    "short-code": security.short_code,
    "payment-request": lambda key, nonce, _position: security.payment_request_code(key, nonce),
    "member-card": lambda key, nonce, _position: security.card_code(key, nonce),
    "card-number": lambda key, sealed, _position: format_card_number(
        security.unseal(key.encode(), SHOWN_CARD_NUMBER, sealed)
    ),
}
_PLACEHOLDER = re.compile(r"~[0-9a-f]{24}~")
_remembered: ContextVar[dict[str, Recipe] | None] = ContextVar("shown_codes", default=None)


def claim_code(secret_key: str, nonce: str, position: int) -> str:
    return _derive(secret_key, ("claim-code", nonce, position))


def short_code(secret_key: str, nonce: str, position: int) -> str:
    return _derive(secret_key, ("short-code", nonce, position))


def payment_request_code(secret_key: str, nonce: str) -> str:
    return _derive(secret_key, ("payment-request", nonce, 0))


def card_code(secret_key: str, nonce: str) -> str:
    return _derive(secret_key, ("member-card", nonce, 0))


def card_number(secret_key: str, number: str) -> str:
    """The card number as printed ("123 456 7890")."""
    sealed = security.seal(secret_key.encode(), SHOWN_CARD_NUMBER, number)
    return _derive(secret_key, ("card-number", sealed, 0))


def _derive(secret_key: str, recipe: Recipe) -> str:
    purpose, nonce, position = recipe
    code = _DERIVATIONS[purpose](secret_key, nonce, position)
    remembered = _remembered.get()
    if remembered is not None:
        remembered[code] = recipe
    return code


@contextmanager
def remembering() -> Iterator[dict[str, Recipe]]:
    """Inside, every code derived is remembered in the mapping yielded (code -> recipe)."""
    remembered: dict[str, Recipe] = {}
    token = _remembered.set(remembered)
    try:
        yield remembered
    finally:
        _remembered.reset(token)


def conceal(text: str, remembered: dict[str, Recipe]) -> tuple[str, Concealed]:
    """``text`` with each remembered code it holds (alone or inside a URL) replaced by a fresh
    random placeholder, and the placeholders with the recipes that rebuild them."""
    if not remembered:
        return text, []
    # Longest first, so that no code is cut out of a longer one that holds it.
    codes = sorted(remembered, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(code) for code in codes))
    placeholders: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        code = match.group(0)
        if code not in placeholders:
            placeholders[code] = f"~{secrets.token_hex(12)}~"
        return placeholders[code]

    concealed = pattern.sub(placeholder, text)
    return concealed, [(held, remembered[code]) for code, held in placeholders.items()]


def reveal(text: str, concealed: Concealed, secret_key: str) -> str:
    """``text`` with each of its placeholders replaced by the code derived again; text that only
    looks like a placeholder (a memo someone typed) is left as it is."""
    if not concealed:
        return text
    codes = {held: _DERIVATIONS[recipe[0]](secret_key, *recipe[1:]) for held, recipe in concealed}
    return _PLACEHOLDER.sub(lambda match: codes.get(match.group(0), match.group(0)), text)
