"""The ledger's figures for monitoring, read from the database at each scrape so that every
service process reports the same truth: per currency and kind, how many journal entries and the
amount they moved; the holds outstanding; and the last recorded run of ``verify``.

The journal never changes and each currency's sequence numbers are gap-free and become visible in
order (a number is handed out only once the one before it has committed), so the totals up to a
sequence number seen once stay true for good. A ``LedgerFigures`` keeps them per currency and each
read only adds the entries past that point: the first scrape of a process reads the whole journal
once, later ones read what was posted since. Nothing here is needed for correctness elsewhere; a
restored (shorter) journal is noticed from the chain head and read afresh.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from torekes.audit.verification import VERIFIED
from torekes.db import models as m
from torekes.db.engine import Database


@dataclass(frozen=True, slots=True)
class KindFigure:
    currency: str
    kind: str
    transactions: int
    amount: int


@dataclass(frozen=True, slots=True)
class VerifyRun:
    ok: bool
    problem_count: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Figures:
    currencies: list[str]
    journal: list[KindFigure]
    holds: list[HeldTotals]
    last_verify: VerifyRun | None


@dataclass(slots=True)
class _Tally:
    """One currency's journal totals up to ``seq``: per kind, (entries, amount)."""

    seq: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)


class LedgerFigures:
    """The figures of one database, with the journal totals kept between reads."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._tallies: dict[int, _Tally] = {}
        # Two scrapes at once must not both add the same new entries.
        self._lock = threading.Lock()

    def read(self) -> Figures:
        with self._db.read_session() as session, self._lock:
            codes, journal = self._journal(session)
            holds = holds_outstanding(session)
            return Figures(codes, journal, holds, _last_verify(session))

    def _journal(self, session: Session) -> tuple[list[str], list[KindFigure]]:
        codes: list[str] = []
        figures: list[KindFigure] = []
        for currency_id, code, head in currencies(session):
            codes.append(code)
            tally = self._tallies.get(currency_id)
            if tally is None or head < tally.seq:
                tally = self._tallies[currency_id] = _Tally()
            if head > tally.seq:
                for row in journal_since(session, currency_id, tally.seq):
                    count, amount = tally.by_kind.get(row.kind, (0, 0))
                    tally.by_kind[row.kind] = (count + row.transactions, amount + row.amount)
                    tally.seq = max(tally.seq, row.last_seq)
            figures.extend(
                KindFigure(code, kind, count, amount)
                for kind, (count, amount) in sorted(tally.by_kind.items())
            )
        return codes, figures


def _last_verify(session: Session) -> VerifyRun | None:
    event = latest_event(session, VERIFIED)
    if event is None:
        return None
    return VerifyRun(
        ok=bool(event.after.get("ok")),
        problem_count=int(event.after.get("problem_count", 0)),
        at=event.occurred_at,
    )


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
