"""Payments to shops, their refunds and their receipts.

``record_payment`` is the one path by which a member (or another shop) pays a shop, whether they
scanned a payment request, the shop's standing QR, or handed over a card: it checks who pays whom,
the currency's spending limits under the chain head lock (so racing payments cannot overshoot a
daily limit), posts the ``payment`` transaction and records it. A refund locks its payment row
first, so refunds of one payment, and a reversal racing them, queue and never return more than was
paid. Lock order: payment request, card, payment, the currency's chain head, accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import PAYEE_KINDS, AccountKind, AccountStatus
from torekes.domain.cards import masked_card_number
from torekes.domain.entries import TransactionKind, transfer_postings
from torekes.domain.periods import LimitPeriod, period_start
from torekes.domain.spending import PaymentChannel, SpendingLimits, check_limits, check_refund
from torekes.identity.queries import users_by_ids
from torekes.kit import clock, pagination
from torekes.kit.pagination import Listing
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger.journal import post_entry
from torekes.ledger.queries import (
    account_ids_owned_by,
    currencies_by_id,
    get_transaction,
    lock_currency,
    member_accounts,
    postings_of,
    reversal_ids_of,
)
from torekes.settings import Settings
from torekes.spending import queries
from torekes.spending.read_models import PartyView, PaymentView, ReceiptView, RefundLine
from torekes.spending.shops import check_takes_payments, shop_for_reading, shop_for_writing

PAYER_KINDS = frozenset({AccountKind.MEMBER, AccountKind.SHOP})


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    shop_account_id: int
    payer_account_id: int
    amount: int
    channel: PaymentChannel
    memo: str = ""
    payment_request_id: int | None = None
    card_id: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentQuery:
    shop_account_id: int | None = None
    payer_account_id: int | None = None
    channel: PaymentChannel | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = pagination.DEFAULT_PAGE_SIZE


def record_payment(ctx: WriteContext, settings: Settings, order: PaymentOrder) -> ReceiptView:
    """Post and record the payment; returns the receipt the actor sees."""
    session = ctx.session
    shop = _account(session, order.shop_account_id)
    payer = _account(session, order.payer_account_id)
    if shop.kind not in PAYEE_KINDS:
        raise errors.AccountKindNotAllowed(
            "Payments go to shop and partner accounts", account_id=shop.id
        )
    check_takes_payments(session, shop)
    if payer.kind not in PAYER_KINDS:
        raise errors.AccountKindNotAllowed(
            "Payments come from member or shop accounts", account_id=payer.id
        )
    if payer.id == shop.id or (payer.owner_id is not None and payer.owner_id == shop.owner_id):
        raise errors.SelfPayment(account_id=shop.id)
    if payer.currency_id != shop.currency_id:
        raise errors.CurrencyMismatch(
            "The paying account is in another currency than the shop", account_id=payer.id
        )
    # The chain head lock serialises every write in the currency, so the day's spending read
    # below cannot change before this payment commits.
    currency = lock_currency(session, shop.currency_id)
    assert currency is not None
    now = clock.now()
    if payer.kind == AccountKind.MEMBER and payer.owner_id is not None:
        day_start = period_start(now, LimitPeriod.DAY, ZoneInfo(settings.timezone))
        limits = SpendingLimits(currency.max_payment, currency.daily_spend_limit)
        # The day's spending is only read where a daily limit asks for it: the query grows with
        # the member's payments of the day.
        spent = (
            0
            if limits.daily_limit is None
            else queries.net_spent_since(session, payer.owner_id, currency.id, day_start)
        )
        check_limits(limits, order.amount, spent)
    # The memo keeps only what a person typed (the request's text); the shop is in the payment
    # row, and the pages say "Payment to <shop>" in the reader's language.
    memo = order.memo
    metadata: dict[str, object] = {"channel": order.channel.value}
    if order.payment_request_id is not None:
        metadata["payment_request_id"] = order.payment_request_id
    if order.card_id is not None:
        metadata["card_id"] = order.card_id
    postings = transfer_postings(payer.id, shop.id, order.amount)
    transaction = post_entry(
        ctx, postings, TransactionKind.PAYMENT, memo, metadata, locked_currency=currency
    )
    payment = m.Payment(
        transaction_id=transaction.id,
        channel=order.channel.value,
        shop_account_id=shop.id,
        payer_account_id=payer.id,
        amount=order.amount,
        refunded_amount=0,
        payment_request_id=order.payment_request_id,
        card_id=order.card_id,
        created_at=now,
    )
    session.add(payment)
    session.flush()
    # ``post_entry`` locked and moved these very account objects (the session's identity map),
    # so their balances are the balances after this payment; nothing needs reading back.
    header = ReceiptHeader(
        transaction.id,
        transaction.kind,
        transaction.currency,
        transaction.seq,
        transaction.memo,
        transaction.created_at,
    )
    return _receipt(
        session,
        ctx.actor,
        header,
        payment,
        shop,
        payer,
        balances={shop.id: shop.balance, payer.id: payer.balance},
        payment_reversed=False,
        refunds=[],
    )


def refund(ctx: WriteContext, transaction_id: int, amount: int | None, reason: str) -> ReceiptView:
    """Return all that is left of a payment (``amount`` omitted) or part of it to the payer."""
    session = ctx.session
    found = queries.payment_by_transaction(session, transaction_id)
    if found is None:
        if get_transaction(session, transaction_id) is None:
            raise errors.TransactionNotFound(transaction_id=transaction_id)
        raise errors.NotAPayment(transaction_id=transaction_id)
    payment = lock(session, m.Payment, found.id)
    assert payment is not None
    shop = shop_for_writing(session, ctx.actor, payment.shop_account_id)
    if reversal_ids_of(session, [payment.transaction_id]):
        raise errors.AlreadyReversed(
            "A reversed payment cannot be refunded", transaction_id=transaction_id
        )
    remaining = payment.amount - payment.refunded_amount
    if amount is None:
        if remaining == 0:
            raise errors.RefundExceedsPayment("The payment is already fully refunded", refundable=0)
        amount = remaining
    check_refund(payment.amount, payment.refunded_amount, amount)
    original = get_transaction(session, payment.transaction_id)
    assert original is not None
    # Only the shopkeeper's reason is stored as the memo; the payment is in the metadata.
    memo = reason
    metadata = {"refund_of": original.id, "refund_of_seq": original.seq}
    postings = transfer_postings(shop.id, payment.payer_account_id, amount)
    transaction = post_entry(ctx, postings, TransactionKind.REFUND, memo, metadata)
    payment.refunded_amount += amount
    session.add(
        m.Refund(
            payment_id=payment.id,
            transaction_id=transaction.id,
            amount=amount,
            reason=reason,
            created_at=clock.now(),
        )
    )
    session.flush()
    return receipt_in(session, ctx.actor, transaction.id)


def receipt(db: Database, actor: Principal, transaction_id: int) -> ReceiptView:
    with db.read_session() as session:
        return receipt_in(session, actor, transaction_id)


def receipts(db: Database, actor: Principal, transaction_ids: list[int]) -> list[ReceiptView]:
    """Several receipts read at once (a shop's payments of a day), each as ``receipt`` gives it."""
    with db.read_session() as session:
        return [receipt_in(session, actor, transaction_id) for transaction_id in transaction_ids]


def receipt_in(session: Session, actor: Principal, transaction_id: int) -> ReceiptView:
    """The receipt of a payment or a refund, for the payer's owner, the shop's owner, and those
    who read everything; each side's balance after it is shown only to who may read that side."""
    transaction = get_transaction(session, transaction_id)
    if transaction is None:
        raise errors.TransactionNotFound(transaction_id=transaction_id)
    payment = queries.payment_by_transaction(session, transaction_id)
    refund_row = None
    if payment is None:
        refund_row = queries.refund_by_transaction(session, transaction_id)
        if refund_row is not None:
            payment = session.get(m.Payment, refund_row.payment_id)
    if payment is None:
        raise errors.NotAPayment(
            "Only payments and refunds have receipts", transaction_id=transaction_id
        )
    shop = _account(session, payment.shop_account_id)
    payer = _account(session, payment.payer_account_id)
    if not (actor.reads_everything or actor.user_id in (shop.owner_id, payer.owner_id)):
        raise errors.NotAccountOwner(
            "You may see only the receipts of your own payments", transaction_id=transaction_id
        )
    balances = {
        posting.account_id: posting.balance_after
        for posting in postings_of(session, [transaction_id])[transaction_id]
    }
    currency = referenced(session, m.Currency, transaction.currency_id)
    header = ReceiptHeader(
        transaction.id,
        transaction.kind,
        currency.code,
        transaction.seq,
        transaction.memo,
        transaction.created_at,
        None if refund_row is None else refund_row.amount,
    )
    return _receipt(
        session,
        actor,
        header,
        payment,
        shop,
        payer,
        balances,
        payment_reversed=bool(reversal_ids_of(session, [payment.transaction_id])),
        refunds=_refund_lines(session, payment.id),
    )


@dataclass(frozen=True, slots=True)
class ReceiptHeader:
    """A receipt's header: what it shows of its own transaction, a payment or a refund of
    ``refund_amount``."""

    id: int
    kind: str
    currency: str
    seq: int
    memo: str
    created_at: datetime
    refund_amount: int | None = None


def _receipt(
    session: Session,
    actor: Principal,
    header: ReceiptHeader,
    payment: m.Payment,
    shop: m.Account,
    payer: m.Account,
    balances: dict[int, int],
    payment_reversed: bool,
    refunds: list[RefundLine],
) -> ReceiptView:
    card = None if payment.card_id is None else session.get(m.MemberCard, payment.card_id)
    owned = {account.owner_id for account in (shop, payer) if account.owner_id is not None}
    owners = {user.id: user for user in users_by_ids(session, owned)}
    return ReceiptView(
        transaction_id=header.id,
        kind=header.kind,
        currency=header.currency,
        seq=header.seq,
        amount=payment.amount if header.refund_amount is None else header.refund_amount,
        memo=header.memo,
        created_at=header.created_at,
        channel=payment.channel,
        payment_transaction_id=payment.transaction_id,
        payment_amount=payment.amount,
        refunded_amount=payment.refunded_amount,
        refundable=0 if payment_reversed else payment.amount - payment.refunded_amount,
        payment_reversed=payment_reversed,
        shop=_party(actor, shop, owners, balances),
        payer=_party(actor, payer, owners, balances),
        card_number=None if card is None else masked_card_number(card.number_ending),
        payment_request_id=payment.payment_request_id,
        refunds=refunds,
    )


def _refund_lines(session: Session, payment_id: int) -> list[RefundLine]:
    rows = queries.refunds_of(session, payment_id)
    reversed_ids = reversal_ids_of(session, [row.transaction_id for row in rows])
    return [
        RefundLine(
            row.transaction_id,
            row.amount,
            row.reason,
            row.created_at,
            reversed=row.transaction_id in reversed_ids,
        )
        for row in rows
    ]


def list_payments(db: Database, actor: Principal, query: PaymentQuery) -> Listing[PaymentView]:
    """Payments, newest first: those into a shop for its keeper, those out of their own accounts
    for members, all for administrators and auditors."""
    with db.read_session() as session:
        shops: list[int] | None = None
        payers: list[int] | None = None
        if query.shop_account_id is not None:
            shops = [shop_for_reading(session, actor, query.shop_account_id).id]
        if query.payer_account_id is not None:
            payer = _account(session, query.payer_account_id)
            access.check_can_read_account(actor, payer.id, payer.owner_id)
            payers = [payer.id]
        if not actor.reads_everything and shops is None and payers is None:
            owned = account_ids_owned_by(session, actor.user_id)
            if actor.role is Role.SHOPKEEPER:
                shops = owned
            else:
                payers = owned
        where = queries.PaymentFilter(
            shop_account_ids=shops,
            payer_account_ids=payers,
            channel=None if query.channel is None else query.channel.value,
            since=query.since,
            until=query.until,
        )
        found = queries.list_payments(
            session, where, pagination.parse_cursor(query.cursor), query.limit
        )
        codes = {currency.id: currency.code for currency in currencies_by_id(session).values()}
        views = [payment_view(session, codes, row) for row in found]
        return Listing(views, pagination.next_cursor([row.id for row in found], query.limit))


def payment_view(session: Session, codes: dict[int, str], row: m.Payment) -> PaymentView:
    shop = _account(session, row.shop_account_id)
    return PaymentView(
        id=row.id,
        transaction_id=row.transaction_id,
        channel=row.channel,
        currency=codes[shop.currency_id],
        shop_account_id=shop.id,
        shop_name=shop.name,
        payer_account_id=row.payer_account_id,
        amount=row.amount,
        refunded_amount=row.refunded_amount,
        payment_request_id=row.payment_request_id,
        card_id=row.card_id,
        created_at=row.created_at,
    )


def payer_account(
    session: Session, actor: Principal, currency_id: int, requested: int | None
) -> m.Account:
    """The account the actor pays from: the one they name, or their first open member account in
    the currency."""
    access.require_role(actor, Role.MEMBER, Role.SHOPKEEPER)
    if requested is None:
        return default_member_account(session, actor.user_id, currency_id)
    account = _account(session, requested)
    if account.owner_id != actor.user_id:
        raise errors.NotAccountOwner(
            f"You may pay only from your own accounts, not {requested}", account_id=requested
        )
    return account


def default_member_account(session: Session, member_id: int, currency_id: int) -> m.Account:
    """The member's first active member account in the currency (a frozen one only when all are
    frozen, so the refusal says why)."""
    accounts = member_accounts(session, member_id, currency_id)
    if not accounts:
        raise errors.NoMemberAccount()
    active = [account for account in accounts if account.status == AccountStatus.ACTIVE]
    return (active or accounts)[0]


def _party(
    actor: Principal, account: m.Account, owners: dict[int, m.User], balances: dict[int, int]
) -> PartyView:
    owner = None if account.owner_id is None else owners.get(account.owner_id)
    name = account.name
    if account.kind == AccountKind.MEMBER and owner is not None:
        name = owner.display_name
    visible = actor.reads_everything or account.owner_id == actor.user_id
    return PartyView(account.id, name, balances.get(account.id) if visible else None)


def _account(session: Session, account_id: int) -> m.Account:
    account = session.get(m.Account, account_id)
    if account is None:
        raise errors.AccountNotFound(account_id=account_id)
    return account
