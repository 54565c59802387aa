"""Queries on the audit trail (rows are only ever inserted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from torekes.db.models import AuditEvent


@dataclass(frozen=True, slots=True)
class EventFilter:
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, where: EventFilter, before_id: int | None, limit: int
) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if where.action is not None:
        statement = statement.where(AuditEvent.action == where.action)
    if where.subject_type is not None:
        statement = statement.where(AuditEvent.subject_type == where.subject_type)
    if where.subject_id is not None:
        statement = statement.where(AuditEvent.subject_id == where.subject_id)
    if where.actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == where.actor_id)
    if where.since is not None:
        statement = statement.where(AuditEvent.occurred_at >= where.since)
    if where.until is not None:
        statement = statement.where(AuditEvent.occurred_at < where.until)
    if before_id is not None:
        statement = statement.where(AuditEvent.id < before_id)
    return list(session.scalars(statement))
