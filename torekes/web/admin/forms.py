"""An administrator's form, from the button to the page that shows what it did: only
administrators may send one (an auditor changes nothing, so every form of theirs is refused with
a 403 page); a form filled in wrongly is refused before any service is asked; the write runs once
per the form's one-time key (a double tap or a reload leads to the same page and changes
nothing), a refusal of the services becomes a page in plain words, and success leads on to the
page that shows the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi.responses import Response

from torekes.web.fields import Reason as ReasonField
from torekes.web.roles import ADMIN_ACTORS
from torekes.web.session import PageContext
from torekes.web.writes import Operation, redirect_once

T = TypeVar("T")

Reason = ReasonField


def write_and_redirect(
    page: PageContext,
    key: str,
    asked: dict[str, Any],
    operation: Operation[T],
    then: str | Callable[[T], str],
    refusal: str | None = None,
    field: str | None = None,
) -> Response:
    """A form's write as an administrator, once per ``key`` (``asked``: what the form asks),
    then a redirect to ``then`` (or to the address it makes of the result). ``refusal``: what to
    fix in a form filled in wrongly (in its ``field``), said before any service is asked."""
    who = page.require(*ADMIN_ACTORS)
    if refusal is not None:
        return page.refuse(refusal, field=field)
    with page.explaining():
        return redirect_once(page, who, key, asked, operation, then)
