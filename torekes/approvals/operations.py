"""What each kind of approval request does once approved, made again from the payload it was filed
with, and how much money its outcome moves.

A request keeps the command, not its outcome: approving runs the area's own use case (the
journal's, spending's reversal, redemption's, settlement's, identity's and the user life
cycle's), so the action is judged
again against the state of that moment under every rule and lock it has.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from torekes.domain.access import Role
from torekes.domain.approvals import POSTING_KINDS, ApprovalKind, moved_amount
from torekes.domain.entries import Posting, TransactionKind
from torekes.identity import lifecycle, users
from torekes.identity.lifecycle import NewPassword, PasswordChanged
from torekes.identity.read_models import UserView
from torekes.identity.users import UserCommand
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import journal
from torekes.ledger.journal import EntryCommand, IssuanceCommand, TransferCommand
from torekes.ledger.read_models import TransactionView
from torekes.redemption import payouts, rates, redemptions, settlements
from torekes.redemption.read_models import PayoutView, RateView, RedemptionView, SettlementView
from torekes.spending import reversals

# What approving a request answers: what the action itself answers when done at once.
Done = (
    TransactionView
    | RedemptionView
    | SettlementView
    | UserView
    | PasswordChanged
    | RateView
    | PayoutView
)

Operation = Callable[[WriteContext], Done]


def operation(kind: ApprovalKind, payload: dict[str, Any]) -> Operation:
    """The action the request was filed for, ready to run in a write."""
    if kind is ApprovalKind.ISSUANCE:
        issuance = IssuanceCommand(
            payload["to_account_id"], payload["amount"], payload["memo"], payload["metadata"]
        )
        return lambda ctx: journal.issue(ctx, issuance)
    if kind is ApprovalKind.ENTRY:
        entry = EntryCommand(
            currency=payload["currency"],
            kind=TransactionKind(payload["kind"]),
            postings=[Posting(account_id, amount) for account_id, amount in payload["postings"]],
            memo=payload["memo"],
            metadata=payload["metadata"],
        )
        return lambda ctx: journal.post_general_entry(ctx, entry)
    if kind is ApprovalKind.REVERSAL:
        return lambda ctx: reversals.reverse(ctx, payload["transaction_id"], payload["reason"])
    if kind is ApprovalKind.TRANSFER:
        transfer = TransferCommand(
            payload["from_account_id"],
            payload["to_account_id"],
            payload["amount"],
            payload["memo"],
            payload["metadata"],
        )
        return lambda ctx: journal.transfer(ctx, transfer)
    if kind is ApprovalKind.REDEMPTION_APPROVAL:
        return lambda ctx: redemptions.approve(ctx, payload["redemption_id"])
    if kind is ApprovalKind.REDEMPTION_PAYMENT:
        return lambda ctx: redemptions.pay(
            ctx, payload["redemption_id"], payload["payout_reference"]
        )
    if kind is ApprovalKind.SETTLEMENT:
        return lambda ctx: settlements.create(
            ctx, payload["currency"], only=payload["redemption_ids"]
        )
    if kind is ApprovalKind.SETTLEMENT_PAYMENT:
        return lambda ctx: settlements.pay(
            ctx, payload["settlement_id"], payload["payout_reference"]
        )
    if kind is ApprovalKind.EURO_RATE:
        rate = Decimal(payload["rate"])
        return lambda ctx: rates.set_rate(ctx, payload["currency"], rate)
    if kind is ApprovalKind.PAYOUT_DETAILS:
        return lambda ctx: payouts.set_payout_details(
            ctx, payload["account_id"], payload["iban"], payload["payout_name"]
        )
    if kind in (ApprovalKind.ADMINISTRATOR_PASSWORD, ApprovalKind.USER_PASSWORD):
        password = NewPassword(payload["password_hash"])
        return lambda ctx: lifecycle.set_password(ctx, payload["user_id"], password)
    if kind is ApprovalKind.ADMINISTRATOR_DEACTIVATION:
        return lambda ctx: lifecycle.deactivate_user(ctx, payload["user_id"])
    if kind is ApprovalKind.ADMINISTRATOR_REACTIVATION:
        return lambda ctx: lifecycle.reactivate_user(ctx, payload["user_id"])
    appointed = UserCommand(payload["username"], payload["display_name"], Role.ADMIN, "")
    return lambda ctx: users.add_user(ctx, appointed, password_hash=payload["password_hash"])


def moved(done: Done) -> tuple[str, int]:
    """The currency and the minor units an outcome moves: an entry's positive postings, a
    redemption's or a settlement's tokens."""
    if isinstance(done, TransactionView):
        return done.currency, moved_amount(posting.amount for posting in done.postings)
    if isinstance(done, RedemptionView | SettlementView):
        return done.currency, done.amount
    raise TypeError(f"{type(done).__name__} moves no money")


def posted_transaction(kind: ApprovalKind, done: Done) -> int | None:
    """The one transaction an approval posted, for the kinds that post one."""
    if kind not in POSTING_KINDS:
        return None
    if isinstance(done, TransactionView):
        return done.id
    assert isinstance(done, RedemptionView)
    assert done.transaction_id is not None
    return done.transaction_id
