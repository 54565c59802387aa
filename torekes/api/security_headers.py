"""Headers that tell browsers how to treat every answer: no scripts but the service's own files,
no framing, no guessing of content types, no referrer (page addresses hold codes), HSTS when the
public address is https, and ``Cache-Control: no-store`` on everything that is not a static file,
since pages, QR images and API answers carry codes, balances and personal data.

A route that sets a header of its own keeps it. The interactive API documentation (``/docs``,
``/redoc``) loads its viewer with an inline script, so it gets every header but the policy on
scripts.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIX = "/static/"
DOCUMENTATION_PATHS = ("/docs", "/redoc")


def headers_for(path: str, https: bool, docs_served: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers an answer at ``path`` gets, unless it already has them; ``docs_served``: the
    interactive documentation is served (elsewhere its paths answer 404 with every header)."""
    found: list[tuple[bytes, bytes]] = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if not (docs_served and path.startswith(DOCUMENTATION_PATHS)):
        found.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
    if not path.startswith(STATIC_PREFIX):
        found.append((b"cache-control", b"no-store"))
    if https:
        found.append((b"strict-transport-security", HSTS.encode()))
    return found


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = getattr(scope["app"].state, "settings", None)
        https = settings is not None and settings.uses_https
        docs_served = settings is not None and settings.api_docs_in_use
        extra = headers_for(scope["path"], https, docs_served)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
