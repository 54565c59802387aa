"""Reports: tokens in circulation, project and shop reports by month, and account statements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from .common import Response


class CirculationOut(Response):
    currency: str
    decimals: int
    as_of_seq: int
    as_of: datetime = Field(description="The moment the figures are as of")
    issued: int
    budgets: int
    member_wallets: int
    shops: int
    partners: int
    in_circulation: int = Field(description="budgets + member wallets + shops + partners")
    pending_redemption: int = Field(description="Asked to redeem, not yet paid; held in shops")
    redeemed: int
    identity_holds: bool = Field(description="issued = in circulation + redeemed")
    euro_rate: Decimal = Field(description="The euro rate in force at that moment")
    approved_unpaid: int = Field(description="Tokens approved for redemption, not yet paid")
    approved_unpaid_euro_cents: int = Field(description="Their euro amount, fixed at approval")
    euro_liability_cents: int = Field(
        description="What every token not yet redeemed is worth in euro cents: approved "
        "redemptions at their approved amount, the rest at the rate in force"
    )


class ProjectMonthOut(Response):
    month: str = Field(examples=["2026-11"])
    budget_start: int
    funded: int = Field(description="Credits to the budget other than reversals")
    tokens_paid: int = Field(description="Rewards paid to volunteers")
    other: int = Field(description="Everything else, net: reversals, transfers out")
    budget_left: int = Field(description="budget_start + funded - tokens_paid + other")
    claims: int
    hours: Decimal
    volunteers: int = Field(description="Unique volunteers with a paid claim")
    first_time_volunteers: int = Field(description="Their first paid claim in this project")


class ProjectReportOut(Response):
    project_id: int
    project: str
    currency: str
    decimals: int
    budget_account_id: int
    months: list[ProjectMonthOut]
    total: ProjectMonthOut


class ShopMonthOut(Response):
    month: str = Field(examples=["2026-11"])
    balance_start: int
    payments: int
    payments_count: int
    refunds: int
    refunds_count: int
    redeemed: int
    redemptions_count: int
    redeemed_euro_cents: int
    other: int = Field(description="Everything else, net: reversals, transfers, payments made")
    balance_end: int = Field(description="balance_start + payments - refunds - redeemed + other")
    pending_redemption: int = Field(description="Asked to redeem and not yet paid at month end")


class ShopReportOut(Response):
    account_id: int
    name: str
    kind: str
    currency: str
    decimals: int
    months: list[ShopMonthOut]


class StatementEntryOut(Response):
    seq: int
    transaction_id: int
    created_at: datetime
    kind: str
    memo: str
    counterparties: list[str] = Field(description="Names of the transaction's other accounts")
    amount: int
    balance_after: int


class AccountStatementOut(Response):
    account_id: int
    name: str
    kind: str
    currency: str
    decimals: int
    since: datetime | None
    until: datetime | None
    opening_balance: int
    closing_balance: int
    entries: list[StatementEntryOut]
