"""Reading the audit trail: administrators and auditors page through the administrative actions,
newest first, filtered by action, subject, actor and time (``torekes.kit.audit_trail`` writes them).
"""

from __future__ import annotations

from dataclasses import dataclass

from torekes.audit import queries
from torekes.audit.read_models import AuditEventView
from torekes.db.engine import Database
from torekes.domain import access
from torekes.domain.access import Principal
from torekes.kit import pagination
from torekes.kit.pagination import Listing


@dataclass(frozen=True, slots=True)
class AuditQuery(queries.EventFilter):
    """Which events, and which page of them."""

    cursor: str | None = None
    limit: int = pagination.DEFAULT_PAGE_SIZE


def list_events(db: Database, actor: Principal, query: AuditQuery) -> Listing[AuditEventView]:
    """Events, newest first."""
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        found = queries.list_events(
            session, query, pagination.parse_cursor(query.cursor), query.limit
        )
        return Listing(
            [AuditEventView.of(event) for event in found],
            pagination.next_cursor([event.id for event in found], query.limit),
        )
