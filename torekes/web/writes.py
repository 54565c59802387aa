"""How a page's form writes, for every audience: once, whatever a double tap or a reload repeats.

A write that a double tap or a reload must not repeat carries a random one-time key in its form,
made when the form was drawn, and runs through the same idempotent write as the API's
``Idempotency-Key`` (``write_once``): the same form sent again gets the first outcome back and
changes nothing, while the key sent with another form is refused (``idempotency_key_reused``);
``write_once_as_api`` stores and reads the outcome as the API's own write does. A refusal once
the write has begun is kept as the API keeps it, so the same form sent again shows the same
refusal page.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from torekes.api.errors import refusal_problem
from torekes.domain.access import Principal
from torekes.kit.unit_of_work import (
    KeyedRequest,
    WriteContext,
    request_fingerprint,
    write,
    write_idempotently,
)
from torekes.web.session import PageContext

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# How an outcome is stored for a repeat of its form: the status code and the JSON body.
StoredAs = Callable[[T], tuple[int, Any]]


def new_key() -> str:
    """A fresh one-time key for one form: 192 random bits."""
    return secrets.token_urlsafe(24)


def form_fingerprint(path: str, asked: dict[str, Any]) -> str:
    """What a form asked of the page at ``path``, to tell a repeat from another use of its key."""
    return request_fingerprint("POST", path, json.dumps(asked).encode())


def as_api(schema: type[BaseModel]) -> StoredAs[object]:
    """Store an outcome as the API stores it (201 and the API's body), so a replay reads the
    same."""
    return lambda result: (201, schema.model_validate(result).model_dump(mode="json"))


def keyed(page: PageContext, key: str, fingerprint: str) -> KeyedRequest:
    """The form's one-time key as the unit of work keeps it, refusals stored as the API's."""
    path = page.request.url.path
    return KeyedRequest(key, fingerprint, page.settings.secret_key, refusal_problem(path))


def write_once(
    page: PageContext,
    actor: Principal,
    key: str | None,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], T],
    stored_as: StoredAs[T],
) -> Any:
    """Run the form's write once per ``key`` and answer the body ``stored_as`` makes of its
    outcome; a repeat with the key gets the first outcome's stored body back. ``None`` (a form
    that came without a key, where a page allows that) runs the write as it is."""
    if key is None:
        return stored_as(write(page.db, actor, operation))[1]
    request = keyed(page, key, form_fingerprint(page.request.url.path, asked))
    return write_idempotently(page.db, actor, request, operation, stored_as).body


def write_once_as_api(
    page: PageContext,
    actor: Principal,
    key: str,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], object],
    schema: type[M],
) -> M:
    """``write_once``, its outcome stored as the API stores it and read back as the API's
    ``schema``, so the first outcome and a repeat's look the same."""
    return schema.model_validate(write_once(page, actor, key, asked, operation, as_api(schema)))
