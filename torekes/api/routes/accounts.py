"""Accounts: opening, listing, reading, statements, balances as of a moment, and status changes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import (
    DEFAULT_LIMIT,
    DEFERRED,
    FOUR_EYES,
    READ,
    WRITE,
    AccountId,
    Cursor,
    Limit,
)
from torekes.api.schemas import (
    MAX_ID,
    AccountIn,
    AccountOut,
    BalanceOut,
    CurrencyCode,
    Page,
    PayoutIn,
    PayoutOut,
    RedeemableIn,
    StatementLineOut,
)
from torekes.approvals import four_eyes
from torekes.domain.accounts import AccountKind, AccountStatus
from torekes.ledger import accounts
from torekes.ledger.accounts import AccountCommand, AccountQuery
from torekes.ledger.read_models import AccountView, BalanceAt
from torekes.redemption import payouts

router = APIRouter(prefix="/accounts", tags=["accounts"])

AsOf = Annotated[
    str | None,
    Query(
        max_length=64,
        description="A sequence number of the account's currency, or an ISO 8601 timestamp with "
        "a time zone. Omitted: now.",
    ),
]


@router.post("", status_code=201, response_model=AccountOut, responses=WRITE)
def open_account(body: AccountIn, writer: WriterDep) -> JSONResponse:
    command = AccountCommand(**body.model_dump())
    return writer.run(lambda ctx: accounts.open_account(ctx, command), AccountOut, 201)


@router.get("", response_model=Page[AccountOut], responses=READ)
def list_accounts(
    actor: CurrentPrincipal,
    db: DbDep,
    currency: Annotated[CurrencyCode | None, Query()] = None,
    kind: AccountKind | None = None,
    status: AccountStatus | None = None,
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AccountOut]:
    """Accounts in id order. Members, shopkeepers and coordinators see only their own."""
    query = AccountQuery(currency, kind, status, owner_id, cursor, limit)
    return Page[AccountOut].model_validate(accounts.list_accounts(db, actor, query))


@router.get("/{account_id}", response_model=AccountOut, responses=READ)
def get_account(account_id: AccountId, actor: CurrentPrincipal, db: DbDep) -> AccountView:
    return accounts.get_account(db, actor, account_id)


@router.get("/{account_id}/entries", response_model=Page[StatementLineOut], responses=READ)
def statement(
    account_id: AccountId,
    actor: CurrentPrincipal,
    db: DbDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[StatementLineOut]:
    """The statement, newest first, each line with the balance right after it."""
    page = accounts.statement(db, actor, account_id, cursor, limit)
    return Page[StatementLineOut].model_validate(page)


@router.get("/{account_id}/balance", response_model=BalanceOut, responses=READ)
def balance(
    account_id: AccountId, actor: CurrentPrincipal, db: DbDep, as_of: AsOf = None
) -> BalanceAt:
    return accounts.balance_as_of(db, actor, account_id, as_of)


def _status_route(action: Literal["freeze", "unfreeze", "close"]) -> None:
    def change(account_id: AccountId, writer: WriterDep) -> JSONResponse:
        return writer.run(lambda ctx: accounts.change_status(ctx, account_id, action), AccountOut)

    change.__name__ = f"{action}_account"
    router.add_api_route(
        f"/{{account_id}}/{action}",
        change,
        methods=["POST"],
        response_model=AccountOut,
        responses=WRITE,
        summary=f"{action.capitalize()} an account",
    )


_ACTIONS: tuple[Literal["freeze", "unfreeze", "close"], ...] = ("freeze", "unfreeze", "close")
for _action in _ACTIONS:
    _status_route(_action)


@router.put("/{account_id}/payout", response_model=PayoutOut, responses=FOUR_EYES)
def set_payout(
    account_id: AccountId, body: PayoutIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Where redeemed tokens are paid in euros: IBAN and name (the shop's keeper or an admin). An
    administrator's change, with the four-eyes threshold set and another administrator active,
    is filed for a second administrator's approval (202)."""
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.set_payout_details(
            ctx, account_id, body.iban, body.payout_name, above
        ),
        PayoutOut,
        200,
        DEFERRED,
    )


@router.put("/{account_id}/redeemable", response_model=PayoutOut, responses=WRITE)
def set_redeemable(account_id: AccountId, body: RedeemableIn, writer: WriterDep) -> JSONResponse:
    """Allow or stop a partner account's redemptions (admin); shops always redeem."""
    return writer.run(
        lambda ctx: payouts.set_redeemable(ctx, account_id, body.redeemable), PayoutOut
    )
