"""Four eyes on money that leaves without a second look: issuances, general entries, reversals,
an administrator's transfers out of accounts they do not own, approving and paying redemptions,
making and paying settlements, above ``TOREKES_FOUR_EYES_ABOVE``, are filed for a second
administrator instead of done; so is, whatever the threshold, once there is more than one active
administrator, everything that changes who holds an administrator's voice: making another
administrator, setting another administrator's password (whoever sets it could sign in as that
administrator and approve their own requests), deactivating an administrator (one could silence
the others and be alone, then make administrators at once) and reactivating one. These name the
administrator they are about, who may not approve them either. With a single active
administrator they are done at once: nobody else could approve, and that one holds every power
already.

Each money action is first tried in full inside a savepoint, under every rule and lock it would
be done under, and rolled back: so a request that could never be done is refused at once with
its area's own error, and the size that decides is what the action really moves. Approving runs
the same command again (the state may have changed since; it is judged again), does it, and
marks the request approved, all in one database transaction under the request's row lock, so it
is done once. A password (a new administrator's, another administrator's new one) is kept in the
request only as its argon2 hash and never shown. Every step is in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from torekes.approvals import operations, queries
from torekes.approvals.operations import Done
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.approvals import (
    ApprovalKind,
    ApprovalStatus,
    check_not_subject,
    check_pending,
    check_second_admin,
    needs_second_admin,
    needs_second_admin_to_appoint,
    shown_payload,
)
from torekes.domain.redemption import normalise_iban
from torekes.domain.users import check_password, check_username
from torekes.identity import lifecycle, users
from torekes.identity import queries as identity_queries
from torekes.identity.lifecycle import NewPassword, PasswordChanged
from torekes.identity.read_models import UserView
from torekes.identity.users import UserCommand
from torekes.kit import audit_trail, clock, security
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import journal
from torekes.ledger.currencies import get_currency_id
from torekes.ledger.journal import EntryCommand, IssuanceCommand, TransferCommand
from torekes.ledger.queries import currency_by_code
from torekes.ledger.read_models import TransactionView
from torekes.redemption import payouts, rates, settlements
from torekes.redemption import queries as redemption_queries
from torekes.redemption.read_models import PayoutView, RateView, RedemptionView, SettlementView


@dataclass(frozen=True, slots=True)
class ApprovalView:
    id: int
    kind: str
    currency: str | None  # None, as the amount, for making an administrator
    amount: int | None
    payload: dict[str, Any]
    status: str
    requested_by_id: int
    requested_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    note: str
    transaction_id: int | None
    subject_user_id: int | None  # the administrator the request is about, who may not approve it


Outcome = TransactionView | ApprovalView
T = TypeVar("T", TransactionView, RedemptionView, SettlementView)


def issue(ctx: WriteContext, command: IssuanceCommand, above: Decimal | None) -> Outcome:
    payload = {
        "to_account_id": command.to_account_id,
        "amount": command.amount,
        "memo": command.memo,
        "metadata": dict(command.metadata),
    }
    return _do_or_file(ctx, ApprovalKind.ISSUANCE, payload, above, TransactionView)


def post_entry(ctx: WriteContext, command: EntryCommand, above: Decimal | None) -> Outcome:
    payload = {
        "currency": command.currency,
        "kind": command.kind.value,
        "postings": [[p.account_id, p.amount] for p in command.postings],
        "memo": command.memo,
        "metadata": dict(command.metadata),
    }
    return _do_or_file(ctx, ApprovalKind.ENTRY, payload, above, TransactionView)


def reverse(ctx: WriteContext, transaction_id: int, reason: str, above: Decimal | None) -> Outcome:
    payload = {"transaction_id": transaction_id, "reason": reason}
    return _do_or_file(ctx, ApprovalKind.REVERSAL, payload, above, TransactionView)


def transfer(ctx: WriteContext, command: TransferCommand, above: Decimal | None) -> Outcome:
    """A transfer; an administrator's out of an account they do not own (a budget, a member's
    or a shop's) waits for a second administrator above the threshold. Anyone moving their own
    tokens is never held up."""
    source = ctx.session.get(m.Account, command.from_account_id)
    if source is None or not ctx.actor.is_admin or source.owner_id == ctx.actor.user_id:
        return journal.transfer(ctx, command)
    payload = {
        "from_account_id": command.from_account_id,
        "to_account_id": command.to_account_id,
        "amount": command.amount,
        "memo": command.memo,
        "metadata": dict(command.metadata),
    }
    return _do_or_file(ctx, ApprovalKind.TRANSFER, payload, above, TransactionView)


def approve_redemption(
    ctx: WriteContext, redemption_id: int, above: Decimal | None
) -> RedemptionView | ApprovalView:
    """Approve a redemption, fixing its euros; above the threshold, once a second administrator
    approves the request (the rate is the one in force then)."""
    payload = {"redemption_id": redemption_id}
    return _do_or_file(ctx, ApprovalKind.REDEMPTION_APPROVAL, payload, above, RedemptionView)


def pay_redemption(
    ctx: WriteContext, redemption_id: int, payout_reference: str, above: Decimal | None
) -> RedemptionView | ApprovalView:
    payload = {"redemption_id": redemption_id, "payout_reference": payout_reference}
    return _do_or_file(ctx, ApprovalKind.REDEMPTION_PAYMENT, payload, above, RedemptionView)


def create_settlement(
    ctx: WriteContext, currency: str, above: Decimal | None
) -> SettlementView | ApprovalView:
    """Gather the currency's approved redemptions into a settlement. A filed one names the
    redemptions it would gather now, and its approval gathers no others (those rejected
    meanwhile drop out)."""
    if above is None:
        return settlements.create(ctx, currency)
    waiting = redemption_queries.unsettled_approved_ids(
        ctx.session, get_currency_id(ctx.session, currency)
    )
    payload = {"currency": currency, "redemption_ids": waiting}
    return _do_or_file(ctx, ApprovalKind.SETTLEMENT, payload, above, SettlementView)


def pay_settlement(
    ctx: WriteContext, settlement_id: int, payout_reference: str, above: Decimal | None
) -> SettlementView | ApprovalView:
    payload = {"settlement_id": settlement_id, "payout_reference": payout_reference}
    return _do_or_file(ctx, ApprovalKind.SETTLEMENT_PAYMENT, payload, above, SettlementView)


def create_user(ctx: WriteContext, command: UserCommand) -> UserView | ApprovalView:
    """Create a user; another administrator, while there is more than one active, only once a
    second administrator approves (with one, it is made at once: nobody else could approve).
    The request keeps the password's argon2 hash, never the password."""
    if command.role is not Role.ADMIN:
        return users.create_user(ctx, command)
    access.require_admin(ctx.actor)
    if not needs_second_admin_to_appoint(identity_queries.lock_administrators(ctx.session)):
        return users.create_user(ctx, command)
    check_username(command.username)
    check_password(command.password)
    if identity_queries.username_taken(ctx.session, command.username):
        raise errors.UsernameTaken(f"{command.username} is taken", username=command.username)
    payload = {
        "username": command.username,
        "display_name": command.display_name,
        "role": Role.ADMIN.value,
        "password_hash": security.hash_password(command.password),
    }
    return _file(ctx, ApprovalKind.ADMINISTRATOR, payload, None, None)


