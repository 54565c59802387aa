"""Where a payment's time goes on the server: the service's own work for one payment, in process
and without HTTP (sign-in by token, the idempotent write, the receipt), its SQL statements, and
the same for a claim. Set against the HTTP stack's cost (``/healthz``) and the plain driver's
whole write, this explains the distance between the end-to-end figures and their ceilings."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event

from bench.community import Community
from torekes.db.engine import Database
from torekes.domain.errors import TorekesError
from torekes.earning import claims
from torekes.identity import auth
from torekes.kit.unit_of_work import KeyedRequest, WriteContext, write_idempotently
from torekes.settings import Settings
from torekes.spending import payment_requests

REPEATS = 200
WARMUP = 20


@dataclass(frozen=True, slots=True)
class Cost:
    payment_ms: float
    payment_statements: float
    claim_ms: float
    claim_statements: float

    def as_json(self) -> dict[str, object]:
        return {
            "payment_ms": self.payment_ms,
            "payment_sql_statements": self.payment_statements,
            "claim_ms": self.claim_ms,
            "claim_sql_statements": self.claim_statements,
        }


def measure(url: str, settings: Settings, town: Community) -> Cost:
    database = Database(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    for engine in {database.write_engine, database.read_engine}:
        event.listen(engine, "before_cursor_execute", count)
    member = town.members[0]

    def as_member(operation: Callable[[WriteContext], object]) -> None:
        actor = auth.principal_for_token(database, settings, member.token)
        request = KeyedRequest(uuid.uuid4().hex, "bench", settings.secret_key, _no_refusal)
        write_idempotently(database, actor, request, operation, _no_body)

    def pay() -> None:
        command = payment_requests.PayCommand(1, member.account_id)
        as_member(lambda ctx: payment_requests.pay(ctx, settings, town.standing_code, command))

    def claim() -> None:
        command = claims.ClaimCommand(member.claim_code, account_id=member.account_id)
        as_member(lambda ctx: claims.claim(ctx, settings, command))

    try:
        costs: list[float] = []
        for action in (pay, claim):
            for _ in range(WARMUP):
                action()
            statements = 0
            started = time.perf_counter()
            for _ in range(REPEATS):
                action()
            costs += [(time.perf_counter() - started) * 1000 / REPEATS, statements / REPEATS]
        return Cost(*costs)
    finally:
        database.dispose()


def _no_body(_: object) -> tuple[int, Any]:
    return 201, {}


def _no_refusal(error: TorekesError) -> tuple[int, Any]:
    return 409, {"code": error.code}
