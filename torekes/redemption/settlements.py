"""Settlements: an administrator gathers every approved redemption of a currency into one batch,
exports it (CSV for the bookkeeper, ``pain.001`` for the bank), and after the bank has paid marks
the whole batch paid in one step.

Gathering locks each approved redemption (in id order) and re-checks it, so a redemption rejected
or paid meanwhile stays out. A redemption in a settlement is paid only with it. Paying locks the
settlement, then its redemptions in id order; nothing locks a redemption and then a settlement.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal
from torekes.kit import audit_trail, clock, wording
from torekes.kit.languages import DEFAULT_LANGUAGE
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger.currencies import get_currency_id
from torekes.redemption import bank_files, queries, redemptions
from torekes.redemption.bank_files import Debtor, Transfer
from torekes.redemption.read_models import SettlementView
from torekes.settings import Settings


def create(
    ctx: WriteContext, currency_code: str, only: Collection[int] | None = None
) -> SettlementView:
    """Gather every approved redemption of the currency not yet settled; ``only`` narrows them
    to those named (a settlement approved by a second administrator holds no more than the
    redemptions its request named)."""
    access.require_admin(ctx.actor)
    session = ctx.session
    currency_id = get_currency_id(session, currency_code)
    waiting = queries.unsettled_approved_ids(session, currency_id)
    if only is not None:
        named = set(only)
        waiting = [row_id for row_id in waiting if row_id in named]
    rows = [row for row in (lock(session, m.Redemption, i) for i in waiting) if _waiting(row)]
    if not rows:
        raise errors.NothingToSettle(currency=currency_code)
    now = clock.now()
    settlement = m.Settlement(
        currency_id=currency_id,
        status="open",
        message_id=f"pending-{now.timestamp()}",
        created_at=now,
        created_by_id=ctx.actor.user_id,
    )
    session.add(settlement)
    session.flush()
    settlement.message_id = f"TRK-S{settlement.id}-{now:%Y%m%d%H%M%S}"[:35]
    for row in rows:
        assert row is not None
        row.settlement_id = settlement.id
    session.flush()
    after = {"redemptions": [row.id for row in rows if row is not None]}
    audit_trail.record(ctx, "settlement.created", "settlement", settlement.id, None, after)
    return settlement_view(session, settlement)


def pay(ctx: WriteContext, settlement_id: int, payout_reference: str) -> SettlementView:
    """Mark every redemption of the settlement paid, with the bank's reference, in one step."""
    access.require_admin(ctx.actor)
    settlement = lock(ctx.session, m.Settlement, settlement_id)
    if settlement is None:
        raise errors.SettlementNotFound(settlement_id=settlement_id)
    if settlement.status == "paid":
        raise errors.SettlementAlreadyPaid(settlement_id=settlement_id)
    for row_id in queries.redemption_ids_of_settlement(ctx.session, settlement.id):
        row = lock(ctx.session, m.Redemption, row_id)
        assert row is not None
        redemptions.mark_paid(ctx, row, payout_reference)
    settlement.status = "paid"
    settlement.paid_at = clock.now()
    settlement.paid_by_id = ctx.actor.user_id
    settlement.payout_reference = payout_reference
    ctx.session.flush()
    audit_trail.record(
        ctx,
        "settlement.paid",
        "settlement",
        settlement.id,
        {"status": "open"},
        {"status": "paid", "payout_reference": payout_reference},
    )
    return settlement_view(ctx.session, settlement)


def get(db: Database, actor: Principal, settlement_id: int) -> SettlementView:
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        return settlement_view(session, _settlement(session, settlement_id))


def list_settlements(db: Database, actor: Principal) -> list[SettlementView]:
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        return [settlement_view(session, row) for row in queries.list_settlements(session)]


def export_csv(db: Database, actor: Principal, settlement_id: int) -> str:
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        settlement = _settlement(session, settlement_id)
        return bank_files.settlement_csv(_transfers(session, settlement))


def export_pain_001(
    db: Database, settings: Settings, actor: Principal, settlement_id: int
) -> bytes:
    access.require_reader_of_everything(actor)
    if not settings.payout_iban or not settings.payout_name:
        raise errors.PayoutAccountNotConfigured()
    debtor = Debtor(settings.payout_name, settings.payout_iban, settings.payout_bic)
    with db.read_session() as session:
        settlement = _settlement(session, settlement_id)
        transfers = _transfers(session, settlement)
        now = clock.now()
        return bank_files.pain_001(settlement.message_id, now, now.date(), debtor, transfers)


def settlement_view(session: Session, settlement: m.Settlement) -> SettlementView:
    rows = [
        session.get(m.Redemption, row_id)
        for row_id in queries.redemption_ids_of_settlement(session, settlement.id)
    ]
    currency = referenced(session, m.Currency, settlement.currency_id)
    return SettlementView(
        id=settlement.id,
        currency=currency.code,
        status=settlement.status,
        message_id=settlement.message_id,
        created_at=settlement.created_at,
        created_by_id=settlement.created_by_id,
        paid_at=settlement.paid_at,
        paid_by_id=settlement.paid_by_id,
        payout_reference=settlement.payout_reference,
        redemption_ids=[row.id for row in rows if row is not None],
        amount=sum(row.amount for row in rows if row is not None),
        euro_cents=sum(row.euro_cents or 0 for row in rows if row is not None),
    )


def _transfers(session: Session, settlement: m.Settlement) -> list[Transfer]:
    transfers = []
    currency = referenced(session, m.Currency, settlement.currency_id)
    for row_id in queries.redemption_ids_of_settlement(session, settlement.id):
        row = referenced(session, m.Redemption, row_id)
        account = referenced(session, m.Account, row.account_id)
        assert row.approved_at is not None
        assert row.euro_cents is not None
        transfers.append(
            Transfer(
                end_to_end_id=f"TRK-R{row.id}",
                redemption_id=row.id,
                account_id=account.id,
                creditor_name=account.payout_name or account.name,
                creditor_iban=account.iban or "",
                tokens=row.amount,
                currency=currency.code,
                rate=str(row.rate),
                euro_cents=row.euro_cents,
                requested_at=row.requested_at,
                approved_at=row.approved_at,
                # Bank files have no reader's language: the installation's own, Dutch.
                remittance=wording.redemption_remittance(
                    row.id,
                    wording.amount_text(row.amount, currency.decimals, DEFAULT_LANGUAGE),
                    currency.code,
                    DEFAULT_LANGUAGE,
                ),
            )
        )
    return transfers


def _settlement(session: Session, settlement_id: int) -> m.Settlement:
    settlement = session.get(m.Settlement, settlement_id)
    if settlement is None:
        raise errors.SettlementNotFound(settlement_id=settlement_id)
    return settlement


def _waiting(row: m.Redemption | None) -> bool:
    return row is not None and row.status == "approved" and row.settlement_id is None
