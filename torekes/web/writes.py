"""How a page's form writes, for every audience: once, whatever a double tap or a reload repeats.

Every form that writes carries a random one-time key (``new_key``, drawn into the form as the
hidden field ``key``), and its write runs through the same idempotent write as the API's
``Idempotency-Key``: the same form sent again gets the first outcome back and changes nothing,
while the key sent with another form is refused (``idempotency_key_reused``). A form that comes
without its key (a page drawn before this rule, or a form made by hand) is refused
(``invalid_idempotency_key``, a page that asks to reload) and writes nothing. The keys are kept
apart from the API's by a prefix. A refusal once the write has begun is kept as the API keeps
it, so the same form sent again shows the same refusal page.

This module is the only one of the pages that may reach the unit of work (an import contract in
``pyproject.toml`` says so, and a test sends every page's form twice), so no page can write
without its key. ``write_once`` answers the stored body of the outcome, ``write_once_as_api``
stores and reads it as the API's own write does, ``redirect_once`` leads on to the page that
shows the result (the same page for a repeat), and ``committing_once`` hands a use case that runs
its own steps before the write (a card payment tries the PIN first) the write to run once.

A form whose amount is above its currency's ``confirm_above`` (a payment request at the till, a
card payment, an activity's reward) passes a ``Confirmation``: until the form carries the
amount confirmed, nothing is written and ``Unconfirmed`` is raised for the page to ask, with the
same key; a repeat of a form already written is answered as any repeat is.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from torekes.api.errors import refusal_problem
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.spending import needs_confirmation
from torekes.kit.unit_of_work import (
    KeyedRequest,
    StoredResponse,
    WriteContext,
    kept_outcome,
    request_fingerprint,
    stored_response,
    write_idempotently,
)

if TYPE_CHECKING:
    from fastapi.responses import Response

    from torekes.web.session import PageContext

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# How an outcome is stored for a repeat of its form: the status code and the JSON body.
StoredAs = Callable[[T], tuple[int, Any]]
# A form's write: a use case's operation, run in the unit of work's transaction.
Operation = Callable[[WriteContext], T]
# A form's outcome as it was stored: its status code and body, and whether this is a repeat.
Outcome = StoredResponse
KEY_FIELD = "key"
# The field of a form that confirms a large amount: the amount confirmed, in minor units.
CONFIRM_FIELD = "confirm"
KEY_PREFIX = "page-form:"


def new_key() -> str:
    """A fresh one-time key for one form: 192 random bits."""
    return secrets.token_urlsafe(24)


def carried_key(key: str | None) -> str:
    """The one-time key a form's first step carries on to the page of its second (the PIN
    page), so sending the first step again leads to the same write; refused when missing."""
    if not key:
        raise errors.InvalidIdempotencyKey()
    return key


def form_fingerprint(path: str, asked: dict[str, Any]) -> str:
    """What a form asked of the page at ``path``, to tell a repeat from another use of its key."""
    return request_fingerprint("POST", path, json.dumps(asked).encode())


def as_api(schema: type[BaseModel]) -> StoredAs[object]:
    """Store an outcome as the API stores it (201 and the API's body), so a replay reads the
    same."""
    return lambda result: (201, schema.model_validate(result).model_dump(mode="json"))


def keyed(page: PageContext, key: str | None, fingerprint: str) -> KeyedRequest:
    """The form's one-time key as the unit of work keeps it, refusals stored as the API's."""
    path = page.request.url.path
    return KeyedRequest(
        _stored_key(key), fingerprint, page.settings.secret_key, refusal_problem(path)
    )


@dataclass(frozen=True, slots=True)
class Confirmation:
    """An amount typed on a form (minor units), its currency's ``confirm_above``, and what the
    form confirmed: the field ``CONFIRM_FIELD``, which holds the amount confirmed, so ticking it
    for one amount does not confirm another one typed instead."""

    amount: int
    above: int | None
    confirmed: str = ""

    @property
    def needed(self) -> bool:
        return needs_confirmation(self.amount, self.above) and self.confirmed != str(self.amount)


class Unconfirmed(Exception):
    """The form's amount waits for confirmation: nothing was written; the page asks (see
    ``torekes.web.confirming``) with the same form and key, so the confirmed form runs once."""

    def __init__(self, confirmation: Confirmation) -> None:
        super().__init__(confirmation.amount)
        self.confirmation = confirmation


def check_confirmed(confirmation: Confirmation | None, earlier: Outcome | None) -> None:
    """Raise ``Unconfirmed`` when the form's amount needs a confirmation it does not carry;
    a repeat of a form already written (``earlier``, its first outcome) is not asked again."""
    if confirmation is not None and confirmation.needed and earlier is None:
        raise Unconfirmed(confirmation)


def run_once(
    page: PageContext,
    actor: Principal,
    key: str | None,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], T],
    stored_as: StoredAs[T],
    confirmation: Confirmation | None = None,
) -> Outcome:
    """Run the form's write once per ``key`` (``asked``: what the form asks, told apart from
    another form's by it) and answer its stored outcome, ``replayed`` for a repeat. With a
    ``confirmation`` whose amount needs one, nothing is written until the form confirms it."""
    fingerprint = form_fingerprint(page.request.url.path, asked)
    request = keyed(page, key, fingerprint)
    if confirmation is not None and confirmation.needed:
        check_confirmed(confirmation, stored_response(page.db, actor, request))
    return write_idempotently(page.db, actor, request, operation, stored_as)


def write_once(
    page: PageContext,
    actor: Principal,
    key: str | None,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], T],
    stored_as: StoredAs[T],
    confirmation: Confirmation | None = None,
) -> Any:
    """``run_once``, answering the body ``stored_as`` made of the first outcome."""
    return run_once(page, actor, key, asked, operation, stored_as, confirmation).body


def write_once_as_api(
    page: PageContext,
    actor: Principal,
    key: str | None,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], object],
    schema: type[M],
) -> M:
    """``write_once``, its outcome stored as the API stores it and read back as the API's
    ``schema``, so the first outcome and a repeat's look the same."""
    return schema.model_validate(write_once(page, actor, key, asked, operation, as_api(schema)))


