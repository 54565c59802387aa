"""Holds: funds reserved on an account until they are posted or released, exactly once.

A hold raises the account's ``held`` amount, so ``available = balance - held`` drops at once.
Every function here expects the account's row lock to be taken by the caller's transaction
(``queries.lock_accounts``). A hold leaves ``pending`` once, to ``posted`` or ``released``; a
database trigger refuses any later change.
"""

from __future__ import annotations

from collections.abc import Callable

from torekes.db import models as m
from torekes.domain import errors
from torekes.kit import clock
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import queries


def place(ctx: WriteContext, account_id: int, amount: int) -> m.Hold:
    """Reserve ``amount`` on the account, or raise ``InsufficientFunds``."""
    queries.lock_currency_of_account(ctx.session, account_id)
    account = queries.lock_accounts(ctx.session, [account_id])[account_id]
    available = account.balance - account.held
    if amount > available:
        raise errors.InsufficientFunds(
            f"Account {account_id} has {available} available, needs {amount}",
            account_id=account_id,
            available=available,
        )
    account.held += amount
    hold = m.Hold(account_id=account_id, amount=amount, status="pending")
    ctx.session.add(hold)
    ctx.session.flush()
    return hold


def post(ctx: WriteContext, hold: m.Hold, pay: Callable[[], int]) -> int:
    """Turn the hold into a posting: free the reserved amount, run ``pay`` (which posts the
    transaction and returns its id) in the same database transaction, and mark the hold posted."""
    _unreserve(ctx, hold)
    transaction_id = pay()
    _finish(ctx, hold, "posted", transaction_id)
    return transaction_id


def release(ctx: WriteContext, hold: m.Hold) -> None:
    """Give the reserved amount back to the account's available balance."""
    _unreserve(ctx, hold)
    _finish(ctx, hold, "released", None)


def _unreserve(ctx: WriteContext, hold: m.Hold) -> None:
    if hold.status != "pending":
        raise errors.HoldAlreadyResolved(hold_id=hold.id)
    queries.lock_currency_of_account(ctx.session, hold.account_id)
    account = queries.lock_accounts(ctx.session, [hold.account_id])[hold.account_id]
    account.held -= hold.amount
    ctx.session.flush()


def _finish(ctx: WriteContext, hold: m.Hold, outcome: str, transaction_id: int | None) -> None:
    # One update from pending, as the database's trigger on holds insists.
    hold.status = outcome
    hold.resolved_at = clock.now()
    hold.transaction_id = transaction_id
    ctx.session.flush()
