"""The ledger's figures as Prometheus metrics, read from the database at scrape time (so every
worker process, on every machine, reports the same figures): journal entries and the amounts they
moved per currency and kind, the holds outstanding, and the last recorded run of ``verify``.

Amounts are in the currency's minor units. When the database cannot be read, the scrape still
answers, with ``torekes_ledger_up`` at 0 and no ledger figures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from torekes.observability.ledger_figures import Figures, LedgerFigures

log = logging.getLogger(__name__)


class LedgerCollector(Collector):
    def __init__(self, figures: LedgerFigures) -> None:
        self._figures = figures

    def describe(self) -> Iterable[Metric]:
        # Nothing to describe up front: registering must not query the database.
        return []

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("torekes_ledger_up", "1 when the ledger figures could be read.")
        try:
            figures = self._figures.read()
        except SQLAlchemyError:
            log.exception("the ledger figures could not be read")
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *_metrics(figures)]


def _metrics(figures: Figures) -> list[Metric]:
    transactions = CounterMetricFamily(
        "torekes_ledger_transactions",
        "Journal entries, by currency and kind.",
        labels=["currency", "kind"],
    )
    amounts = CounterMetricFamily(
        "torekes_ledger_amount",
        "Minor units moved by journal entries (the sum of their credits), by currency and kind.",
        labels=["currency", "kind"],
    )
    for entry in figures.journal:
        transactions.add_metric([entry.currency, entry.kind], entry.transactions)
        amounts.add_metric([entry.currency, entry.kind], entry.amount)
    holds = GaugeMetricFamily(
        "torekes_ledger_holds_outstanding",
        "Pending holds (claims awaiting approval, redemptions awaiting payout), by currency.",
        labels=["currency"],
    )
    held = GaugeMetricFamily(
        "torekes_ledger_held_amount",
        "Minor units reserved by pending holds, by currency.",
        labels=["currency"],
    )
    pending = {line.currency: line for line in figures.holds}
    for code in figures.currencies:
        line = pending.get(code)
        holds.add_metric([code], 0 if line is None else line.holds)
        held.add_metric([code], 0 if line is None else line.amount)
    found: list[Metric] = [transactions, amounts, holds, held]
    run = figures.last_verify
    if run is not None:
        found.append(
            GaugeMetricFamily(
                "torekes_ledger_last_verify_ok",
                "1 when the last run of verify found the ledger intact, 0 when it found problems.",
                value=1 if run.ok else 0,
            )
        )
        found.append(
            GaugeMetricFamily(
                "torekes_ledger_last_verify_problems",
                "Problems the last run of verify found.",
                value=run.problem_count,
            )
        )
        found.append(
            GaugeMetricFamily(
                "torekes_ledger_last_verify_timestamp_seconds",
                "When verify last ran, in seconds since the Unix epoch.",
                value=run.at.timestamp(),
            )
        )
    return found