def set_password(
    ctx: WriteContext, user_id: int, password: NewPassword, above: Decimal | None
) -> PasswordChanged | ApprovalView:
    """Set a user's password; another administrator's, while there is more than one active
    administrator, only once a second administrator approves (neither the one who asks nor the
    one whose password it is). With the four-eyes threshold set, anyone else's too: whoever
    knows a person's password moves their tokens as their owner, which four eyes would
    otherwise never see. The request keeps the password's argon2 hash only."""
    access.require_admin(ctx.actor)
    payload = {"user_id": user_id, "password_hash": password.password_hash}
    if _about_another_admin(ctx, user_id):
        kind = ApprovalKind.ADMINISTRATOR_PASSWORD
    elif above is not None and _about_another_person(ctx, user_id):
        kind = ApprovalKind.USER_PASSWORD
    else:
        return lifecycle.set_password(ctx, user_id, password)
    return _file(ctx, kind, payload, None, None, subject=user_id)


def set_euro_rate(
    ctx: WriteContext, code: str, rate: Decimal, above: Decimal | None
) -> RateView | ApprovalView:
    """Set a currency's euro rate; with the threshold set and a second administrator to approve,
    only once one does: the rate decides how many euros every redemption approved after it is
    worth, so one administrator could otherwise raise it, approve a small redemption worth a
    fortune below the threshold in tokens, and lower it again."""
    access.require_admin(ctx.actor)
    if above is None or not _second_admin_there(ctx):
        return rates.set_rate(ctx, code, rate)
    _try(ctx, lambda: rates.set_rate(ctx, code, rate))
    return _file(ctx, ApprovalKind.EURO_RATE, {"currency": code, "rate": str(rate)}, None, None)


