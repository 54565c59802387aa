"""Reversing a transaction, with what spending keeps about it.

A payment records how much of it was refunded, and a refund which payment it returns: a reversal
must keep both true. So a payment with refunds cannot be reversed (that would return more than was
paid), and a reversed refund can be refunded again. The check locks the payment's row before the
ledger locks the chain head (the documented order), and the ledger's ``journal.reverse`` then posts
the opposite entry. Every administrator's reversal comes through here, whatever its kind.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.locking import lock
from torekes.domain import errors
from torekes.domain.entries import TransactionKind
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import journal
from torekes.ledger.queries import reversal_ids_of
from torekes.ledger.read_models import TransactionView
from torekes.spending.queries import payment_by_transaction, refund_by_transaction


def reverse(ctx: WriteContext, transaction_id: int, reason: str) -> TransactionView:
    """Post the exact opposite of a transaction, keeping its payment's refunds true."""
    return journal.reverse(ctx, transaction_id, reason, check=keep_refunds_consistent)


def keep_refunds_consistent(session: Session, original: m.Transaction) -> None:
    """A payment with refunds cannot be reversed (that would return more than was paid); a
    reversed refund can be refunded again. Locks the payment row, before the chain head."""
    if original.kind == TransactionKind.PAYMENT:
        payment = payment_by_transaction(session, original.id)
        if payment is not None:
            locked = lock(session, m.Payment, payment.id)
            if locked is not None and locked.refunded_amount > 0:
                raise errors.PaymentHasRefunds(transaction_id=original.id)
    elif original.kind == TransactionKind.REFUND:
        refund = refund_by_transaction(session, original.id)
        if refund is not None:
            locked = lock(session, m.Payment, refund.payment_id)
            # A refund reversed already is refused further on; it must not count twice here.
            if locked is not None and not reversal_ids_of(session, [original.id]):
                locked.refunded_amount -= refund.amount
