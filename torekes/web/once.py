"""A page form's write that a double tap or a reload must not repeat: the form carries a random
one-time key, made when it was drawn, and its write runs through the same idempotent write as the
API's ``Idempotency-Key``, so the same form sent again gets the first outcome back and changes
nothing, while the key sent with another form is refused (``idempotency_key_reused``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from torekes.domain.access import Principal
from torekes.kit.unit_of_work import (
    StoredResponse,
    WriteContext,
    request_fingerprint,
    write_idempotently,
)
from torekes.web.session import PageContext

T = TypeVar("T")


def new_key() -> str:
    """A fresh one-time key for one form: 192 random bits."""
    return secrets.token_urlsafe(24)


def form_fingerprint(path: str, asked: dict[str, Any]) -> str:
    """What a form asked of the page at ``path``, to tell a repeat from another use of its key."""
    return request_fingerprint("POST", path, json.dumps(asked).encode())


def write_once(
    page: PageContext,
    actor: Principal,
    key: str,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], T],
    render: Callable[[T], tuple[int, Any]],
) -> StoredResponse:
    """Run the form's write once per key; a repeat gets the stored outcome of the first."""
    fingerprint = form_fingerprint(page.request.url.path, asked)
    return write_idempotently(page.db, actor, key, fingerprint, operation, render)
