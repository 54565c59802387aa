"""Redemptions: shops (and partners allowed to) turn tokens into euros.

The shop asks; the amount is held on its account at once, so it can no longer be spent. An
administrator approves it, which fixes the euro amount at the rate in force then, and pays it,
which posts a ``redemption`` transaction from the shop to the currency's redemption account; or
rejects it, which releases the hold. Each step runs under the redemption's row lock and happens
once. Lock order: redemption, hold, the currency's chain head, accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal
from torekes.domain.accounts import AccountKind, can_redeem
from torekes.domain.entries import TransactionKind, transfer_postings
from torekes.domain.redemption import RedemptionStatus, RedemptionStep, check_step, euro_cents
from torekes.domain.spending import check_positive
from torekes.kit import audit_trail, clock, pagination
from torekes.kit.pagination import Listing
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import holds
from torekes.ledger.journal import post_entry
from torekes.ledger.queries import (
    account_ids_owned_by,
    lock_accounts,
    lock_currency_of_account,
    system_account,
)
from torekes.redemption import queries
from torekes.redemption.rates import rate_at
from torekes.redemption.read_models import RedemptionView


@dataclass(frozen=True, slots=True)
class RedemptionQuery:
    account_id: int | None = None
    status: RedemptionStatus | None = None
    settlement_id: int | None = None
    cursor: str | None = None
    limit: int = pagination.DEFAULT_PAGE_SIZE


def request(ctx: WriteContext, account_id: int, amount: int, memo: str) -> RedemptionView:
    """Ask to redeem ``amount`` of a shop's tokens (its keeper, or an admin); held at once."""
    session = ctx.session
    # Locked before the checks, so an administrator's change of the redeemable mark or the payout
    # details cannot slip between them and the hold.
    lock_currency_of_account(session, account_id)
    account = lock_accounts(session, [account_id]).get(account_id)
    if account is None:
        raise errors.AccountNotFound(account_id=account_id)
    if not (ctx.actor.is_admin or account.owner_id == ctx.actor.user_id):
        raise errors.NotAccountOwner(account_id=account_id)
    if not can_redeem(AccountKind(account.kind), account.redeemable):
        raise errors.AccountNotRedeemable(account_id=account_id)
    if not account.iban or not account.payout_name:
        raise errors.PayoutDetailsMissing(account_id=account_id)
    check_positive(amount)
    hold = holds.place(ctx, account.id, amount)
    row = m.Redemption(
        account_id=account.id,
        currency_id=account.currency_id,
        amount=amount,
        status=RedemptionStatus.REQUESTED.value,
        hold_id=hold.id,
        memo=memo,
        requested_at=clock.now(),
        requested_by_id=ctx.actor.user_id,
    )
    session.add(row)
    session.flush()
    return redemption_view(session, row)


def approve(ctx: WriteContext, redemption_id: int) -> RedemptionView:
    """Approve at the euro rate in force now (admin)."""
    access.require_admin(ctx.actor)
    row = _locked(ctx.session, redemption_id)
    check_step(RedemptionStatus(row.status), RedemptionStep.APPROVE)
    currency = referenced(ctx.session, m.Currency, row.currency_id)
    now = clock.now()
    row.rate = rate_at(ctx.session, currency, now)
    row.euro_cents = euro_cents(row.amount, currency.decimals, row.rate)
    row.status = RedemptionStatus.APPROVED.value
    row.approved_at = now
    row.approved_by_id = ctx.actor.user_id
    ctx.session.flush()
    after = {"status": row.status, "rate": row.rate, "euro_cents": row.euro_cents}
    audit_trail.record(
        ctx, "redemption.approved", "redemption", row.id, {"status": "requested"}, after
    )
    return redemption_view(ctx.session, row)


def reject(ctx: WriteContext, redemption_id: int, reason: str) -> RedemptionView:
    """Refuse a redemption not yet paid; the held tokens are the shop's to spend again (admin)."""
    access.require_admin(ctx.actor)
    row = _locked(ctx.session, redemption_id)
    before = {"status": row.status}
    check_step(RedemptionStatus(row.status), RedemptionStep.REJECT)
    _check_not_settled(row)
    holds.release(ctx, _hold(ctx.session, row))
    row.status = RedemptionStatus.REJECTED.value
    row.rejected_at = clock.now()
    row.rejected_by_id = ctx.actor.user_id
    row.reject_reason = reason
    ctx.session.flush()
    after = {"status": row.status, "reason": reason}
    audit_trail.record(ctx, "redemption.rejected", "redemption", row.id, before, after)
    return redemption_view(ctx.session, row)


