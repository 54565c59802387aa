"""The interactive API documentation (``/docs``, ``/redoc``) and the schema it reads
(``/openapi.json``) answer only where ``TOREKES_API_DOCS`` allows them: by default in development
and not in production, where they would show every route to anyone passing by. Elsewhere they
answer 404 as any unknown path does; the published document stays in the repository
(``openapi/openapi.json``) for integrators."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from torekes.api.errors import problem
from torekes.settings import Settings

GATED_PATHS = ("/docs", "/redoc", "/openapi.json")


class DocsGateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _gated(scope["path"]):
            settings: Settings = scope["app"].state.settings
            if not settings.api_docs_in_use:
                # Answered here, as the router answers an unknown path: this middleware runs
                # outside the handlers that turn exceptions into problems.
                answer = problem(Request(scope), 404, "not_found", "Not Found", "Not Found")
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _gated(path: str) -> bool:
    return any(path == gated or path.startswith(gated + "/") for gated in GATED_PATHS)
