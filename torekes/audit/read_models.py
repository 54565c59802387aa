"""The audit area's read models: plain, immutable results handed to the API, the pages and
the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from torekes.db import models


@dataclass(frozen=True, slots=True)
class AuditEventView:
    id: int
    occurred_at: datetime
    actor_id: int | None
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, event: models.AuditEvent) -> AuditEventView:
        return cls(
            event.id,
            event.occurred_at,
            event.actor_id,
            event.action,
            event.subject_type,
            event.subject_id,
            event.before,
            event.after,
        )
