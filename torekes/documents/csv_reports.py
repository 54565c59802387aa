"""Reports as CSV: choosing it (``?format=csv``, or ``Accept`` ranking ``text/csv`` no lower than
JSON) and the tables, one row per month (per project or shop) or per statement line.

Amounts in CSV are whole units with the currency's decimals (``12.50``), as a bookkeeper's
spreadsheet expects; JSON keeps the API's integer minor units.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import Response

from torekes.kit.csv_text import Cell, csv_text, whole_units
from torekes.kit.negotiation import choices
from torekes.reporting.reports import AccountStatement, CirculationReport, ProjectReport, ShopReport

ReportFormat = Literal["json", "csv"]

CSV_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV when asked"}
}


def wants_csv(request: Request, report_format: ReportFormat | None) -> bool:
    """``format`` decides; without it, the ``Accept`` header, when it ranks CSV at least as high
    as JSON (``text/csv, application/json`` names CSV first, so it gets CSV)."""
    if report_format is not None:
        return report_format == "csv"
    ranked = choices(request.headers.get("accept", ""))
    csv_q = max((c.quality for c in ranked if c.value == "text/csv"), default=0.0)
    json_types = ("application/json", "*/*")
    json_q = max((c.quality for c in ranked if c.value in json_types), default=0.0)
    return csv_q > 0 and csv_q >= json_q


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def circulation_csv(report: CirculationReport) -> str:
    d = report.decimals
    header = (
        "currency",
        "as_of_seq",
        "as_of",
        "issued",
        "budgets",
        "member_wallets",
        "shops",
        "partners",
        "in_circulation",
        "pending_redemption",
        "redeemed",
        "identity_holds",
        "euro_rate",
        "approved_unpaid",
        "approved_unpaid_euro",
        "euro_liability",
    )
    row: Sequence[Cell] = (
        report.currency,
        report.as_of_seq,
        report.as_of,
        whole_units(report.issued, d),
        whole_units(report.budgets, d),
        whole_units(report.member_wallets, d),
        whole_units(report.shops, d),
        whole_units(report.partners, d),
        whole_units(report.in_circulation, d),
        whole_units(report.pending_redemption, d),
        whole_units(report.redeemed, d),
        report.identity_holds,
        report.euro_rate,
        whole_units(report.approved_unpaid, d),
        whole_units(report.approved_unpaid_euro_cents, 2),
        whole_units(report.euro_liability_cents, 2),
    )
    return csv_text(header, [row])


def projects_csv(reports: list[ProjectReport]) -> str:
    header = (
        "project_id",
        "project",
        "currency",
        "month",
        "budget_start",
        "funded",
        "tokens_paid",
        "other",
        "budget_left",
        "claims",
        "hours",
        "volunteers",
        "first_time_volunteers",
    )

    def rows() -> Iterator[Sequence[Cell]]:
        for report in reports:
            d = report.decimals
            for month in [*report.months, report.total]:
                yield (
                    report.project_id,
                    report.project,
                    report.currency,
                    month.month,
                    whole_units(month.budget_start, d),
                    whole_units(month.funded, d),
                    whole_units(month.tokens_paid, d),
                    whole_units(month.other, d),
                    whole_units(month.budget_left, d),
                    month.claims,
                    month.hours,
                    month.volunteers,
                    month.first_time_volunteers,
                )

    return csv_text(header, rows())


def shops_csv(reports: list[ShopReport]) -> str:
    header = (
        "account_id",
        "name",
        "kind",
        "currency",
        "month",
        "balance_start",
        "payments",
        "payments_count",
        "refunds",
        "refunds_count",
        "redeemed",
        "redemptions_count",
        "redeemed_euro",
        "other",
        "balance_end",
        "pending_redemption",
    )

    def rows() -> Iterator[Sequence[Cell]]:
        for report in reports:
            d = report.decimals
            for month in report.months:
                yield (
                    report.account_id,
                    report.name,
                    report.kind,
                    report.currency,
                    month.month,
                    whole_units(month.balance_start, d),
                    whole_units(month.payments, d),
                    month.payments_count,
                    whole_units(month.refunds, d),
                    month.refunds_count,
                    whole_units(month.redeemed, d),
                    month.redemptions_count,
                    whole_units(month.redeemed_euro_cents, 2),
                    whole_units(month.other, d),
                    whole_units(month.balance_end, d),
                    whole_units(month.pending_redemption, d),
                )

    return csv_text(header, rows())


def statement_csv(statement: AccountStatement) -> str:
    """The opening balance first, then one line per entry with the balance after it."""
    d = statement.decimals
    header = (
        "seq",
        "transaction_id",
        "created_at",
        "kind",
        "memo",
        "counterparty",
        "amount",
        "balance_after",
    )
    opening: Sequence[Cell] = (
        None,
        None,
        statement.since,
        "opening_balance",
        None,
        None,
        None,
        whole_units(statement.opening_balance, d),
    )
    lines = (
        (
            entry.seq,
            entry.transaction_id,
            entry.created_at,
            entry.kind,
            entry.memo,
            "; ".join(entry.counterparties),
            whole_units(entry.amount, d),
            whole_units(entry.balance_after, d),
        )
        for entry in statement.entries
    )
    return csv_text(header, [opening, *lines])
