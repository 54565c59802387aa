"""A ceiling on request bodies: no route needs more than ``MAX_BODY_BYTES``, and a client sending
more (declared in ``Content-Length`` or streamed in chunks) is refused with 413
``request_too_large`` as soon as the excess is known, before the body is parsed or kept."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024  # far above the largest legitimate body (a long general entry)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyLimitMiddleware:
    """Raises 413 from ``receive`` when the body passes the ceiling; the error handlers answer
    it as a problem like any other HTTP error."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > self.limit:
                raise HTTPException(413, "The request body is too large")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, "The request body is too large")
            return message

        await self.app(scope, limited_receive, send)
