"""Accounts for administrators and auditors: the list (by kind and currency, a page at a time,
like the API's keyset pages), one account with its statement and running balances, the whole
statement as CSV (the reports' own CSV writer), and a shop's or partner's payout details."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from torekes.approvals import four_eyes
from torekes.documents.csv_reports import csv_response, statement_csv
from torekes.domain.accounts import PAYEE_KINDS, AccountKind
from torekes.ledger import accounts, currencies
from torekes.ledger.accounts import AccountQuery
from torekes.reporting import descriptions, reports
from torekes.web.admin.approvals import filed_or
from torekes.web.admin.forms import write_and_redirect
from torekes.web.admin.rendering import render
from torekes.web.fields import Iban, Key, PathId, PayoutName
from torekes.web.form_pages import drawn_on
from torekes.web.problems import N_
from torekes.web.roles import ADMIN_READERS
from torekes.web.session import CurrentPage

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
Filter = Annotated[str, Query(max_length=20)]
Cursor = Annotated[str | None, Query(max_length=20)]


@router.get("/admin/accounts")
def account_list(
    page: CurrentPage, kind: Filter = "", currency: Filter = "", cursor: Cursor = None
) -> Response:
    who = page.require(*ADMIN_READERS)
    if kind and kind not in {member.value for member in AccountKind}:
        return page.refuse(N_("Choose a kind of account from the list."))
    query = AccountQuery(
        currency=currency or None,
        kind=AccountKind(kind) if kind else None,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    with page.explaining():
        found = accounts.list_accounts(page.db, who, query)
    return render(
        page,
        "admin/accounts.html",
        who,
        accounts=found.items,
        namings=descriptions.account_namings(page.db, found.items),
        next_cursor=found.next_cursor,
        kind=kind,
        currency=currency,
        kinds=[member.value for member in AccountKind],
        currencies=currencies.list_currencies(page.db),
    )


@router.get("/admin/accounts/{account_id}")
def account_page(page: CurrentPage, account_id: PathId, cursor: Cursor = None) -> Response:
    """The account and its entries, newest first, each with the balance right after it."""
    who = page.require(*ADMIN_READERS)
    with page.explaining():
        account = accounts.get_account(page.db, who, account_id)
        lines = descriptions.described_statement(page.db, who, account_id, cursor, PAGE_SIZE)
    return render(
        page,
        "admin/account.html",
        who,
        account=account,
        naming=descriptions.account_namings(page.db, [account])[account.id],
        lines=lines.items,
        next_cursor=lines.next_cursor,
        decimals=page.decimals_of(account.currency),
        payee=account.kind in PAYEE_KINDS,
    )


@router.get("/admin/accounts/{account_id}/statement.csv")
def statement_download(page: CurrentPage, account_id: PathId) -> Response:
    """Every entry of the account, oldest first, with the running balance: the same CSV as
    ``GET /api/v1/accounts/{id}/statement?format=csv``."""
    who = page.require(*ADMIN_READERS)
    with page.explaining():
        found = reports.account_statement(page.db, who, account_id, None, None)
    return csv_response(statement_csv(found), f"statement-{account_id}.csv")


@router.post("/admin/accounts/{account_id}/payout")
@drawn_on(lambda page, path: account_page(page, int(path["account_id"])))
def set_payout(
    page: CurrentPage,
    account_id: PathId,
    iban: Iban = "",
    payout_name: PayoutName = "",
    key: Key = "",
) -> Response:
    """Where a shop's or partner's redeemed tokens are paid: IBAN and name (with four eyes on,
    filed for a second administrator and shown in the approvals queue)."""
    name = payout_name.strip()
    above = page.settings.four_eyes_above
    return write_and_redirect(
        page,
        key,
        {"iban": iban, "payout_name": name},
        lambda ctx: four_eyes.set_payout_details(ctx, account_id, iban, name, above),
        filed_or(f"/admin/accounts/{account_id}"),
        refusal=None if name else N_("Type the name the bank pays to."),
        field="payout_name",
    )