def set_payout_details(
    ctx: WriteContext, account_id: int, iban: str, payout_name: str, above: Decimal | None
) -> PayoutView | ApprovalView:
    """Set where an account's redeemed tokens are paid in euros. Its keeper does so at once; an
    administrator (who owns no shop) does, with the threshold set and a second administrator to
    approve, only once one does: the euros of the next settlement go to that IBAN."""
    if not ctx.actor.is_admin or above is None or not _second_admin_there(ctx):
        return payouts.set_payout_details(ctx, account_id, iban, payout_name)
    _try(ctx, lambda: payouts.set_payout_details(ctx, account_id, iban, payout_name))
    payload = {"account_id": account_id, "iban": normalise_iban(iban), "payout_name": payout_name}
    return _file(ctx, ApprovalKind.PAYOUT_DETAILS, payload, None, None)


def deactivate_user(ctx: WriteContext, user_id: int) -> UserView | ApprovalView:
    """Deactivate a user; an administrator, while there is more than one active (always, since
    the last is never deactivated), only once a second administrator approves who is not the
    one deactivated. What could never be done (oneself, an inactive user, the last active
    administrator) is refused at once."""
    access.require_admin(ctx.actor)
    if not _about_another_admin(ctx, user_id):
        return lifecycle.deactivate_user(ctx, user_id)
    _try(ctx, lambda: lifecycle.deactivate_user(ctx, user_id))
    payload = {"user_id": user_id}
    return _file(ctx, ApprovalKind.ADMINISTRATOR_DEACTIVATION, payload, None, None, subject=user_id)


def reactivate_user(ctx: WriteContext, user_id: int) -> UserView | ApprovalView:
    """Reactivate a user; an administrator, while another administrator than the one asking is
    active, only once a second administrator approves. An active user is refused at once."""
    access.require_admin(ctx.actor)
    if not _about_another_admin(ctx, user_id):
        return lifecycle.reactivate_user(ctx, user_id)
    _try(ctx, lambda: lifecycle.reactivate_user(ctx, user_id))
    payload = {"user_id": user_id}
    return _file(ctx, ApprovalKind.ADMINISTRATOR_REACTIVATION, payload, None, None, subject=user_id)


def approve(ctx: WriteContext, request_id: int, note: str) -> Done:
    """Do what the request asks: an administrator other than the one who asked. Answers what
    the action answers when done at once (the transaction, redemption, settlement or user)."""
    access.require_admin(ctx.actor)
    row = _locked(ctx, request_id)
    check_pending(ApprovalStatus(row.status))
    check_second_admin(row.requested_by_id, ctx.actor.user_id)
    check_not_subject(row.subject_user_id, ctx.actor.user_id)
    kind = ApprovalKind(row.kind)
    done = operations.operation(kind, row.payload)(ctx)
    _decide(ctx, row, ApprovalStatus.APPROVED, note, operations.posted_transaction(kind, done))
    return done


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


