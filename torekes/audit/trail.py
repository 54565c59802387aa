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
from torekes.identity.queries import users_by_ids
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


# The audit trail's acts done by someone for a member (``torekes.counter``), each with "by" and
# "for" (user ids) in the event's ``after``.
ACTS_FOR_MEMBERS = ("claim.recorded_for_member", "member.statement_shown")


@dataclass(frozen=True, slots=True)
class ActForMember:
    """An act done by ``by_name`` for ``for_name``, as the audit trail keeps it."""

    event_id: int
    occurred_at: datetime
    action: str
    subject_type: str
    subject_id: str
    by_name: str
    for_name: str


def acts_for_members(db: Database, actor: Principal, limit: int) -> list[ActForMember]:
    """The latest acts done for members, newest first, with who did them for whom by name."""
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        found = [
            event
            for action in ACTS_FOR_MEMBERS
            for event in queries.list_events(
                session, queries.EventFilter(action=action), None, limit
            )
        ]
        found = sorted(found, key=lambda event: event.id, reverse=True)[:limit]
        ids = {int(event.after[role]) for event in found if event.after for role in ("by", "for")}
        names = {user.id: user.display_name for user in users_by_ids(session, ids)}
        return [
            ActForMember(
                event.id,
                event.occurred_at,
                event.action,
                event.subject_type,
                event.subject_id,
                names.get(int((event.after or {}).get("by", 0)), "?"),
                names.get(int((event.after or {}).get("for", 0)), "?"),
            )
            for event in found
        ]
