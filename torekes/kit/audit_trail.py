"""The audit trail: every administrative action outside the journal, recorded in the same
database transaction as the action itself (so an action and its record stand or fall together).

An event says who acted, what was done (a dotted ``action`` such as ``card.blocked``), to what
(``subject_type`` and ``subject_id``) and the subject's relevant fields before and after. Secrets
never enter it: no PINs, passwords, tokens, or the codes of cards and claim codes. Administrators
and auditors read it (``torekes.audit.trail``); nobody changes it (the database refuses UPDATE
and DELETE).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from torekes.db import models as m
from torekes.kit import clock
from torekes.kit.unit_of_work import WriteContext


def record(
    ctx: WriteContext,
    action: str,
    subject_type: str,
    subject_id: int | str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    ctx.session.add(
        m.AuditEvent(
            occurred_at=clock.now(),
            # The command line acts as no user (id 0).
            actor_id=ctx.actor.user_id or None,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            before=None if before is None else _plain(before),
            after=None if after is None else _plain(after),
        )
    )


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready copies: moments as ISO 8601, decimals as exact strings."""
    return {key: _plain_value(value) for key, value in values.items()}


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return _plain(value)
    if isinstance(value, list | tuple):
        return [_plain_value(item) for item in value]
    return value
