"""The journal: issuances, transfers, general entries, reversals, refunds of payments, receipts,
and reading transactions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.routes.common import (
    DEFAULT_LIMIT,
    DEFERRED,
    FOUR_EYES,
    READ,
    WRITE,
    Limit,
    TransactionId,
)
from torekes.api.schemas import (
    MAX_SEQ,
    CurrencyCode,
    EntryIn,
    IssuanceIn,
    Page,
    ReceiptOut,
    RefundIn,
    ReverseIn,
    TransactionOut,
    TransferIn,
)
from torekes.approvals import four_eyes
from torekes.domain.entries import Posting
from torekes.ledger import history
from torekes.ledger.journal import EntryCommand, IssuanceCommand, TransferCommand
from torekes.ledger.read_models import TransactionView
from torekes.spending import payments
from torekes.spending.read_models import ReceiptView

router = APIRouter(tags=["ledger"])


@router.post("/issuances", status_code=201, response_model=TransactionOut, responses=FOUR_EYES)
def issue(body: IssuanceIn, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """Issue new tokens from the currency's issuance account into a budget account (admin)."""
    command = IssuanceCommand(**body.model_dump())
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.issue(ctx, command, above), TransactionOut, 201, DEFERRED
    )


@router.post("/transfers", status_code=201, response_model=TransactionOut, responses=FOUR_EYES)
def transfer(body: TransferIn, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """Move tokens out of an account you own (any account, for an administrator). An
    administrator's transfer out of an account they do not own that moves more than
    TOREKES_FOUR_EYES_ABOVE is filed for a second administrator (202)."""
    command = TransferCommand(**body.model_dump())
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.transfer(ctx, command, above), TransactionOut, 201, DEFERRED
    )


@router.post("/transactions", status_code=201, response_model=TransactionOut, responses=FOUR_EYES)
def post_entry(body: EntryIn, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """A general balanced entry of two or more postings (admin)."""
    command = EntryCommand(
        currency=body.currency,
        kind=body.kind,
        postings=[Posting(p.account_id, p.amount) for p in body.postings],
        memo=body.memo,
        metadata=body.metadata,
    )
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.post_entry(ctx, command, above), TransactionOut, 201, DEFERRED
    )


@router.get("/transactions", response_model=Page[TransactionOut], responses=READ)
def feed(
    actor: CurrentPrincipal,
    db: DbDep,
    currency: Annotated[CurrencyCode, Query()],
    after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[TransactionOut]:
    """The currency's transactions in sequence order after `after_seq` (admin, auditor).

    `next_cursor` is the last sequence number of the page: pass it as `after_seq`.
    """
    return Page[TransactionOut].model_validate(history.feed(db, actor, currency, after_seq, limit))


@router.get("/transactions/{transaction_id}", response_model=TransactionOut, responses=READ)
def get_transaction(
    transaction_id: TransactionId, actor: CurrentPrincipal, db: DbDep
) -> TransactionView:
    return history.get_transaction(db, actor, transaction_id)


@router.post(
    "/transactions/{transaction_id}/reverse",
    status_code=201,
    response_model=TransactionOut,
    responses=FOUR_EYES,
)
def reverse(
    transaction_id: TransactionId, body: ReverseIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Post the exact opposite of a transaction, once, with a reason (admin)."""
    above = settings.four_eyes_above
    return writer.run(
        lambda ctx: four_eyes.reverse(ctx, transaction_id, body.reason, above),
        TransactionOut,
        201,
        DEFERRED,
    )


@router.post(
    "/transactions/{transaction_id}/refund",
    status_code=201,
    response_model=ReceiptOut,
    responses=WRITE,
)
def refund(
    transaction_id: TransactionId, writer: WriterDep, body: RefundIn | None = None
) -> JSONResponse:
    """Give back all that is left of a payment, or `amount` of it, to the payer (the shop's
    keeper or an admin). Refunds of one payment never add up to more than it."""
    amount = None if body is None else body.amount
    reason = "" if body is None else body.reason
    return writer.run(
        lambda ctx: payments.refund(ctx, transaction_id, amount, reason), ReceiptOut, 201
    )


@router.get("/transactions/{transaction_id}/receipt", response_model=ReceiptOut, responses=READ)
def receipt(transaction_id: TransactionId, actor: CurrentPrincipal, db: DbDep) -> ReceiptView:
    """The receipt of a payment or a refund, for the payer, the shop and auditors. Each side's
    balance after it is shown only to whoever may read that account."""
    return payments.receipt(db, actor, transaction_id)
