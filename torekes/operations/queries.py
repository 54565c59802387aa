"""The statements of running an installation: deleting what is kept only for a while."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from torekes.db.models import IdempotencyRecord, LoginAttempt, PinAttempt


def delete_login_attempts_before(session: Session, moment: datetime) -> int:
    found = session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < moment))
    return cast(CursorResult[Any], found).rowcount


def delete_pin_attempts_before(session: Session, moment: datetime) -> int:
    found = session.execute(delete(PinAttempt).where(PinAttempt.attempted_at < moment))
    return cast(CursorResult[Any], found).rowcount


def delete_idempotency_records_before(session: Session, moment: datetime) -> int:
    found = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < moment))
    return cast(CursorResult[Any], found).rowcount
