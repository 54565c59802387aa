"""A currency's activity month by month, for the administrators' dashboard: tokens paid to
volunteers and the hours they gave (from the project reports), payments received by shops and
partners and what they redeemed (from the shop reports), summed over every project and shop.

Every figure comes from the report services, so the dashboard and the reports always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from torekes.db.engine import Database
from torekes.domain import access
from torekes.domain.access import Principal
from torekes.domain.reporting import report_months
from torekes.kit import clock
from torekes.reporting import reports


@dataclass(frozen=True, slots=True)
class ActivityMonth:
    month: str  # YYYY-MM
    tokens_paid: int
    hours: Decimal
    claims: int
    payments: int
    redeemed: int


def monthly_activity(
    db: Database,
    actor: Principal,
    timezone: str,
    currency_code: str,
    period: tuple[str | None, str | None] = (None, None),
) -> list[ActivityMonth]:
    """The currency's months (by default the twelve up to the current one), oldest first."""
    access.require_reader_of_everything(actor)
    months = [str(month) for month in report_months(*period, clock.now(), ZoneInfo(timezone))]
    paid = dict.fromkeys(months, 0)
    hours = dict.fromkeys(months, Decimal(0))
    claims = dict.fromkeys(months, 0)
    payments = dict.fromkeys(months, 0)
    redeemed = dict.fromkeys(months, 0)
    for project in reports.project_reports(db, actor, timezone, currency_code, None, period):
        for row in project.months:
            if row.month in paid:
                paid[row.month] += row.tokens_paid
                hours[row.month] += row.hours
                claims[row.month] += row.claims
    for shop in reports.shop_reports(db, actor, timezone, currency_code, None, period):
        for line in shop.months:
            if line.month in payments:
                payments[line.month] += line.payments
                redeemed[line.month] += line.redeemed
    return [
        ActivityMonth(
            month, paid[month], hours[month], claims[month], payments[month], redeemed[month]
        )
        for month in months
    ]
