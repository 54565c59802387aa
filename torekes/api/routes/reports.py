"""Reports: circulation and euro liability, projects and shops per month, account statements;
JSON, or CSV with ``?format=csv`` or ``Accept: text/csv``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep
from torekes.api.routes.accounts import AsOf
from torekes.api.routes.common import READ, AccountId
from torekes.api.schemas import (
    MAX_ID,
    AccountStatementOut,
    CirculationOut,
    CurrencyCode,
    Moment,
    ProjectReportOut,
    ShopReportOut,
)
from torekes.documents.csv_reports import (
    CSV_CONTENT,
    ReportFormat,
    circulation_csv,
    csv_response,
    projects_csv,
    shops_csv,
    statement_csv,
    wants_csv,
)
from torekes.reporting import reports

router = APIRouter(tags=["reports"])

Format = Annotated[ReportFormat | None, Query(alias="format", description="Or send Accept")]
_MONTH = r"^\d{4}-\d{2}$"
FromMonth = Annotated[
    str | None,
    Query(
        alias="from",
        pattern=_MONTH,
        examples=["2026-01"],
        description="The first month, YYYY-MM, in TOREKES_TIMEZONE; omitted: `to` minus 11",
    ),
]
ToMonth = Annotated[
    str | None,
    Query(
        alias="to",
        pattern=_MONTH,
        examples=["2026-12"],
        description="The last month, included; omitted: the current month",
    ),
]
RESPONSES: dict[int | str, dict[str, Any]] = {**READ, **CSV_CONTENT}


@router.get("/reports/circulation", response_model=CirculationOut, responses=RESPONSES)
def circulation(
    request: Request,
    actor: CurrentPrincipal,
    db: DbDep,
    currency: Annotated[CurrencyCode, Query()],
    as_of: AsOf = None,
    report_format: Format = None,
) -> CirculationOut | Response:
    """Where every token of the currency is, now or as of a sequence number or moment, and what
    the tokens not yet redeemed are worth in euros (admin, auditor)."""
    report = reports.circulation(db, actor, currency, as_of)
    if wants_csv(request, report_format):
        return csv_response(circulation_csv(report), f"circulation-{currency}.csv")
    return CirculationOut.model_validate(report)


@router.get("/reports/projects", response_model=list[ProjectReportOut], responses=RESPONSES)
def projects(
    request: Request,
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
    currency: Annotated[CurrencyCode | None, Query()] = None,
    project_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    from_month: FromMonth = None,
    to_month: ToMonth = None,
    report_format: Format = None,
) -> list[ProjectReportOut] | Response:
    """Per project per month: budget funded and left, tokens paid, claims, hours, unique and
    first-time volunteers, with the period's total (admin, auditor; coordinators their own)."""
    found = reports.project_reports(
        db, actor, settings.timezone, currency, project_id, (from_month, to_month)
    )
    if wants_csv(request, report_format):
        return csv_response(projects_csv(found), "projects.csv")
    return [ProjectReportOut.model_validate(report) for report in found]


@router.get("/reports/shops", response_model=list[ShopReportOut], responses=RESPONSES)
def shops(
    request: Request,
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
    currency: Annotated[CurrencyCode | None, Query()] = None,
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    from_month: FromMonth = None,
    to_month: ToMonth = None,
    report_format: Format = None,
) -> list[ShopReportOut] | Response:
    """Per shop and partner per month: payments received, refunds, redeemed (tokens and
    euros), pending redemption (admin, auditor; shopkeepers their own)."""
    found = reports.shop_reports(
        db, actor, settings.timezone, currency, account_id, (from_month, to_month)
    )
    if wants_csv(request, report_format):
        return csv_response(shops_csv(found), "shops.csv")
    return [ShopReportOut.model_validate(report) for report in found]


@router.get(
    "/accounts/{account_id}/statement", response_model=AccountStatementOut, responses=RESPONSES
)
def statement(
    request: Request,
    account_id: AccountId,
    actor: CurrentPrincipal,
    db: DbDep,
    since: Annotated[Moment | None, Query()] = None,
    until: Annotated[Moment | None, Query(description="Exclusive")] = None,
    report_format: Format = None,
) -> AccountStatementOut | Response:
    """The account's entries from `since` until `until`, oldest first, with the opening balance
    and the balance after each entry (whoever may read the account)."""
    found = reports.account_statement(db, actor, account_id, since, until)
    if wants_csv(request, report_format):
        return csv_response(statement_csv(found), f"statement-{account_id}.csv")
    return AccountStatementOut.model_validate(found)
