"""What a member's wallet page shows: each of their accounts with its newest entries (and older
ones a page at a time, by the same keyset cursor as the API's statement), every line with what
its transaction is about; the claims still waiting for a coordinator; their card's state; and
the receipt each line opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from torekes.db.engine import Database
from torekes.domain.access import Principal
from torekes.domain.cards import CardStatus, masked_card_number
from torekes.domain.entries import TransactionKind
from torekes.kit.wording import AccountNaming, Description
from torekes.ledger import accounts
from torekes.ledger import history as ledger_history
from torekes.ledger.accounts import AccountQuery
from torekes.ledger.read_models import AccountView, TransactionView
from torekes.reporting import queries
from torekes.reporting.descriptions import (
    DescribedLine,
    account_namings,
    described_statement,
    descriptions,
)
from torekes.settings import Settings
from torekes.spending import cards, payments
from torekes.spending.read_models import CardView, ReceiptView


@dataclass(frozen=True, slots=True)
class WalletAccount:
    """One account on the wallet: ``older`` is the cursor of the page of older entries."""

    account: AccountView
    naming: AccountNaming
    lines: list[DescribedLine]
    older: str | None


@dataclass(frozen=True, slots=True)
class PendingClaim:
    """A claim waiting for a coordinator's approval: its tokens are not in the wallet yet."""

    claim_id: int
    activity: str
    hours: Decimal | None
    amount: int
    currency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WalletCard:
    """The member's newest card: ``state`` is active, locked (by wrong PINs) or blocked."""

    card: CardView
    state: str
    ending: str


def wallet_accounts(db: Database, actor: Principal, limit: int) -> list[WalletAccount]:
    """Each account the person owns, with its ``limit`` newest entries."""
    own = accounts.list_accounts(db, actor, AccountQuery(owner_id=actor.user_id)).items
    return [_with_lines(db, actor, account, None, limit) for account in own]


def history(
    db: Database, actor: Principal, account_id: int, cursor: str | None, limit: int
) -> WalletAccount:
    """One account of the person's with a page of its entries before ``cursor``."""
    account = accounts.get_account(db, actor, account_id)
    return _with_lines(db, actor, account, cursor, limit)


def _with_lines(
    db: Database, actor: Principal, account: AccountView, cursor: str | None, limit: int
) -> WalletAccount:
    found = described_statement(db, actor, account.id, cursor, limit)
    naming = account_namings(db, [account])[account.id]
    return WalletAccount(account, naming, found.items, found.next_cursor)


def pending_claims(db: Database, actor: Principal) -> list[PendingClaim]:
    """The person's own claims that wait for a coordinator, newest first."""
    with db.read_session() as session:
        rows = queries.pending_claims_of(session, actor.user_id)
    own = accounts.list_accounts(db, actor, AccountQuery(owner_id=actor.user_id)).items
    currency_of = {account.id: account.currency for account in own}
    return [
        PendingClaim(
            row.claim_id,
            row.activity_title,
            row.hours,
            row.amount,
            currency_of.get(row.account_id, ""),
            row.created_at,
        )
        for row in rows
    ]


def member_card(db: Database, settings: Settings, actor: Principal) -> WalletCard | None:
    """The person's newest card and its state, or ``None`` when they never had one."""
    found = cards.list_cards(db, settings, actor, actor.user_id, None, None, 1).items
    if not found:
        return None
    card = found[0]
    state = (
        CardStatus.BLOCKED.value
        if card.status == CardStatus.BLOCKED.value
        else "locked"
        if card.locked
        else CardStatus.ACTIVE.value
    )
    return WalletCard(card, state, masked_card_number(card.number.replace(" ", "")[-4:]))


@dataclass(frozen=True, slots=True)
class Receipt:
    """A transaction as its receipt shows it to one person: what it is about, what it did to
    their own accounts (``amount``, signed; 0 for a reader of everything who owns none of them),
    how much it moved (``size``), and, for a payment or a refund, the shop's receipt."""

    transaction: TransactionView
    description: Description
    amount: int
    size: int
    payment: ReceiptView | None


def receipt(db: Database, actor: Principal, transaction_id: int) -> Receipt:
    """The receipt of a transaction on one of the person's accounts (any, for those who read
    everything)."""
    transaction = ledger_history.get_transaction(db, actor, transaction_id)
    own = {
        account.id
        for account in accounts.list_accounts(db, actor, AccountQuery(owner_id=actor.user_id)).items
    }
    amount = sum(p.amount for p in transaction.postings if p.account_id in own)
    payment = (
        payments.receipt(db, actor, transaction_id)
        if transaction.kind in (TransactionKind.PAYMENT, TransactionKind.REFUND)
        else None
    )
    about = descriptions(db, [transaction_id])[transaction_id]
    size = sum(p.amount for p in transaction.postings if p.amount > 0)
    return Receipt(transaction, about, amount, size, payment)