def pay(ctx: WriteContext, redemption_id: int, payout_reference: str) -> RedemptionView:
    """Record that the euros went out: the held tokens move to the redemption account (admin)."""
    access.require_admin(ctx.actor)
    row = _locked(ctx.session, redemption_id)
    check_step(RedemptionStatus(row.status), RedemptionStep.PAY)
    _check_not_settled(row)
    mark_paid(ctx, row, payout_reference)
    return redemption_view(ctx.session, row)


def mark_paid(ctx: WriteContext, row: m.Redemption, payout_reference: str) -> None:
    """Pay one locked redemption (also a settlement's step for each of its redemptions)."""
    check_step(RedemptionStatus(row.status), RedemptionStep.PAY)
    redemption_account = system_account(ctx.session, row.currency_id, AccountKind.REDEMPTION)
    assert redemption_account is not None, "created with the currency"
    assert row.euro_cents is not None
    assert row.rate is not None
    metadata = {
        "redemption_id": row.id,
        "euro_cents": row.euro_cents,
        "rate": str(row.rate),
        "payout_reference": payout_reference,
    }
    # The number and the euros are in the metadata, written out in the reader's language.
    memo = ""

    def post() -> int:
        postings = transfer_postings(row.account_id, redemption_account.id, row.amount)
        return post_entry(ctx, postings, TransactionKind.REDEMPTION, memo, metadata).id

    row.transaction_id = holds.post(ctx, _hold(ctx.session, row), post)
    row.status = RedemptionStatus.PAID.value
    row.paid_at = clock.now()
    row.paid_by_id = ctx.actor.user_id
    row.payout_reference = payout_reference
    ctx.session.flush()
    after = {"status": row.status, "payout_reference": payout_reference}
    audit_trail.record(ctx, "redemption.paid", "redemption", row.id, {"status": "approved"}, after)


def get(db: Database, actor: Principal, redemption_id: int) -> RedemptionView:
    with db.read_session() as session:
        row = session.get(m.Redemption, redemption_id)
        if row is None:
            raise errors.RedemptionNotFound(redemption_id=redemption_id)
        account = referenced(session, m.Account, row.account_id)
        access.check_can_read_account(actor, account.id, account.owner_id)
        return redemption_view(session, row)


def list_redemptions(
    db: Database, actor: Principal, query: RedemptionQuery
) -> Listing[RedemptionView]:
    """Newest first: all for administrators and auditors, a keeper's own shops' otherwise."""
    with db.read_session() as session:
        accounts: list[int] | None = None
        if query.account_id is not None:
            account = session.get(m.Account, query.account_id)
            if account is None:
                raise errors.AccountNotFound(account_id=query.account_id)
            access.check_can_read_account(actor, account.id, account.owner_id)
            accounts = [account.id]
        elif not actor.reads_everything:
            accounts = account_ids_owned_by(session, actor.user_id)
        found = queries.list_redemptions(
            session,
            accounts,
            None if query.status is None else query.status.value,
            query.settlement_id,
            pagination.parse_cursor(query.cursor),
            query.limit,
        )
        return Listing(
            [redemption_view(session, row) for row in found],
            pagination.next_cursor([row.id for row in found], query.limit),
        )


def redemption_view(session: Session, row: m.Redemption) -> RedemptionView:
    account = referenced(session, m.Account, row.account_id)
    currency = referenced(session, m.Currency, row.currency_id)
    return RedemptionView(
        id=row.id,
        account_id=account.id,
        account_name=account.name,
        currency=currency.code,
        amount=row.amount,
        status=row.status,
        memo=row.memo,
        requested_at=row.requested_at,
        requested_by_id=row.requested_by_id,
        rate=row.rate,
        euro_cents=row.euro_cents,
        approved_at=row.approved_at,
        approved_by_id=row.approved_by_id,
        settlement_id=row.settlement_id,
        paid_at=row.paid_at,
        paid_by_id=row.paid_by_id,
        payout_reference=row.payout_reference,
        transaction_id=row.transaction_id,
        rejected_at=row.rejected_at,
        rejected_by_id=row.rejected_by_id,
        reject_reason=row.reject_reason,
    )


def _locked(session: Session, redemption_id: int) -> m.Redemption:
    row = lock(session, m.Redemption, redemption_id)
    if row is None:
        raise errors.RedemptionNotFound(redemption_id=redemption_id)
    return row


def _check_not_settled(row: m.Redemption) -> None:
    if row.settlement_id is not None:
        raise errors.RedemptionInSettlement(settlement_id=row.settlement_id)


def _hold(session: Session, row: m.Redemption) -> m.Hold:
    hold = lock(session, m.Hold, row.hold_id)
    assert hold is not None
    return hold