def redirect_once(
    page: PageContext,
    actor: Principal,
    key: str | None,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], T],
    then: str | Callable[[T], str],
) -> Response:
    """``write_once``, then on to ``then`` (or the address it makes of the outcome); a repeat
    goes where the first one went."""
    stored = write_once(
        page,
        actor,
        key,
        asked,
        operation,
        lambda done: (303, {"location": then if isinstance(then, str) else then(done)}),
    )
    return page.redirect(str(stored["location"]))


def first_outcome(
    page: PageContext, actor: Principal, key: str | None, fingerprint: str
) -> Outcome | None:
    """The outcome of the form sent earlier with this key, for a use case that must answer a
    repeat before it does anything else (a card payment must not try the PIN again)."""
    return stored_response(page.db, actor, keyed(page, key, fingerprint))


def outcome_of(page: PageContext, actor: Principal, key: str) -> Outcome:
    """The stored outcome of the actor's own form sent with ``key``, for the page that shows it
    after the write (a card payment's hand-over view); another person's key, or a key whose
    write was refused, is ``not_found``."""
    if not key:
        raise errors.NotFound()
    try:
        found = kept_outcome(page.db, actor, _stored_key(key), page.settings.secret_key)
    except errors.InvalidIdempotencyKey:
        found = None
    if found is None:
        raise errors.NotFound()
    return found


def committing_once(
    page: PageContext,
    actor: Principal,
    key: str | None,
    fingerprint: str,
    stored_as: StoredAs[T],
) -> Callable[[Callable[[WriteContext], T]], Outcome]:
    """The write a use case that runs its own steps first (``cards.charge``) is handed: its
    operation, run once per ``key``."""
    request = keyed(page, key, fingerprint)
    return lambda operation: write_idempotently(page.db, actor, request, operation, stored_as)


def _stored_key(key: str | None) -> str:
    if not key:
        raise errors.InvalidIdempotencyKey()
    return KEY_PREFIX + key
