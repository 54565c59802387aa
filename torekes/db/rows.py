"""Reading a row that a foreign key says exists: the journal and its neighbours are never
deleted, so a missing row here is a broken database, not a request to refuse."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from torekes.db.models import Base

RowT = TypeVar("RowT", bound=Base)


def referenced(session: Session, model: type[RowT], row_id: int) -> RowT:
    """The row ``row_id`` of ``model``, which another row refers to."""
    row = session.get(model, row_id)
    if row is None:
        raise LookupError(f"{model.__tablename__} {row_id} is referred to but missing")
    return row
