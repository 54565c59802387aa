"""Reading the audit trail: administrators and auditors page through the administrative actions,
newest first, filtered by action, subject, actor and time (``torekes.kit.audit_trail`` writes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from torekes.audit import queries
from torekes.audit.read_models import AuditEventView
from torekes.db.engine import Database
from torekes.domain import access
from torekes.domain.access import Principal
from torekes.kit import pagination
from torekes.kit.pagination import Listing


@dataclass(frozen=True, slots=True)
class AuditQuery:
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = pagination.DEFAULT_PAGE_SIZE


def list_events(db: Database, actor: Principal, query: AuditQuery) -> Listing[AuditEventView]:
    """Events, newest first."""
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        where = queries.EventFilter(
            action=query.action,
            subject_type=query.subject_type,
            subject_id=query.subject_id,
            actor_id=query.actor_id,
            since=query.since,
            until=query.until,
        )
        found = queries.list_events(
            session, where, pagination.parse_cursor(query.cursor), query.limit
        )
        return Listing(
            [AuditEventView.of(event) for event in found],
            pagination.next_cursor([event.id for event in found], query.limit),
        )
