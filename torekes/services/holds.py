"""Holds: funds reserved on an account until they are posted or released, exactly once.

A hold raises the account's ``held`` amount, so ``available = balance - held`` drops at once.
Every function here expects the account's row lock to be taken by the caller's transaction
(``journal.lock_accounts``); resolving a hold is a conditional step from ``pending`` only.
"""

from __future__ import annotations

from torekes.db import journal
from torekes.db import models as m
from torekes.domain import errors
from torekes.services import clock
from torekes.services.unit_of_work import WriteContext


def place(ctx: WriteContext, account_id: int, amount: int) -> m.Hold:
    """Reserve ``amount`` on the account, or raise ``InsufficientFunds``."""
    journal.lock_currency_of_account(ctx.session, account_id)
    account = journal.lock_accounts(ctx.session, [account_id])[account_id]
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


def release(
    ctx: WriteContext, hold: m.Hold, outcome: str, transaction_id: int | None = None
) -> None:
    """Take the hold off its account, as ``posted`` (with its transaction) or ``released``."""
    if hold.status != "pending":
        raise errors.ClaimAlreadyResolved("The hold has already been resolved")
    journal.lock_currency_of_account(ctx.session, hold.account_id)
    account = journal.lock_accounts(ctx.session, [hold.account_id])[hold.account_id]
    account.held -= hold.amount
    hold.status = outcome
    hold.resolved_at = clock.now()
    hold.transaction_id = transaction_id
    ctx.session.flush()
