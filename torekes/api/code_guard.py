"""The guard every route and page puts before a claim code or payment-request code: it looks
the code up without writing (``known_code``, ``known_request``) under the client's limit on
misses (``torekes.kit.guessing``), so a code that names nothing is refused, counted against the
client and never opens a write. API routes take the code through ``KnownRequestCode`` or
``CodeGuardDep``; pages through ``guard_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from torekes.api.client import client_address
from torekes.api.deps import CurrentPrincipal, DbDep
from torekes.api.routes.common import RequestCode
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.earning import claim_codes
from torekes.kit.guessing import MissLimiter
from torekes.spending import payment_requests


@dataclass(frozen=True, slots=True)
class CodeGuard:
    db: Database
    misses: MissLimiter
    client: str

    def claim_code(self, sent: str) -> None:
        """Refuse a claim code (or short code) that names no code: 404 ``code_not_found``."""
        self.misses.look_up(
            self.client, lambda: claim_codes.known_code(self.db, sent), errors.CodeNotFound
        )

    def payment_request(self, code: str) -> None:
        """Refuse a code that names no payment request: 404 ``payment_request_not_found``."""
        self.misses.look_up(
            self.client,
            lambda: payment_requests.known_request(self.db, code),
            errors.PaymentRequestNotFound,
        )


def guard_of(request: Request, db: Database) -> CodeGuard:
    misses: MissLimiter = request.app.state.code_misses
    return CodeGuard(db, misses, client_address(request))


def code_guard(request: Request, db: DbDep) -> CodeGuard:
    return guard_of(request, db)


CodeGuardDep = Annotated[CodeGuard, Depends(code_guard)]


def known_request_code(code: RequestCode, _: CurrentPrincipal, guard: CodeGuardDep) -> str:
    """A payment request's code from the path, once the caller is known to be signed in and the
    code to name a request."""
    guard.payment_request(code)
    return code


KnownRequestCode = Annotated[str, Depends(known_request_code)]
