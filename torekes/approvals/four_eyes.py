"""Four eyes on the largest entries: issuances, general entries and reversals above
``TOREKES_FOUR_EYES_ABOVE`` are filed for a second administrator instead of posted.

Each is first tried in full inside a savepoint, under every rule and lock it would post under, and
rolled back: so a request that could never post is refused at once with the ledger's own error,
and the size that decides is what the entry really moves. Approving runs the same command again
(the ledger may have changed since; it is judged again), posts it, and links the request to its
transaction, all in one database transaction. Every step is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from torekes.approvals import queries
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal
from torekes.domain.approvals import (
    ApprovalKind,
    ApprovalStatus,
    check_pending,
    check_second_admin,
    moved_amount,
    needs_second_admin,
)
from torekes.domain.entries import Posting, TransactionKind
from torekes.kit import audit_trail, clock
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import journal
from torekes.ledger.journal import EntryCommand, IssuanceCommand
from torekes.ledger.queries import currency_by_code
from torekes.ledger.read_models import TransactionView
from torekes.spending import reversals


@dataclass(frozen=True, slots=True)
class ApprovalView:
    id: int
    kind: str
    currency: str
    amount: int
    payload: dict[str, Any]
    status: str
    requested_by_id: int
    requested_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    note: str
    transaction_id: int | None


Outcome = TransactionView | ApprovalView


def issue(ctx: WriteContext, command: IssuanceCommand, above: Decimal | None) -> Outcome:
    payload = {
        "to_account_id": command.to_account_id,
        "amount": command.amount,
        "memo": command.memo,
        "metadata": dict(command.metadata),
    }
    return _post_or_file(ctx, ApprovalKind.ISSUANCE, payload, above)


def post_entry(ctx: WriteContext, command: EntryCommand, above: Decimal | None) -> Outcome:
    payload = {
        "currency": command.currency,
        "kind": command.kind.value,
        "postings": [[p.account_id, p.amount] for p in command.postings],
        "memo": command.memo,
        "metadata": dict(command.metadata),
    }
    return _post_or_file(ctx, ApprovalKind.ENTRY, payload, above)


def reverse(ctx: WriteContext, transaction_id: int, reason: str, above: Decimal | None) -> Outcome:
    payload = {"transaction_id": transaction_id, "reason": reason}
    return _post_or_file(ctx, ApprovalKind.REVERSAL, payload, above)


def approve(ctx: WriteContext, request_id: int, note: str) -> TransactionView:
    """Post the request's entry: an administrator other than the one who asked."""
    access.require_admin(ctx.actor)
    row = _locked(ctx, request_id)
    check_pending(ApprovalStatus(row.status))
    check_second_admin(row.requested_by_id, ctx.actor.user_id)
    posted = _operation(ApprovalKind(row.kind), row.payload)(ctx)
    _decide(ctx, row, ApprovalStatus.APPROVED, note, posted.id)
    return posted


def reject(ctx: WriteContext, request_id: int, note: str) -> ApprovalView:
    """Refuse the request (or, by the one who asked, withdraw it): nothing is posted."""
    access.require_admin(ctx.actor)
    row = _locked(ctx, request_id)
    check_pending(ApprovalStatus(row.status))
    _decide(ctx, row, ApprovalStatus.REJECTED, note, None)
    return _view(ctx.session, row)


def list_requests(db: Database, actor: Principal, status: str | None) -> list[ApprovalView]:
    """Requests, newest first (admins and auditors)."""
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        return [_view(session, row) for row in queries.list_requests(session, status)]


def get(db: Database, actor: Principal, request_id: int) -> ApprovalView:
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        row = session.get(m.ApprovalRequest, request_id)
        if row is None:
            raise errors.ApprovalRequestNotFound(approval_request_id=request_id)
        return _view(session, row)


def _post_or_file(
    ctx: WriteContext, kind: ApprovalKind, payload: dict[str, Any], above: Decimal | None
) -> Outcome:
    operation = _operation(kind, payload)
    if above is None:
        return operation(ctx)
    savepoint = ctx.session.begin_nested()
    try:
        trial = operation(ctx)
    except BaseException:
        savepoint.rollback()
        raise
    currency = currency_by_code(ctx.session, trial.currency)
    assert currency is not None
    moved = moved_amount(posting.amount for posting in trial.postings)
    if not needs_second_admin(moved, currency.decimals, above):
        savepoint.commit()
        return trial
    savepoint.rollback()
    row = m.ApprovalRequest(
        kind=kind.value,
        currency_id=currency.id,
        amount=moved,
        payload=payload,
        status=ApprovalStatus.PENDING.value,
        requested_by_id=ctx.actor.user_id,
        requested_at=clock.now(),
        note="",
    )
    ctx.session.add(row)
    ctx.session.flush()
    after = {"kind": kind.value, "amount": moved, "payload": payload}
    audit_trail.record(ctx, "approval.requested", "approval_request", row.id, None, after)
    return _view(ctx.session, row)


def _operation(
    kind: ApprovalKind, payload: dict[str, Any]
) -> Callable[[WriteContext], TransactionView]:
    if kind is ApprovalKind.ISSUANCE:
        command = IssuanceCommand(
            payload["to_account_id"], payload["amount"], payload["memo"], payload["metadata"]
        )
        return lambda ctx: journal.issue(ctx, command)
    if kind is ApprovalKind.ENTRY:
        entry = EntryCommand(
            currency=payload["currency"],
            kind=TransactionKind(payload["kind"]),
            postings=[Posting(account_id, amount) for account_id, amount in payload["postings"]],
            memo=payload["memo"],
            metadata=payload["metadata"],
        )
        return lambda ctx: journal.post_general_entry(ctx, entry)
    return lambda ctx: reversals.reverse(ctx, payload["transaction_id"], payload["reason"])


def _locked(ctx: WriteContext, request_id: int) -> m.ApprovalRequest:
    row = lock(ctx.session, m.ApprovalRequest, request_id)
    if row is None:
        raise errors.ApprovalRequestNotFound(approval_request_id=request_id)
    return row


def _decide(
    ctx: WriteContext,
    row: m.ApprovalRequest,
    status: ApprovalStatus,
    note: str,
    transaction_id: int | None,
) -> None:
    before = {"status": row.status}
    row.status = status.value
    row.decided_by_id = ctx.actor.user_id
    row.decided_at = clock.now()
    row.note = note
    row.transaction_id = transaction_id
    ctx.session.flush()
    after = {"status": row.status, "note": note, "transaction_id": transaction_id}
    audit_trail.record(ctx, f"approval.{status.value}", "approval_request", row.id, before, after)


def _view(session: Session, row: m.ApprovalRequest) -> ApprovalView:
    currency = referenced(session, m.Currency, row.currency_id)
    return ApprovalView(
        id=row.id,
        kind=row.kind,
        currency=currency.code,
        amount=row.amount,
        payload=row.payload,
        status=row.status,
        requested_by_id=row.requested_by_id,
        requested_at=row.requested_at,
        decided_by_id=row.decided_by_id,
        decided_at=row.decided_at,
        note=row.note,
        transaction_id=row.transaction_id,
    )
