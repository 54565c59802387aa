"""The id of the request being served, kept in a context variable so that every log line written
while serving it (in the event loop or in a worker thread, which copies the context) carries it.

An id a client or proxy sends in ``X-Request-ID`` is kept when it is short and plain; anything
else is replaced by 128 random bits, so a log line can never be forged or bloated through it.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID_LENGTH = 128
_WELL_FORMED = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID_LENGTH}}}")

_request_id: ContextVar[str | None] = ContextVar("torekes_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this code runs for, or ``None`` outside any request."""
    return _request_id.get()


def set_request_id(request_id: str) -> None:
    _request_id.set(request_id)


def new_request_id() -> str:
    return secrets.token_hex(16)


def accepted_request_id(offered: str | None) -> str:
    """``offered`` when it is a well-formed id, else a fresh one."""
    if offered is not None and _WELL_FORMED.fullmatch(offered):
        return offered
    return new_request_id()
