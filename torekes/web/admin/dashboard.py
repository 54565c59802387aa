"""The dashboard (``/admin``): per currency where every token is (issued, budgets, wallets,
shops, partners, pending redemption, redeemed, in circulation), the euro liability, whether
issued = in circulation + redeemed holds, and the last twelve months drawn as bar charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup

from torekes.domain.reporting import Month
from torekes.ledger import currencies
from torekes.reporting import monthly, reports
from torekes.reporting.monthly import ActivityMonth
from torekes.reporting.reports import CirculationReport
from torekes.web import i18n
from torekes.web.admin.charts import Bar, bar_chart
from torekes.web.i18n import translations
from torekes.web.problems import N_
from torekes.web.roles import ADMIN_READERS
from torekes.web.session import CurrentPage
from torekes.web.templating import format_amount

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Chart:
    chart_id: str
    title: str
    svg: Markup
    rows: list[tuple[str, str]]  # the month written out, and its figure


@dataclass(frozen=True, slots=True)
class CurrencyPanel:
    circulation: CirculationReport
    rate: str  # the euro value of one token, written the way the language writes numbers
    charts: list[Chart]


# What each chart shows: its title, its description and the figure of a month, in minor units
# (``None``: hours, not an amount).
CHARTS: list[tuple[str, str, str, Callable[[ActivityMonth], int | Decimal], bool]] = [
    (
        "paid",
        N_("Tokens paid to volunteers"),
        N_("Tokens paid out of project budgets for volunteering, per month."),
        lambda month: month.tokens_paid,
        True,
    ),
    (
        "hours",
        N_("Hours volunteered"),
        N_("Hours of the paid claims, per month."),
        lambda month: month.hours,
        False,
    ),
    (
        "payments",
        N_("Payments at shops"),
        N_("Tokens shops and partners received in payments, per month."),
        lambda month: month.payments,
        True,
    ),
    (
        "redeemed",
        N_("Redeemed"),
        N_("Tokens shops and partners redeemed for euros, per month."),
        lambda month: month.redeemed,
        True,
    ),
]


@router.get("/admin")
def dashboard(page: CurrentPage) -> Response:
    who = page.require(*ADMIN_READERS)
    panels = []
    for currency in currencies.list_currencies(page.db):
        report = reports.circulation(page.db, who, currency.code, None)
        activity = monthly.monthly_activity(page.db, who, page.settings.timezone, currency.code)
        panels.append(
            CurrencyPanel(
                report,
                format_decimal(
                    report.euro_rate, format="#,##0.00##", locale=i18n.number_locale(page.lang)
                ),
                _charts(page.lang, currency.code, currency.decimals, activity),
            )
        )
    return page.render("admin/dashboard.html", panels=panels)


def _charts(lang: str, code: str, decimals: int, months: list[ActivityMonth]) -> list[Chart]:
    gettext = translations(lang).gettext
    charts = []
    for key, title, description, figure, is_amount in CHARTS:
        chart_id = f"chart-{code.lower()}-{key}"
        bars, rows = [], []
        for month in months:
            value = figure(month)
            text = (
                format_amount(int(value), decimals, lang)
                if is_amount
                else format_decimal(value, locale=i18n.number_locale(lang))
            )
            first_day = _first_day(month.month)
            bars.append(Bar(format_date(first_day, "MMM", locale=lang).rstrip("."), value, text))
            rows.append((format_date(first_day, "LLLL y", locale=lang), text))
        svg = bar_chart(chart_id, gettext(title), gettext(description), bars)
        charts.append(Chart(chart_id, title, svg, rows))
    return charts


def _first_day(month: str) -> date:
    parsed = Month.parse(month)
    return date(parsed.year, parsed.month, 1)
