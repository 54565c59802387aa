"""The statements behind the ledger's figures: journal totals per currency and kind past a
sequence number, the holds outstanding, and the latest recorded event of an action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from torekes.db import models as m


@dataclass(frozen=True, slots=True)
class KindTotals:
    kind: str
    transactions: int
    amount: int
    last_seq: int


@dataclass(frozen=True, slots=True)
class HeldTotals:
    currency: str
    holds: int
    amount: int


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    occurred_at: datetime
    after: dict[str, Any]


def currencies(session: Session) -> list[tuple[int, str, int]]:
    """Each currency's id, code and chain head (its last sequence number)."""
    rows = session.execute(select(m.Currency.id, m.Currency.code, m.Currency.last_seq))
    return [(row.id, row.code, int(row.last_seq)) for row in rows]


def journal_since(session: Session, currency_id: int, after_seq: int) -> list[KindTotals]:
    """Per kind, the entries of the currency after ``after_seq``: how many, the amount they
    moved (the sum of their credits) and the last sequence number among them."""
    rows = session.execute(
        select(
            m.Transaction.kind,
            func.count(distinct(m.Transaction.id)),
            func.sum(m.Posting.amount),
            func.max(m.Transaction.seq),
        )
        .join(m.Posting, m.Posting.transaction_id == m.Transaction.id)
        .where(
            m.Transaction.currency_id == currency_id,
            m.Transaction.seq > after_seq,
            m.Posting.amount > 0,
        )
        .group_by(m.Transaction.kind)
    )
    return [
        KindTotals(kind, int(count), int(amount), int(seq)) for kind, count, amount, seq in rows
    ]


def holds_outstanding(session: Session) -> list[HeldTotals]:
    """Pending holds per currency. Only accounts holding something can have one (``held`` is the
    sum of their pending holds, which ``verify`` checks), so the scan starts there."""
    rows = session.execute(
        select(m.Currency.code, func.count(m.Hold.id), func.sum(m.Hold.amount))
        .select_from(m.Account)
        .join(m.Currency, m.Currency.id == m.Account.currency_id)
        .join(m.Hold, (m.Hold.account_id == m.Account.id) & (m.Hold.status == "pending"))
        .where(m.Account.held > 0)
        .group_by(m.Currency.code)
    )
    return [HeldTotals(code, int(count), int(amount or 0)) for code, count, amount in rows]


def latest_event(session: Session, action: str) -> RecordedEvent | None:
    event = session.scalar(
        select(m.AuditEvent)
        .where(m.AuditEvent.action == action)
        .order_by(m.AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    return RecordedEvent(event.occurred_at, dict(event.after or {}))
