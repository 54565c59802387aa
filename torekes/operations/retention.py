"""Forgetting what is kept only for a while: sign-in and PIN attempts once no limit counts them
any more, and idempotency records once their keys may no longer be retried.

``torekes purge`` runs it, from cron for instance. Each kind of row goes in one DELETE of rows
that nothing changes any more, so copies running at once on several machines only find less to
delete. How long each is kept is a setting (``TOREKES_ATTEMPTS_RETENTION_DAYS``,
``TOREKES_IDEMPOTENCY_RETENTION_DAYS``); the settings refuse a retention of attempts shorter than
the windows the limits count in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.kit import clock
from torekes.kit.unit_of_work import WriteContext, write
from torekes.operations import queries
from torekes.settings import Settings

# The command line acts as the system, outside any user's rights.
_OPERATOR = Principal(user_id=0, username="purge", role=Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Purged:
    login_attempts: int
    pin_attempts: int
    idempotency_records: int


def purge(db: Database, settings: Settings) -> Purged:
    """Delete the attempts and idempotency records older than their retention."""
    now = clock.now()
    attempts_before = now - timedelta(days=settings.attempts_retention_days)
    keys_before = now - timedelta(days=settings.idempotency_retention_days)

    def delete_expired(ctx: WriteContext) -> Purged:
        return Purged(
            login_attempts=queries.delete_login_attempts_before(ctx.session, attempts_before),
            pin_attempts=queries.delete_pin_attempts_before(ctx.session, attempts_before),
            idempotency_records=queries.delete_idempotency_records_before(ctx.session, keys_before),
        )

    return write(db, _OPERATOR, delete_expired)
