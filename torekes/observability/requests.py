"""Request metrics: every HTTP request counted by method, route template and status, and its
latency observed in a histogram by method and route template.

The route label is the template the request matched (``/api/v1/accounts/{account_id}``), never
the raw path, so the number of series stays bounded by the application's routes; a request no
route matched is ``unmatched``. The metrics live in prometheus-client's default registry, which
in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set before the worker starts) writes to files
that ``/metrics`` sums across the workers.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"

REQUESTS = Counter(
    "torekes_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "torekes_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class RequestMetrics:
    """ASGI middleware recording ``REQUESTS`` and ``LATENCY`` for each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the application fails before responding

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            route = route_template(scope)
            method = str(scope["method"])
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The template of the route that served ``scope``, with its routers' prefixes."""
    path = str(scope.get("path", ""))
    route = scope.get("route")
    if isinstance(route, Route):
        # An included router's route carries its own path only: the prefix is what comes
        # before the part of the path the route matched (prefixes here are fixed strings).
        for index, char in enumerate(path):
            if char == "/" and route.path_regex.match(path[index:]):
                return path[:index] + route.path_format
        return UNMATCHED
    if "endpoint" in scope:
        # Routes outside the routers (the docs, the static files) leave no route in the scope.
        app: Any = scope.get("app")
        routes: list[BaseRoute] = list(getattr(getattr(app, "router", None), "routes", []))
        for candidate in routes:
            if isinstance(candidate, Route | Mount) and _matches(candidate, scope):
                return candidate.path_format
    return UNMATCHED


def _matches(route: Route | Mount, scope: Scope) -> bool:
    match, _ = route.matches({"type": "http", "path": scope["path"], "method": scope["method"]})
    return match is Match.FULL
