"""Earning rules: activities, their rewards and limits, claim codes, and claims.

An activity rewards a fixed amount per claim, or a rate per hour with the hours given at claim
time (at most two decimals, up to the activity's maximum per claim; the reward is rounded half up
to whole minor units). A claim must pass, in this order: the code (revoked, expired, used up),
the activity (closed, paused, outside its window), then the limits (capacity, per member in total,
per member per calendar day or week). The budget's cover is checked when the reward is posted or
held. Rejected claims count towards no limit; a used code stays used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

from torekes.domain import errors
from torekes.domain.periods import LimitPeriod

MAX_HOURS_PER_CLAIM = Decimal(24)
HOURS_QUANTUM = Decimal("0.01")


class RewardKind(StrEnum):
    FIXED = "fixed"
    PER_HOUR = "per_hour"


class ActivityStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class CodeKind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"


class ClaimStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ActivityRules:
    reward_kind: RewardKind
    reward_amount: int
    max_hours: Decimal | None
    capacity: int | None
    per_member_limit: int | None
    period_limit: int | None
    period: LimitPeriod | None
    valid_from: datetime | None
    valid_until: datetime | None
    status: ActivityStatus

    def check_consistent(self) -> None:
        if self.reward_amount <= 0:
            raise errors.InvalidActivity("The reward must be positive")
        if self.reward_kind is RewardKind.PER_HOUR and self.max_hours is None:
            raise errors.InvalidActivity("A per-hour reward needs a maximum of hours per claim")
        if (self.period is None) != (self.period_limit is None):
            raise errors.InvalidActivity("A limit per period needs both the period and the limit")
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise errors.InvalidActivity("The validity window ends before it starts")


@dataclass(frozen=True, slots=True)
class CodeState:
    kind: CodeKind
    max_uses: int
    uses: int
    expires_at: datetime | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class ClaimCounts:
    """Non-rejected claims so far: on the activity, by this member, by this member this period."""

    activity_total: int
    member_total: int
    member_in_period: int


def hours_range(rules: ActivityRules) -> tuple[Decimal, Decimal]:
    """The fewest and the most hours one claim may give: the fewest that still earn one unit
    (rounded half up, in steps of ``HOURS_QUANTUM``), up to the activity's maximum."""
    most = rules.max_hours or MAX_HOURS_PER_CLAIM
    if rules.reward_kind is not RewardKind.PER_HOUR:
        return HOURS_QUANTUM, most
    # reward * hours rounds up to one unit from a half unit on.
    fewest = (Decimal("0.5") / rules.reward_amount).quantize(HOURS_QUANTUM, rounding=ROUND_CEILING)
    return max(fewest, HOURS_QUANTUM), most


def reward_for(rules: ActivityRules, hours: Decimal | None) -> int:
    if hours is not None:
        fewest, most = hours_range(rules)
        out_of_range = errors.HoursOutOfRange(
            f"{hours} hours is outside what this activity allows",
            min_hours=format(fewest.normalize(), "f"),
            max_hours=format(most.normalize(), "f"),
        )
        # More than two decimals is out of range too: the API's code for it is published.
        if hours <= 0 or hours > most or hours.as_tuple().exponent < -2:  # type: ignore[operator]
            raise out_of_range
    if rules.reward_kind is RewardKind.FIXED:
        return rules.reward_amount
    if hours is None:
        raise errors.HoursRequired()
    amount = int((rules.reward_amount * hours).to_integral_value(rounding=ROUND_HALF_UP))
    if amount < 1:
        raise out_of_range
    return amount


def check_code_usable(code: CodeState, now: datetime) -> None:
    if code.revoked:
        raise errors.CodeRevoked()
    if code.expires_at is not None and now >= code.expires_at:
        raise errors.CodeExpired()
    if code.uses >= code.max_uses:
        if code.kind is CodeKind.SINGLE:
            raise errors.CodeAlreadyUsed()
        raise errors.CodeExhausted()


def check_activity_open(rules: ActivityRules, now: datetime) -> None:
    if rules.status is ActivityStatus.CLOSED:
        raise errors.ActivityClosed()
    if rules.status is ActivityStatus.PAUSED:
        raise errors.ActivityPaused()
    if rules.valid_from is not None and now < rules.valid_from:
        raise errors.ActivityNotOpen("The activity has not started yet")
    if rules.valid_until is not None and now >= rules.valid_until:
        raise errors.ActivityNotOpen("The activity has ended")


def check_limits(rules: ActivityRules, counts: ClaimCounts) -> None:
    if rules.capacity is not None and counts.activity_total >= rules.capacity:
        raise errors.ActivityFull()
    if rules.per_member_limit is not None and counts.member_total >= rules.per_member_limit:
        raise errors.MemberLimitReached()
    if rules.period_limit is not None and counts.member_in_period >= rules.period_limit:
        if rules.period is LimitPeriod.WEEK:
            raise errors.MemberWeeklyLimitReached()
        raise errors.MemberDailyLimitReached()


ACTIVITY_TRANSITIONS: dict[str, tuple[set[ActivityStatus], ActivityStatus]] = {
    "pause": ({ActivityStatus.ACTIVE}, ActivityStatus.PAUSED),
    "resume": ({ActivityStatus.PAUSED}, ActivityStatus.ACTIVE),
    "close": ({ActivityStatus.ACTIVE, ActivityStatus.PAUSED}, ActivityStatus.CLOSED),
}


def next_activity_status(current: ActivityStatus, action: str) -> ActivityStatus:
    allowed_from, target = ACTIVITY_TRANSITIONS[action]
    if current not in allowed_from:
        raise errors.ActivityStatusUnchanged(f"A {current.value} activity cannot {action}")
    return target
