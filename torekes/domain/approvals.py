"""Four eyes: money that one administrator moves without a second look waits for another.

An installation names an amount in whole units (``TOREKES_FOUR_EYES_ABOVE``); an issuance,
reversal or general entry, an administrator's transfer out of an account they do not own, the
approval or payment of a redemption, and the making or payment of a settlement that moves more
than that in its currency is not done but filed as an approval request. Whatever the threshold,
once there is more than one active administrator, so is every action that gives an administrator
a voice or takes one away: making another administrator, setting another administrator's
password (which hands the setter that administrator's powers), deactivating an administrator and
reactivating one. Another administrator approves it (and it is done then, under every rule it
would have met at once) or any administrator rejects it, the requester included, to withdraw it.
Nobody approves their own request, nor one about themself (a request names the administrator it
is about as its subject), so no administrator alone ever gains a second voice or silences the
others. How much an entry moves is what its positive postings add up to, so an
issuance counts its amount, a reversal the amount it reverses, a general entry all it moves; a
redemption counts its tokens, a settlement the tokens of all its redemptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from torekes.domain import errors


class ApprovalKind(StrEnum):
    ISSUANCE = "issuance"
    ENTRY = "entry"
    REVERSAL = "reversal"
    TRANSFER = "transfer"
    REDEMPTION_APPROVAL = "redemption_approval"
    REDEMPTION_PAYMENT = "redemption_payment"
    SETTLEMENT = "settlement"
    SETTLEMENT_PAYMENT = "settlement_payment"
    ADMINISTRATOR = "administrator"
    ADMINISTRATOR_PASSWORD = "administrator_password"  # noqa: S105 - a kind, not a secret
    ADMINISTRATOR_DEACTIVATION = "administrator_deactivation"
    ADMINISTRATOR_REACTIVATION = "administrator_reactivation"
    USER_PASSWORD = "user_password"  # noqa: S105 - a kind, not a secret
    EURO_RATE = "euro_rate"
    PAYOUT_DETAILS = "payout_details"


# Kinds whose approval posts exactly one transaction, which the request then names.
POSTING_KINDS = frozenset(
    {
        ApprovalKind.ISSUANCE,
        ApprovalKind.ENTRY,
        ApprovalKind.REVERSAL,
        ApprovalKind.TRANSFER,
        ApprovalKind.REDEMPTION_PAYMENT,
    }
)

# Kinds about an existing person (an administrator, or anyone whose password is set), who is
# named as the request's subject and may not approve it.
SUBJECT_KINDS = frozenset(
    {
        ApprovalKind.ADMINISTRATOR_PASSWORD,
        ApprovalKind.USER_PASSWORD,
        ApprovalKind.ADMINISTRATOR_DEACTIVATION,
        ApprovalKind.ADMINISTRATOR_REACTIVATION,
    }
)

# The kinds that move no money, so name no currency and no amount: they decide who may act, or
# how many euros tokens turn into and where they are paid.
NO_MONEY_KINDS = (
    frozenset({ApprovalKind.ADMINISTRATOR, ApprovalKind.EURO_RATE, ApprovalKind.PAYOUT_DETAILS})
    | SUBJECT_KINDS
)

# Payload fields never shown or written to the audit trail (a new administrator's password hash).
SECRET_FIELDS = frozenset({"password_hash"})


def shown_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it may be shown: without its secrets."""
    return {key: value for key, value in payload.items() if key not in SECRET_FIELDS}


def needs_second_admin_to_appoint(active_admins: int) -> bool:
    """A new administrator, another administrator's password, deactivating or reactivating an
    administrator need a second one's approval once there is more than one active; with a single
    administrator nobody could ever approve (and that one already holds every power)."""
    return active_admins > 1


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


def check_not_subject(subject_user_id: int | None, approver_id: int) -> None:
    """The administrator a request is about (whose password it sets, whom it deactivates or
    reactivates) is not the second pair of eyes on it."""
    if subject_user_id is not None and subject_user_id == approver_id:
        raise errors.SubjectNotApprover()


def check_may_appoint_directly(active_admins: int) -> None:
    if needs_second_admin_to_appoint(active_admins):
        raise errors.SecondAdminRequired()