def _do_or_file(
    ctx: WriteContext,
    kind: ApprovalKind,
    payload: dict[str, Any],
    above: Decimal | None,
    result: type[T],
) -> T | ApprovalView:
    operation = operations.operation(kind, payload)
    if above is None:
        return _as(result, operation(ctx))
    savepoint = ctx.session.begin_nested()
    try:
        trial = _as(result, operation(ctx))
    except BaseException:
        savepoint.rollback()
        raise
    code, moved = operations.moved(trial)
    currency = currency_by_code(ctx.session, code)
    assert currency is not None
    if not needs_second_admin(moved, currency.decimals, above):
        savepoint.commit()
        return trial
    savepoint.rollback()
    return _file(ctx, kind, payload, currency.id, moved)


def _about_another_admin(ctx: WriteContext, user_id: int) -> bool:
    """Whether acting on this user needs a second administrator: they are an administrator
    other than the actor, and more than one administrator is active (counted under the lock
    every such count takes, so two at once cannot both count one)."""
    user = ctx.session.get(m.User, user_id)
    if user is None or user.role != Role.ADMIN or user.id == ctx.actor.user_id:
        return False
    return needs_second_admin_to_appoint(identity_queries.lock_administrators(ctx.session))


def _about_another_person(ctx: WriteContext, user_id: int) -> bool:
    """Whether this user is someone but the actor, while a second administrator is there to
    approve."""
    user = ctx.session.get(m.User, user_id)
    if user is None or user.id == ctx.actor.user_id:
        return False
    return _second_admin_there(ctx)


def _second_admin_there(ctx: WriteContext) -> bool:
    """Whether another administrator is active to approve (with one, nobody could)."""
    return needs_second_admin_to_appoint(identity_queries.lock_administrators(ctx.session))


def _try(ctx: WriteContext, action: Callable[[], object]) -> None:
    """Run the action inside a savepoint and roll it back: refused at once with its own error
    if it could never be done."""
    savepoint = ctx.session.begin_nested()
    try:
        action()
    finally:
        savepoint.rollback()


def _file(
    ctx: WriteContext,
    kind: ApprovalKind,
    payload: dict[str, Any],
    currency_id: int | None,
    moved: int | None,
    *,
    subject: int | None = None,
) -> ApprovalView:
    row = m.ApprovalRequest(
        kind=kind.value,
        currency_id=currency_id,
        amount=moved,
        payload=payload,
        status=ApprovalStatus.PENDING.value,
        requested_by_id=ctx.actor.user_id,
        requested_at=clock.now(),
        note="",
        subject_user_id=subject,
    )
    ctx.session.add(row)
    ctx.session.flush()
    after = {"kind": kind.value, "amount": moved, "payload": shown_payload(payload)}
    audit_trail.record(ctx, "approval.requested", "approval_request", row.id, None, after)
    return _view(ctx.session, row)


def _as(result: type[T], done: Done) -> T:
    assert isinstance(done, result)
    return done


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
    currency = None if row.currency_id is None else referenced(session, m.Currency, row.currency_id)
    return ApprovalView(
        id=row.id,
        kind=row.kind,
        currency=None if currency is None else currency.code,
        amount=row.amount,
        payload=shown_payload(row.payload),
        status=row.status,
        requested_by_id=row.requested_by_id,
        requested_at=row.requested_at,
        decided_by_id=row.decided_by_id,
        decided_at=row.decided_at,
        note=row.note,
        transaction_id=row.transaction_id,
        subject_user_id=row.subject_user_id,
    )
