"""Queries on the requests filed for a second administrator (rows are locked with
``torekes.db.locking.lock``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from torekes.db.models import ApprovalRequest


def list_requests(session: Session, status: str | None) -> list[ApprovalRequest]:
    """The latest 500 requests, newest first, narrowed to ``status`` where given."""
    statement = select(ApprovalRequest).order_by(ApprovalRequest.id.desc()).limit(500)
    if status is not None:
        statement = statement.where(ApprovalRequest.status == status)
    return list(session.scalars(statement))
