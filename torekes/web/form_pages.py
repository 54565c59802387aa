"""Which page each form is drawn on, so that a refusal of the form answers with that page drawn
again: with what was typed kept in its fields (never a password or PIN) and the message next to
the field it is about.

A route that takes a form names the page its form sits on with ``drawn_on``: a function that
draws that page (the same one its own address draws), given the page and the path's values. Any
refusal of the form, whether the fields broke their limits before the route ran (FastAPI's
validation) or the services refused what they asked, then draws that page through
``PageContext.refuse``; the page's templates read ``typed`` and ``refusal`` (see
``macros.html``). A form whose page cannot be drawn again (its project is gone, say) falls back
to the plain refusal page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as member
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.datastructures import FormData

if TYPE_CHECKING:
    from fastapi.responses import Response

    from torekes.web.session import PageContext

F = TypeVar("F", bound=Callable[..., Any])
# Draws the page a form sits on: the page, and the values of the form route's path.
DrawForm = Callable[["PageContext", Mapping[str, str]], "Response"]

# The fields a refused form never shows again: what it typed there stays with the person.
SECRET_WORDS = frozenset({"password", "pin"})
NOT_TYPED = frozenset({"csrf_token", "key"})

_DRAWN_ON: dict[Callable[..., Any], DrawForm] = {}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a form (or a page) was refused, as the page says it: ``message`` is a gettext message
    with its ``params``, ``field`` the form field it is about (None: the whole form)."""

    message: str
    status: int
    field: str | None = None
    params: Mapping[str, Any] = member(default_factory=dict)


def drawn_on(draw: DrawForm) -> Callable[[F], F]:
    """Name the page the form of the decorated route sits on (put it below the route's
    decorator, so the route is registered as it is)."""

    def register(endpoint: F) -> F:
        _DRAWN_ON[endpoint] = draw
        return endpoint

    return register


def form_page(endpoint: object) -> DrawForm | None:
    """How the page of the form ``endpoint`` takes is drawn, if it names one."""
    return _DRAWN_ON.get(endpoint) if callable(endpoint) else None


def is_secret(name: str) -> bool:
    return bool(SECRET_WORDS.intersection(name.split("_")))


def typed_values(sent: FormData | None) -> FormData:
    """What the person typed into a form, to show again: every field but passwords and PINs
    (and the form's CSRF token and one-time key, which a form drawn again gets anew)."""
    return FormData(
        [
            (name, value.replace("\x00", ""))
            for name, value in (sent or FormData()).multi_items()
            if isinstance(value, str) and name not in NOT_TYPED and not is_secret(name)
        ]
    )
