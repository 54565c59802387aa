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

from sqlalchemy.orm import Session

from torekes.audit.verification import VERIFIED
from torekes.db.engine import Database
from torekes.observability import queries
from torekes.observability.queries import HeldTotals


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
            holds = queries.holds_outstanding(session)
            return Figures(codes, journal, holds, _last_verify(session))

    def _journal(self, session: Session) -> tuple[list[str], list[KindFigure]]:
        codes: list[str] = []
        figures: list[KindFigure] = []
        for currency_id, code, head in queries.currencies(session):
            codes.append(code)
            tally = self._tallies.get(currency_id)
            if tally is None or head < tally.seq:
                tally = self._tallies[currency_id] = _Tally()
            if head > tally.seq:
                for row in queries.journal_since(session, currency_id, tally.seq):
                    count, amount = tally.by_kind.get(row.kind, (0, 0))
                    tally.by_kind[row.kind] = (count + row.transactions, amount + row.amount)
                    tally.seq = max(tally.seq, row.last_seq)
            figures.extend(
                KindFigure(code, kind, count, amount)
                for kind, (count, amount) in sorted(tally.by_kind.items())
            )
        return codes, figures


def _last_verify(session: Session) -> VerifyRun | None:
    event = queries.latest_event(session, VERIFIED)
    if event is None:
        return None
    return VerifyRun(
        ok=bool(event.after.get("ok")),
        problem_count=int(event.after.get("problem_count", 0)),
        at=event.occurred_at,
    )
