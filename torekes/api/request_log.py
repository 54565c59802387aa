"""Each request's id and its line in the access log.

The middleware takes a well-formed ``X-Request-ID`` from the request or makes one, keeps it in
the logging context for everything the request runs, and returns it in the response's
``X-Request-ID`` header (problem responses also carry it in their body). When the
``torekes.access`` logger is on, it writes one line per request when the response is done:
method, route, status and duration, never the query string or a header.

The route is the template the request matched (``/p/{code}``), as the request metrics name it:
payment, claim and card codes travel in paths and are bearer secrets. A path no route matched is
logged as ``unmatched``, as it may be a mistyped code.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from torekes.logs.config import ACCESS_LOGGER
from torekes.logs.context import REQUEST_ID_HEADER, accepted_request_id, set_request_id
from torekes.observability.requests import route_template

access_logger = logging.getLogger(ACCESS_LOGGER)

_HEADER_NAME = REQUEST_ID_HEADER.lower().encode("latin-1")


def _offered_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _HEADER_NAME:
            return str(value.decode("latin-1"))
    return None


class RequestLogMiddleware:
    """Request ids in, in the logs and out; the access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(_offered_id(scope))
        # Not reset when the request ends: a failing request's 500 is answered and logged by
        # Starlette's outermost middleware and by the server after this one has returned, and
        # they must carry the id too. Each request runs in a task, so a context, of its own.
        set_request_id(request_id)
        id_header = (_HEADER_NAME, request_id.encode("latin-1"))
        started = time.perf_counter()
        status = 500  # what the client gets when the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if all(name.lower() != _HEADER_NAME for name, _ in headers):
                    headers.append(id_header)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                _log_access(scope, status, time.perf_counter() - started)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    method = scope["method"]
    route = route_template(scope)
    duration_ms = round(seconds * 1000, 2)
    access_logger.info(
        "%s %s %d %.2f ms",
        method,
        route,
        status,
        duration_ms,
        extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
    )
