"""Account kinds, statuses and the rules each kind imposes on postings.

Only ``issuance`` accounts may go below zero: minus an issuance account's balance is what the
currency has ever issued. Every other kind has a floor of zero on its available amount
(``balance - held``). ``issuance`` and ``redemption`` accounts are system accounts: one of each per
currency, created with it, owned by nobody and never closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from torekes.domain import errors

# Balances stay well inside a signed 64-bit column even after many maximal postings.
BALANCE_LIMIT = 2**62


class AccountKind(StrEnum):
    ISSUANCE = "issuance"
    BUDGET = "budget"
    MEMBER = "member"
    SHOP = "shop"
    PARTNER = "partner"
    REDEMPTION = "redemption"

    @property
    def is_floored(self) -> bool:
        return self is not AccountKind.ISSUANCE

    @property
    def is_system(self) -> bool:
        return self in (AccountKind.ISSUANCE, AccountKind.REDEMPTION)


USER_CREATABLE_KINDS = frozenset(kind for kind in AccountKind if not kind.is_system)
# Ordinary transfers move tokens between these; issuing and redeeming have their own use cases.
TRANSFERABLE_KINDS = frozenset(
    {AccountKind.BUDGET, AccountKind.MEMBER, AccountKind.SHOP, AccountKind.PARTNER}
)
# Shops and partners (the tram, the cinema, the restaurant) take payments from members.
PAYEE_KINDS = frozenset({AccountKind.SHOP, AccountKind.PARTNER})


def check_may_own(kind: AccountKind, owner_is_admin: bool) -> None:
    """Separation of duties: an administrator owns no shop or partner account. Tokens paid into a
    shop are its owner's to move and to redeem without a second look, so an administrator who
    kept a shop could charge members' cards there and take the tokens out past four eyes."""
    if owner_is_admin and kind in PAYEE_KINDS:
        raise errors.AdministratorCannotOwnShop(
            "An administrator may not own a shop or partner account"
        )


def can_redeem(kind: AccountKind, redeemable: bool) -> bool:
    """Shops redeem tokens for euros; partners only when an administrator allows it; members,
    budgets and system accounts never (no e-money licence lets individuals cash out)."""
    return kind is AccountKind.SHOP or (kind is AccountKind.PARTNER and redeemable)


class AccountStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the posting rules need to know about one account at the moment of posting."""

    id: int
    currency_id: int
    kind: AccountKind
    status: AccountStatus
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held


def check_can_post(account: AccountState, amount: int) -> int:
    """Return the balance after posting ``amount`` to ``account``, or raise why it may not be."""
    if account.status is AccountStatus.CLOSED:
        raise errors.AccountClosed(f"Account {account.id} is closed", account_id=account.id)
    if account.status is AccountStatus.FROZEN:
        raise errors.AccountFrozen(f"Account {account.id} is frozen", account_id=account.id)
    new_balance = account.balance + amount
    if account.kind.is_floored and new_balance - account.held < 0:
        raise errors.InsufficientFunds(
            f"Account {account.id} has {account.available} available, needs {-amount}",
            account_id=account.id,
            available=account.available,
        )
    if abs(new_balance) >= BALANCE_LIMIT:
        raise errors.BalanceOutOfRange(account_id=account.id)
    return new_balance


def check_can_close(account: AccountState) -> None:
    if account.kind.is_system:
        raise errors.AccountKindNotAllowed(
            "System accounts cannot be closed", account_id=account.id
        )
    if account.status is AccountStatus.CLOSED:
        raise errors.AccountStatusUnchanged("The account is already closed", account_id=account.id)
    if account.balance != 0 or account.held != 0:
        raise errors.AccountNotEmpty(
            f"Account {account.id} holds {account.balance}", account_id=account.id
        )


STATUS_AFTER = {"freeze": AccountStatus.FROZEN, "unfreeze": AccountStatus.ACTIVE}


def next_status(account: AccountState, action: str) -> AccountStatus:
    """The status after ``freeze`` or ``unfreeze``; closing goes through ``check_can_close``."""
    target = STATUS_AFTER[action]
    if account.status is AccountStatus.CLOSED:
        raise errors.AccountClosed(f"Account {account.id} is closed", account_id=account.id)
    if account.status is target:
        raise errors.AccountStatusUnchanged(
            f"Account {account.id} is already {target.value}", account_id=account.id
        )
    return target
