"""Redemption rules: who may turn tokens into euros, the steps a redemption goes through, its euro
amount, and IBANs.

A redemption is ``requested`` (the tokens are held at once), then ``approved`` (at the euro rate in
force at that moment) and ``paid`` (the tokens move to the currency's redemption account), or
``rejected`` before it is paid (the hold is released). Each step happens once.
"""

from __future__ import annotations

import re
import string
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from torekes.domain import errors

CENT = Decimal(1)
MAX_RATE = Decimal(1_000_000)
# Enough digits for the largest amount (19 digits) times the largest rate (7 + 8 digits), exactly.
MAX_PRECISION = 60
RATE_QUANTUM = Decimal("1e-8")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


class RedemptionStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"


class RedemptionStep(StrEnum):
    APPROVE = "approve"
    PAY = "pay"
    REJECT = "reject"


# The one status each step may start from (rejecting may also start from ``approved``).
_ALLOWED = {
    RedemptionStep.APPROVE: {RedemptionStatus.REQUESTED},
    RedemptionStep.PAY: {RedemptionStatus.APPROVED},
    RedemptionStep.REJECT: {RedemptionStatus.REQUESTED, RedemptionStatus.APPROVED},
}


def check_step(status: RedemptionStatus, step: RedemptionStep) -> None:
    if status in _ALLOWED[step]:
        return
    if status is RedemptionStatus.PAID:
        raise errors.RedemptionAlreadyPaid()
    if status is RedemptionStatus.REJECTED:
        raise errors.RedemptionAlreadyRejected()
    if status is RedemptionStatus.APPROVED:
        raise errors.RedemptionAlreadyApproved()
    raise errors.RedemptionNotApproved()


def euro_cents(amount: int, decimals: int, rate: Decimal) -> int:
    """The euro value, in cents rounded half up, of ``amount`` minor units at ``rate`` euros per
    whole unit."""
    # Exact: the default 28 digits would round the product of a large amount and rate first.
    with localcontext(prec=MAX_PRECISION):
        euros = Decimal(amount).scaleb(-decimals) * rate
        return int((euros * 100).quantize(CENT, rounding=ROUND_HALF_UP))


def check_rate(rate: Decimal) -> None:
    if (
        not rate.is_finite()
        or rate < 0
        or rate > MAX_RATE
        or rate != rate.quantize(Decimal("1e-8"))
    ):
        raise errors.InvalidRate()


def normalise_iban(typed: str) -> str:
    """The IBAN without spaces, upper case, if its shape and ISO 7064 check digits hold."""
    iban = "".join(typed.split()).upper()
    if _IBAN_SHAPE.fullmatch(iban) is None:
        raise errors.InvalidIban()
    rearranged = iban[4:] + iban[:4]
    digits = "".join(
        str(string.ascii_uppercase.index(c) + 10) if c.isalpha() else c for c in rearranged
    )
    if int(digits) % 97 != 1:
        raise errors.InvalidIban()
    return iban
