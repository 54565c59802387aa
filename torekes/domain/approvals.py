"""Four eyes: large issuances, reversals and general entries wait for a second administrator.

An installation names an amount in whole units (``TOREKES_FOUR_EYES_ABOVE``); an entry that moves
more than that in its currency is not posted but filed as an approval request. Another
administrator approves it (and it posts then, under every rule it would have met at once) or any
administrator rejects it, the requester included, to withdraw it. Nobody approves their own
request. How much an entry moves is what its positive postings add up to, so an issuance counts
its amount, a reversal the amount it reverses, a general entry all it moves.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from torekes.domain import errors


class ApprovalKind(StrEnum):
    ISSUANCE = "issuance"
    ENTRY = "entry"
    REVERSAL = "reversal"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def moved_amount(amounts: Iterable[int]) -> int:
    """What an entry moves: the sum of its positive postings."""
    return sum(amount for amount in amounts if amount > 0)


def needs_second_admin(moved: int, decimals: int, above: Decimal | None) -> bool:
    """Whether ``moved`` minor units exceed the threshold given in whole units."""
    return above is not None and Decimal(moved) > above.scaleb(decimals)


def check_pending(status: ApprovalStatus) -> None:
    if status is not ApprovalStatus.PENDING:
        raise errors.ApprovalRequestResolved(f"The request is already {status.value}")


def check_second_admin(requested_by_id: int, approver_id: int) -> None:
    if requested_by_id == approver_id:
        raise errors.OwnRequestNotApprovable()
