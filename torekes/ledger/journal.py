"""Posting to the journal: issuances, transfers, general entries and reversals.

``post_entry`` is the one path by which anything enters the journal. Under the currency's chain
head lock and the locks of the accounts involved (taken in that fixed order), it checks every
account's rules, appends the transaction and its postings with the next sequence number and hash,
and moves the materialised balances, all inside the caller's database transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.domain import access, errors
from torekes.domain.accounts import (
    TRANSFERABLE_KINDS,
    AccountKind,
    AccountState,
    AccountStatus,
    check_can_post,
)
from torekes.domain.entries import (
    Posting,
    TransactionKind,
    check_metadata,
    reversal_postings,
    transfer_postings,
    validate_postings,
)
from torekes.domain.hashing import ChainedContent, transaction_hash
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import queries
from torekes.ledger.queries import system_account
from torekes.ledger.read_models import PostingView, TransactionView

# Kinds whose reversal must also keep spending's records (a payment's refunded amount) true.
KEPT_BY_SPENDING = frozenset({TransactionKind.PAYMENT, TransactionKind.REFUND})


@dataclass(frozen=True, slots=True)
class IssuanceCommand:
    to_account_id: int
    amount: int
    memo: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TransferCommand:
    from_account_id: int
    to_account_id: int
    amount: int
    memo: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntryCommand:
    currency: str
    kind: TransactionKind
    postings: Sequence[Posting]
    memo: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


def account_state(account: m.Account) -> AccountState:
    return AccountState(
        id=account.id,
        currency_id=account.currency_id,
        kind=AccountKind(account.kind),
        status=AccountStatus(account.status),
        balance=account.balance,
        held=account.held,
    )


def post_entry(
    ctx: WriteContext,
    postings: Sequence[Posting],
    kind: TransactionKind,
    memo: str,
    metadata: Mapping[str, Any],
    reverses_id: int | None = None,
    locked_currency: m.Currency | None = None,
) -> TransactionView:
    """Post the entry at the head of its currency's chain. ``locked_currency`` is the chain
    head when the caller has already locked it in this transaction, to check something the
    head's lock keeps still (a day's spending); it saves reading the head twice."""
    validate_postings(postings)
    check_metadata(metadata)
    session = ctx.session
    currency_id = _currency_of(session, [posting.account_id for posting in postings])
    currency = (
        locked_currency
        if locked_currency is not None and locked_currency.id == currency_id
        else queries.lock_currency(session, currency_id)
    )
    if currency is None:  # pragma: no cover - accounts reference an existing currency
        raise errors.CurrencyNotFound()
    accounts = queries.lock_accounts(session, [posting.account_id for posting in postings])

    balances_after: dict[int, int] = {}
    for posting in postings:
        account = accounts[posting.account_id]
        if account.currency_id != currency.id:
            raise errors.CurrencyMismatch(account_id=account.id)
        balances_after[account.id] = check_can_post(account_state(account), posting.amount)

    transaction = m.Transaction(
        currency_id=currency.id,
        seq=currency.last_seq + 1,
        kind=kind.value,
        memo=memo,
        meta=dict(metadata),
        actor_id=ctx.actor.user_id,
        created_at=m.utcnow(),
        idempotency_key=_key_for_this_entry(ctx),
        reverses_id=reverses_id,
        prev_hash=currency.last_hash,
        hash="",
    )
    transaction.hash = transaction_hash(
        chained_content(currency.code, transaction, postings), currency.last_hash
    )
    rows = [
        m.Posting(
            account_id=posting.account_id,
            seq=transaction.seq,
            amount=posting.amount,
            balance_after=balances_after[posting.account_id],
        )
        for posting in postings
    ]
    queries.insert_entry(session, transaction, rows)
    for account_id, balance in balances_after.items():
        accounts[account_id].balance = balance
    currency.last_seq = transaction.seq
    currency.last_hash = transaction.hash
    session.flush()
    return _view(transaction, currency.code, rows, reversed_by_id=None)


def issue(ctx: WriteContext, command: IssuanceCommand) -> TransactionView:
    """Create tokens: from the currency's issuance account into a budget account."""
    access.require_admin(ctx.actor)
    target = _get_account(ctx.session, command.to_account_id)
    if target.kind != AccountKind.BUDGET:
        raise errors.AccountKindNotAllowed("Issuances go into budget accounts only")
    source = system_account(ctx.session, target.currency_id, AccountKind.ISSUANCE)
    if source is None:  # pragma: no cover - created with the currency
        raise errors.AccountNotFound("The currency has no issuance account")
    postings = transfer_postings(source.id, target.id, command.amount)
    return post_entry(ctx, postings, TransactionKind.ISSUANCE, command.memo, command.metadata)


def transfer(ctx: WriteContext, command: TransferCommand) -> TransactionView:
    """Move tokens between budget, member and shop accounts, out of one the actor may debit."""
    source = _get_account(ctx.session, command.from_account_id)
    access.check_can_debit_account(ctx.actor, source.id, source.owner_id)
    target = _get_account(ctx.session, command.to_account_id)
    for account in (source, target):
        if account.kind not in TRANSFERABLE_KINDS:
            raise errors.AccountKindNotAllowed(
                f"Transfers cannot touch {account.kind} accounts", account_id=account.id
            )
    postings = transfer_postings(source.id, target.id, command.amount)
    return post_entry(ctx, postings, TransactionKind.TRANSFER, command.memo, command.metadata)


