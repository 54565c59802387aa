"""Accounts: opening, freezing, closing, and reading balances and statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import (
    USER_CREATABLE_KINDS,
    AccountKind,
    AccountStatus,
    check_can_close,
    check_may_own,
    next_status,
)
from torekes.kit import audit_trail, pagination
from torekes.kit.pagination import Listing
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import queries
from torekes.ledger.currencies import get_currency_id
from torekes.ledger.journal import account_state
from torekes.ledger.read_models import AccountView, BalanceAt, StatementLine

STATUS_ACTIONS = {"freeze": "frozen", "unfreeze": "unfrozen", "close": "closed"}


@dataclass(frozen=True, slots=True)
class AccountCommand:
    currency: str
    kind: AccountKind
    name: str
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class AccountQuery:
    currency: str | None = None
    kind: AccountKind | None = None
    status: AccountStatus | None = None
    owner_id: int | None = None
    cursor: str | None = None
    limit: int = pagination.DEFAULT_PAGE_SIZE


def open_account(ctx: WriteContext, command: AccountCommand) -> AccountView:
    access.require_admin(ctx.actor)
    if command.kind not in USER_CREATABLE_KINDS:
        raise errors.AccountKindNotAllowed(
            f"{command.kind.value} accounts are created with their currency"
        )
    currency_id = get_currency_id(ctx.session, command.currency)
    if command.owner_id is not None:
        owner = ctx.session.get(m.User, command.owner_id)
        if owner is None:
            raise errors.UserNotFound(f"No user {command.owner_id}", user_id=command.owner_id)
        check_may_own(command.kind, owner.role == Role.ADMIN)
    account = m.Account(
        currency_id=currency_id,
        kind=command.kind.value,
        name=command.name,
        owner_id=command.owner_id,
        status=AccountStatus.ACTIVE.value,
        balance=0,
        held=0,
    )
    ctx.session.add(account)
    ctx.session.flush()
    after = {
        "currency": command.currency,
        "kind": account.kind,
        "name": account.name,
        "owner_id": account.owner_id,
    }
    audit_trail.record(ctx, "account.opened", "account", account.id, None, after)
    return AccountView.of(account, command.currency)


def change_status(ctx: WriteContext, account_id: int, action: str) -> AccountView:
    """``freeze``, ``unfreeze`` or ``close`` an account, under its row lock."""
    access.require_admin(ctx.actor)
    account = queries.lock_accounts(ctx.session, [account_id]).get(account_id)
    if account is None:
        raise errors.AccountNotFound(f"No account {account_id}", account_id=account_id)
    state = account_state(account)
    before = {"status": account.status}
    if action == "close":
        check_can_close(state)
        account.status = AccountStatus.CLOSED.value
    else:
        account.status = next_status(state, action).value
    ctx.session.flush()
    audit_trail.record(
        ctx,
        f"account.{STATUS_ACTIONS[action]}",
        "account",
        account.id,
        before,
        {"status": account.status},
    )
    return _view(ctx.session, account)


def get_account(db: Database, actor: Principal, account_id: int) -> AccountView:
    with db.read_session() as session:
        account = _readable_account(session, actor, account_id)
        return _view(session, account)


def list_accounts(db: Database, actor: Principal, query: AccountQuery) -> Listing[AccountView]:
    owner_id = query.owner_id
    if not actor.reads_everything:
        if owner_id not in (None, actor.user_id):
            raise errors.RoleNotAllowed("You may list only your own accounts")
        owner_id = actor.user_id
    with db.read_session() as session:
        currency_id = None if query.currency is None else get_currency_id(session, query.currency)
        where = queries.AccountFilter(
            currency_id=currency_id,
            kind=None if query.kind is None else query.kind.value,
            status=None if query.status is None else query.status.value,
            owner_id=owner_id,
        )
        found = queries.list_accounts(
            session, where, pagination.parse_cursor(query.cursor), query.limit
        )
        codes = _currency_codes(session)
        return Listing(
            items=[AccountView.of(account, codes[account.currency_id]) for account in found],
            next_cursor=pagination.next_cursor([account.id for account in found], query.limit),
        )


def statement(
    db: Database, actor: Principal, account_id: int, cursor: str | None, limit: int
) -> Listing[StatementLine]:
    """The account's entries, newest first, each with the balance right after it."""
    with db.read_session() as session:
        _readable_account(session, actor, account_id)
        rows = queries.statement_lines(session, account_id, pagination.parse_cursor(cursor), limit)
        lines = statement_lines(session, rows)
        return Listing(lines, pagination.next_cursor([line.seq for line in lines], limit))


def statement_lines(
    session: Session, rows: Sequence[tuple[m.Posting, m.Transaction]]
) -> list[StatementLine]:
    """An account's postings as statement lines, each naming who acted for whom, if anyone."""
    return [
        StatementLine(
            transaction_id=transaction.id,
            seq=posting.seq,
            kind=transaction.kind,
            memo=transaction.memo,
            created_at=transaction.created_at,
            amount=posting.amount,
            balance_after=posting.balance_after,
            by_name=_name(session, transaction.meta, "by"),
            for_name=_name(session, transaction.meta, "for"),
        )
        for posting, transaction in rows
    ]


def balance_as_of(db: Database, actor: Principal, account_id: int, as_of: str | None) -> BalanceAt:
    """The balance after a sequence number, or at a moment; now when ``as_of`` is absent."""
    with db.read_session() as session:
        account = _readable_account(session, actor, account_id)
        currency = referenced(session, m.Currency, account.currency_id)
        seq = resolve_as_of(session, currency, as_of)
        return BalanceAt(
            account_id=account.id,
            currency=currency.code,
            as_of_seq=seq,
            balance=queries.balance_at_seq(session, account.id, seq),
        )


def resolve_as_of(session: Session, currency: m.Currency, as_of: str | None) -> int:
    """Turn ``as_of`` (a sequence number or an ISO 8601 moment) into a sequence number."""
    if as_of is None or as_of == "":
        return currency.last_seq
    if as_of.isascii() and as_of.isdigit():
        return min(int(as_of), currency.last_seq)
    try:
        moment = datetime.fromisoformat(as_of)
        if moment.tzinfo is None:
            raise errors.InvalidAsOf("A timestamp for as_of needs a time zone (e.g. Z or +01:00)")
        # Stored moments are UTC; SQLite compares them as text, so compare in UTC too.
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise errors.InvalidAsOf() from None
    return queries.last_seq_at(session, currency.id, moment)


def _readable_account(session: Session, actor: Principal, account_id: int) -> m.Account:
    account = session.get(m.Account, account_id)
    if account is None:
        raise errors.AccountNotFound(f"No account {account_id}", account_id=account_id)
    access.check_can_read_account(actor, account.id, account.owner_id)
    return account


def _currency_codes(session: Session) -> dict[int, str]:
    return {currency.id: currency.code for currency in queries.list_currencies(session)}


def _view(session: Session, account: m.Account) -> AccountView:
    return AccountView.of(account, _currency_codes(session)[account.currency_id])


def _name(session: Session, metadata: dict[str, Any], role: str) -> str | None:
    """The name of the user an entry's metadata names as ``by`` or ``for`` (an act done by
    someone for a member), if it names one."""
    user_id = metadata.get(role) if "by" in metadata and "for" in metadata else None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    user = session.get(m.User, user_id)
    return None if user is None else user.display_name
