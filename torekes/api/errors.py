"""Every error leaves the API as RFC 9457 ``application/problem+json`` with a stable ``code``.

Domain errors map by branch of the error tree to one status each; validation errors name the
field; anything unexpected becomes a bare 500 (or 503 when the database is busy) without internals,
so no SQL text or stack trace ever reaches a client. Every problem carries the request's id (also
in its ``X-Request-ID`` header), which every log line written for the request carries too; the
log names the route's template, never the raw path with its codes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from torekes.domain import errors
from torekes.kit.unit_of_work import replayed_problem
from torekes.logs.context import REQUEST_ID_HEADER, current_request_id
from torekes.observability.requests import route_template

logger = logging.getLogger("torekes.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
REPLAYED_HEADER = "Idempotent-Replayed"

STATUS_BY_BRANCH: list[tuple[type[errors.TorekesError], int]] = [
    (errors.InvalidInput, 422),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.RateLimited, 429),
]

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
}


def problem_body(
    instance: str,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:torekes:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
        "instance": instance,
        "request_id": current_request_id(),
    }
    if detail is not None:
        body["detail"] = detail
    # Extra members add context (an account id, the available amount) but never replace a
    # standard member.
    body.update({name: value for name, value in (extra or {}).items() if name not in body})
    return body


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(request.url.path, status, code, title, detail, extra)
    return problem_response(body, status, headers)


def problem_response(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id = current_request_id()
    if request_id is not None:
        # A 500 leaves through Starlette's outermost middleware, past the one that adds it.
        headers = {**(headers or {}), REQUEST_ID_HEADER: request_id}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def refusal_problem(instance: str) -> Callable[[errors.TorekesError], tuple[int, Any]]:
    """How a refusal at ``instance`` (the request's path) is stored against its
    ``Idempotency-Key``: the status and problem body the API answers it with."""

    def render(error: errors.TorekesError) -> tuple[int, Any]:
        status = status_of(error)
        return status, problem_body(
            instance, status, error.code, error.title, error.detail, error.extra
        )

    return render


def status_of(error: errors.TorekesError) -> int:
    stored = replayed_problem(error)
    if stored is not None:
        return stored.status_code
    for branch, status in STATUS_BY_BRANCH:
        if isinstance(error, branch):
            return status
    return 400


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.TorekesError)
    stored = replayed_problem(error)
    if stored is not None:  # a retry with the key of a stored refusal: the same answer again
        return problem_response(stored.body, stored.status_code, {REPLAYED_HEADER: "true"})
    status = status_of(error)
    headers: dict[str, str] = {}
    if isinstance(error, errors.Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return problem(request, status, error.code, error.title, error.detail, headers, error.extra)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ())),
            "message": item.get("msg", ""),
            "type": item.get("type", ""),
        }
        for item in error.errors()
    ]
    names = ", ".join(item["field"] for item in fields)
    return problem(
        request,
        422,
        "validation_error",
        "The request is not valid",
        f"Invalid: {names}",
        extra={"errors": fields},
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = HTTP_CODES.get(error.status_code, "http_error")
    detail = error.detail if isinstance(error.detail, str) else None
    return problem(
        request,
        error.status_code,
        code,
        detail or code.replace("_", " "),
        detail,
        dict(error.headers or {}),
    )


def _driver_says(error: DBAPIError) -> str:
    """The first line of the driver's message: PostgreSQL's DETAIL lines below it hold the
    row's values, and SQLAlchemy's own text adds the statement and its parameters."""
    lines = str(error.orig).splitlines()
    return f"{type(error.orig).__name__}: {lines[0] if lines else ''}"


async def _integrity_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, IntegrityError)
    # A constraint caught a race that the services' own checks could not see; nothing was written.
    logger.warning("integrity error on %s: %s", route_template(request.scope), _driver_says(error))
    return problem(request, 409, "conflict", "The request conflicts with a concurrent change")


async def _operational_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, OperationalError)
    logger.error("database error on %s: %s", route_template(request.scope), _driver_says(error))
    return problem(
        request, 503, "database_unavailable", "The database is busy or unavailable; try again"
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s", route_template(request.scope), exc_info=error)
    return problem(request, 500, "internal_error", "Something went wrong on our side")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.TorekesError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(Exception, _unexpected_error)