def post_general_entry(ctx: WriteContext, command: EntryCommand) -> TransactionView:
    """An administrator's balanced entry of any number of postings, in one named currency."""
    access.require_admin(ctx.actor)
    if command.kind is TransactionKind.REVERSAL:
        raise errors.InvalidInput("Reversals are made through the reverse endpoint")
    validate_postings(command.postings)
    currency_id = _currency_of(ctx.session, [posting.account_id for posting in command.postings])
    currency = ctx.session.get(m.Currency, currency_id)
    if currency is None or currency.code != command.currency:
        raise errors.CurrencyMismatch(f"The accounts are not all in {command.currency}")
    for posting in command.postings:
        # Tokens reach the redemption account only by paying a redemption, so that what it holds
        # is always what the paid redemptions add up to.
        if _get_account(ctx.session, posting.account_id).kind == AccountKind.REDEMPTION:
            raise errors.AccountKindNotAllowed(
                "Only a paid redemption moves tokens into the redemption account",
                account_id=posting.account_id,
            )
    return post_entry(ctx, command.postings, command.kind, command.memo, command.metadata)


ReversalCheck = Callable[[Session, m.Transaction], None]


def reverse(
    ctx: WriteContext, transaction_id: int, reason: str, check: ReversalCheck | None = None
) -> TransactionView:
    """Post the exact opposite of a transaction, at most once, and never of a reversal.

    A transaction that another area keeps records of (a payment and its refunds) is reversed
    through that area, which passes ``check``: it runs before the chain head is locked, so the
    area's rows are locked first, in the documented order. Without one such a transaction is
    refused, so no caller can forget what spending keeps about it."""
    access.require_admin(ctx.actor)
    original = queries.get_transaction(ctx.session, transaction_id)
    if original is None:
        raise errors.TransactionNotFound(transaction_id=transaction_id)
    if original.kind == TransactionKind.REVERSAL:
        raise errors.ReversalNotReversible(transaction_id=transaction_id)
    if original.kind == TransactionKind.REDEMPTION:
        raise errors.RedemptionNotReversible(transaction_id=transaction_id)
    if check is not None:
        check(ctx.session, original)
    elif original.kind in KEPT_BY_SPENDING:
        raise TypeError(f"a {original.kind} is reversed through torekes.spending.reversals")
    # Holding the chain head lock makes the "not yet reversed" check and the reversal one step.
    queries.lock_currency(ctx.session, original.currency_id)
    if queries.reversal_ids_of(ctx.session, [original.id]):
        raise errors.AlreadyReversed(transaction_id=transaction_id)
    original_postings = queries.postings_of(ctx.session, [original.id])[original.id]
    postings = reversal_postings([Posting(p.account_id, p.amount) for p in original_postings])
    return post_entry(
        ctx,
        postings,
        TransactionKind.REVERSAL,
        # The administrator's reason as they typed it; the reversed transaction is named by
        # ``reverses_id`` and written out by the pages in the reader's language.
        memo=reason,
        metadata={"reason": reason, "reversed_seq": original.seq},
        reverses_id=original.id,
    )


def chained_content(
    currency_code: str, transaction: m.Transaction, postings: Sequence[Posting]
) -> ChainedContent:
    """What the hash chain covers of a transaction: at posting time and again in an audit."""
    return ChainedContent(
        currency_code=currency_code,
        seq=transaction.seq,
        kind=transaction.kind,
        memo=transaction.memo,
        metadata=transaction.meta,
        actor_id=transaction.actor_id,
        created_at=transaction.created_at,
        idempotency_key=transaction.idempotency_key,
        reverses_id=transaction.reverses_id,
        postings=postings,
    )


def transaction_views(
    session: Session, transactions: Sequence[m.Transaction]
) -> list[TransactionView]:
    """Views of stored transactions, with their postings and reversals, in three queries."""
    ids = [transaction.id for transaction in transactions]
    postings = queries.postings_of(session, ids)
    reversals = queries.reversal_ids_of(session, ids)
    currencies = queries.currencies_by_id(session)
    return [
        _view(t, currencies[t.currency_id].code, postings[t.id], reversals.get(t.id))
        for t in transactions
    ]


def _view(
    transaction: m.Transaction,
    currency_code: str,
    postings: Sequence[m.Posting],
    reversed_by_id: int | None,
) -> TransactionView:
    return TransactionView(
        id=transaction.id,
        currency=currency_code,
        seq=transaction.seq,
        kind=transaction.kind,
        memo=transaction.memo,
        metadata=transaction.meta,
        actor_id=transaction.actor_id,
        created_at=transaction.created_at,
        idempotency_key=transaction.idempotency_key,
        reverses_id=transaction.reverses_id,
        reversed_by_id=reversed_by_id,
        prev_hash=transaction.prev_hash,
        hash=transaction.hash,
        postings=[PostingView(p.account_id, p.amount) for p in postings],
    )


def _key_for_this_entry(ctx: WriteContext) -> str | None:
    """The request's Idempotency-Key for the first entry its write posts, ``None`` for any later
    one: one key names one transaction in the journal, and the write as a whole (a settlement
    paying several redemptions, a bulk decision) is kept once by its idempotency record."""
    key = ctx.idempotency_key
    if key is None:
        return None
    keyed: set[str] = ctx.session.info.setdefault("journal_keys_used", set())
    if key in keyed:
        return None
    keyed.add(key)
    return key


def _get_account(session: Session, account_id: int) -> m.Account:
    account = session.get(m.Account, account_id)
    if account is None:
        raise errors.AccountNotFound(f"No account {account_id}", account_id=account_id)
    return account


def _currency_of(session: Session, account_ids: Sequence[int]) -> int:
    """The one currency of the given accounts (a currency never changes, so no lock is needed)."""
    currencies: set[int] = set()
    for account_id in account_ids:
        currencies.add(_get_account(session, account_id).currency_id)
    if len(currencies) != 1:
        raise errors.CurrencyMismatch("All accounts of a transaction must be in one currency")
    return currencies.pop()
