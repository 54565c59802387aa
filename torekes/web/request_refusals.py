"""No page address ever answers JSON: what FastAPI itself refuses before any page runs (an
unknown address, a method the address does not take, an address or form field outside its
limits) is answered at a page's address with a page in the person's language and the same
status, as every page's own refusals are; a form's field that breaks its limit draws the form
again (``form_pages``), with the message next to the field.

The machine addresses keep the API's ``application/problem+json``: the API itself (``/api/...``),
the probes and metrics, the API's documentation, and ``/till/{code}/status``, which only the
till's script asks and which answers JSON whatever happens (the script reads any other answer as
"ask again"). A path in a page's address that breaks its limits (``/projects/abc``, a code too
long) names no page, so it is a 404 like an unknown address.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from torekes.web.problems import N_, SOMETHING_WRONG
from torekes.web.session import PageContext, page_context

Handler = Callable[[Request, Exception], Awaitable[Response]]

MACHINE_PATHS = re.compile(
    r"/api(/.*)?|/healthz|/readyz|/metrics|/openapi\.json|/docs(/.*)?|/redoc|/till/[^/]+/status"
)
NOT_A_PAGE = N_("This page does not exist. Check the address, or start again from your wallet.")
WRONG_WAY = N_(
    "This page cannot be opened this way: it takes a form. Go back to the form and send it again."
)
TOO_LARGE = N_("What this form sent is too large. Send less, and try again.")
BAD_ADDRESS = N_("This address is not valid. Start again from the page you came from.")
# What a form field that breaks its limits is told, by the kind of validation error.
FIELD_WORDS: dict[str, str] = {
    "string_too_long": N_("At most %(max_length)s characters."),
    "string_too_short": N_("At least %(min_length)s characters."),
    "missing": N_("Fill this in."),
    "int_parsing": N_("Type a whole number."),
    "int_from_float": N_("Type a whole number."),
    "int_type": N_("Type a whole number."),
    "float_parsing": N_("Type a number."),
    "greater_than_equal": N_("Type a number of at least %(ge)s."),
    "greater_than": N_("Type a number above %(gt)s."),
    "less_than_equal": N_("Type a number of at most %(le)s."),
    "less_than": N_("Type a number below %(lt)s."),
}
NOT_VALID = N_("This is not valid. Check it and try again.")


def is_page(path: str) -> bool:
    """Whether ``path`` is a page's address (anything but the machine addresses)."""
    return MACHINE_PATHS.fullmatch(path) is None


def install_request_refusals(app: FastAPI) -> None:
    """Answer validation errors and HTTP errors at pages' addresses with pages, and leave the
    API's handlers (installed before) to answer them everywhere else."""
    api_invalid = _handler(app, RequestValidationError)
    api_http = _handler(app, StarletteHTTPException)

    async def invalid(request: Request, error: Exception) -> Response:
        if not is_page(request.url.path):
            return await api_invalid(request, error)
        assert isinstance(error, RequestValidationError)
        return await anyio.to_thread.run_sync(_invalid_page, request, error)

    async def http_error(request: Request, error: Exception) -> Response:
        if not is_page(request.url.path):
            return await api_http(request, error)
        assert isinstance(error, StarletteHTTPException)
        return await anyio.to_thread.run_sync(_http_error_page, request, error)

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _handler(app: FastAPI, kind: type[Exception]) -> Handler:
    found: Handler = app.exception_handlers[kind]  # type: ignore[assignment]
    return found


def _page(request: Request) -> PageContext:
    """The page the request was for: the one its route began (with the form it sent), or, for
    an address no route took, one made now (its person, language and cookies)."""
    begun = getattr(request.state, "page", None)
    if isinstance(begun, PageContext):
        return begun
    return page_context(request, request.app.state.db, request.app.state.settings, None)


def _invalid_page(request: Request, error: RequestValidationError) -> Response:
    page = _page(request)
    issues: list[Mapping[str, Any]] = list(error.errors())
    where = {str(issue.get("loc", ("",))[0]) for issue in issues}
    if "path" in where:
        return page.refuse(NOT_A_PAGE, 404, again=False)
    fields = [issue for issue in issues if issue.get("loc", ("",))[0] == "body"]
    if not fields:
        return page.refuse(BAD_ADDRESS, 422, again=False)
    first = fields[0]
    location = first.get("loc", ())
    kind = str(first.get("type", ""))
    context = {name: str(value) for name, value in (first.get("ctx") or {}).items()}
    return page.refuse(
        FIELD_WORDS.get(kind, NOT_VALID),
        422,
        field=str(location[1]) if len(location) > 1 else None,
        params=context if kind in FIELD_WORDS else {},
    )


def _http_error_page(request: Request, error: StarletteHTTPException) -> Response:
    page = _page(request)
    message = {404: NOT_A_PAGE, 405: WRONG_WAY, 413: TOO_LARGE}.get(
        error.status_code, SOMETHING_WRONG
    )
    response = page.refuse(message, error.status_code, again=False)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response
