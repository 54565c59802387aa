"""What acting for a member shows: the member's statement, and each row of an attendance list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from torekes.earning.read_models import ClaimView
from torekes.ledger.read_models import StatementLine


@dataclass(frozen=True, slots=True)
class WalletStatement:
    """One of the member's accounts: its balance and its latest entries, newest first."""

    account_id: int
    currency: str
    balance: int
    lines: list[StatementLine]


@dataclass(frozen=True, slots=True)
class MemberStatement:
    """The member's balance and recent history, shown by ``by_name`` for ``member_name``."""

    member_id: int
    member_name: str
    by_id: int
    by_name: str
    card_number: str
    shown_at: datetime
    wallets: list[WalletStatement]


@dataclass(frozen=True, slots=True)
class ClaimRecorded:
    """A claim recorded for a member, by whom for whom."""

    claim: ClaimView
    member_name: str
    by_name: str
    activity_title: str
    currency: str


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    """One line of an attendance list: the card as typed (shown masked), the member it named if
    any, and the claim recorded or the refusal's code."""

    line: int
    card: str
    member_name: str | None
    claim: ClaimView | None
    refusal: str | None
