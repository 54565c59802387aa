"""Acting for a member: the member's card and PIN as consent, the statement shown, the claim
recorded for the member, and an attendance list's rows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from .common import Id, Request, Response
from .earning import ClaimOut, Hours
from .ledger import StatementLineOut
from .spending import Pin

CardText = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class CardConsentIn(Request):
    card: CardText = Field(
        description="The member's card number (ten digits, the last a check digit), or the code"
        " from its QR (or the QR's whole URL)."
    )
    pin: Pin = Field(description="The PIN the member types: their consent.")


class ClaimOnBehalfIn(CardConsentIn):
    activity_id: Id
    hours: Hours | None = None


class AttendanceIn(Request):
    activity_id: Id
    hours: Hours | None = Field(
        default=None, description="The hours each member listed worked (the same for all)."
    )
    cards: Annotated[list[CardText], Field(min_length=1, max_length=60)] = Field(
        description="The card numbers of the members who were there, one per member."
    )


class WalletStatementOut(Response):
    account_id: int
    currency: str
    balance: int
    lines: list[StatementLineOut]


class MemberStatementOut(Response):
    member_id: int
    member_name: str
    by_id: int = Field(description="Who showed the statement, for the member.")
    by_name: str
    card_number: str = Field(description="The card's number as receipts show it: its last four.")
    shown_at: datetime
    wallets: list[WalletStatementOut]


class ClaimRecordedOut(Response):
    claim: ClaimOut
    member_name: str
    by_name: str
    activity_title: str
    currency: str


class AttendanceRowOut(Response):
    line: int
    card: str = Field(description="The card as listed, a valid number shown by its last four.")
    member_name: str | None
    claim: ClaimOut | None
    refusal: str | None = Field(description="The refusal's code when no claim was recorded.")
