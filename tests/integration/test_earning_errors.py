"""Every refusal of the earning side, reached on the real database, each with its own stable code
and changing nothing: the journal, the accounts, the claims, the codes' uses, the activities and
the holds are the same row for row before and after.

Expiry, validity windows and calendar limits move the service's clock (``torekes.kit.clock``)
instead of sleeping. Days and weeks are counted in the configured zone (Europe/Brussels by
default), weeks from Monday.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

import torekes.kit.clock
from tests.integration.earning_support import (
    Member,
    Scene,
    assert_earning_consistent,
    make_scene,
    members,
    people,
    snapshot,
)
from tests.support import Ledger
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.domain.periods import LimitPeriod
from torekes.earning import activities, claim_codes
from torekes.earning.read_models import ActivityView, ClaimView
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings

WINTER = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


class Clock:
    """The service's notion of now, set by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.moment = start
        monkeypatch.setattr(torekes.kit.clock, "now", lambda: self.moment)

    def set(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, WINTER)


@pytest.fixture
def scene(ledger: Ledger, settings: Settings, trk: CurrencyView) -> Scene:
    brussels = settings.model_copy(update={"timezone": "Europe/Brussels"})
    return make_scene(ledger, brussels, funding=10_000)


@pytest.fixture
def member(scene: Scene) -> Member:
    return scene.members(1)[0]


def refused(
    scene: Scene, error: type[errors.TorekesError], code: str | None, action: Callable[[], Any]
) -> errors.TorekesError:
    """``action`` raises ``error`` with the stable ``code`` and leaves every row as it was."""
    before = snapshot(scene.db)
    with pytest.raises(error) as caught:
        action()
    if code is not None:
        assert caught.value.code == code
    assert snapshot(scene.db) == before
    return caught.value


# --- the code ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        "no-such-code",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA",  # the shape of a code, 27 characters
        "ABCD-EFGH-JKMN",  # the shape of a short code
        "",
    ],
)
def test_an_unknown_code_is_code_not_found(scene: Scene, member: Member, sent: str) -> None:
    activity = scene.activity()
    scene.codes(activity.id, 2)
    refused(
        scene, errors.CodeNotFound, "code_not_found", lambda: scene.claim(member.principal, sent)
    )


def test_a_revoked_code_is_code_revoked(scene: Scene, member: Member) -> None:
    activity = scene.activity()
    single = scene.codes(activity.id)[0]
    multi = scene.multi(activity.id, max_uses=5)
    for code in (single, multi):
        code_id = code.id
        revoked = write(
            scene.db,
            scene.coordinator,
            lambda ctx: claim_codes.revoke_code(ctx, scene.settings, code_id),  # noqa: B023
        )
        assert revoked.revoked
        for sent in (code.code, code.short_code):

            def attempt(sent: str = sent) -> ClaimView:
                return scene.claim(member.principal, sent)

            refused(scene, errors.CodeRevoked, "code_revoked", attempt)
    assert_earning_consistent(scene.db)


def test_a_code_expires_at_its_expiry(scene: Scene, clock: Clock) -> None:
    activity = scene.activity()
    expiry = WINTER + timedelta(hours=2)
    multi = scene.multi(activity.id, max_uses=5, expires_at=expiry)
    single = claim_codes.BatchCommand(CodeKind.SINGLE, 1, 1, expiry)
    sheet = write(
        scene.db,
        scene.coordinator,
        lambda ctx: claim_codes.create_batch(ctx, scene.settings, activity.id, single),
    )
    first, second, third = scene.members(3)

    clock.set(expiry - timedelta(microseconds=1))
    scene.claim(first.principal, multi.code)
    clock.set(expiry)
    refused(
        scene, errors.CodeExpired, "code_expired", lambda: scene.claim(second.principal, multi.code)
    )
    refused(
        scene,
        errors.CodeExpired,
        "code_expired",
        lambda: scene.claim(third.principal, sheet.codes[0].code),
    )
    clock.set(expiry + timedelta(days=400))
    refused(
        scene,
        errors.CodeExpired,
        "code_expired",
        lambda: scene.claim(third.principal, sheet.codes[0].short_code),
    )
    assert_earning_consistent(scene.db)


def test_a_used_single_code_is_code_already_used(scene: Scene) -> None:
    activity = scene.activity()
    code = scene.codes(activity.id)[0]
    first, second = scene.members(2)
    scene.claim(first.principal, code.code)
    refused(
        scene,
        errors.CodeAlreadyUsed,
        "code_already_used",
        lambda: scene.claim(second.principal, code.code),
    )
    refused(
        scene,
        errors.CodeAlreadyUsed,
        "code_already_used",
        lambda: scene.claim(first.principal, code.short_code),
    )


def test_a_multi_use_code_used_up_is_code_exhausted(scene: Scene) -> None:
    activity = scene.activity()
    code = scene.multi(activity.id, max_uses=2)
    first, second, third = scene.members(3)
    scene.claim(first.principal, code.code)
    scene.claim(second.principal, code.short_code)
    refused(
        scene,
        errors.CodeExhausted,
        "code_exhausted",
        lambda: scene.claim(third.principal, code.code),
    )


def test_the_code_is_checked_before_the_activity(scene: Scene, member: Member) -> None:
    activity = scene.activity()
    code = scene.codes(activity.id)[0]
    write(
        scene.db,
        scene.coordinator,
        lambda ctx: claim_codes.revoke_code(ctx, scene.settings, code.id),
    )
    write(
        scene.db, scene.coordinator, lambda ctx: activities.change_status(ctx, activity.id, "pause")
    )
    refused(
        scene, errors.CodeRevoked, "code_revoked", lambda: scene.claim(member.principal, code.code)
    )


def change_status(scene: Scene, activity_id: int, action: str) -> ActivityView:
    return write(
        scene.db,
        scene.coordinator,
        lambda ctx: activities.change_status(ctx, activity_id, action),
    )


# --- the activity ------------------------------------------------------------------------------


def test_a_paused_activity_refuses_claims_until_resumed(scene: Scene, member: Member) -> None:
    activity = scene.activity()
    code = scene.codes(activity.id)[0]
    write(
        scene.db, scene.coordinator, lambda ctx: activities.change_status(ctx, activity.id, "pause")
    )
    refused(
        scene,
        errors.ActivityPaused,
        "activity_paused",
        lambda: scene.claim(member.principal, code.code),
    )
    write(
        scene.db,
        scene.coordinator,
        lambda ctx: activities.change_status(ctx, activity.id, "resume"),
    )
    assert scene.claim(member.principal, code.code).status == "paid"


def test_a_closed_activity_refuses_claims_and_new_codes(scene: Scene, member: Member) -> None:
    activity = scene.activity()
    code = scene.codes(activity.id)[0]
    write(
        scene.db, scene.coordinator, lambda ctx: activities.change_status(ctx, activity.id, "close")
    )
    refused(
        scene,
        errors.ActivityClosed,
        "activity_closed",
        lambda: scene.claim(member.principal, code.code),
    )
    refused(scene, errors.ActivityClosed, "activity_closed", lambda: scene.codes(activity.id))
    for action in ("resume", "pause", "close"):
        refused(
            scene,
            errors.ActivityStatusUnchanged,
            "activity_status_unchanged",
            partial(change_status, scene, activity.id, action),
        )


def test_an_activity_is_open_only_inside_its_window(scene: Scene, clock: Clock) -> None:
    opens, closes = WINTER + timedelta(days=1), WINTER + timedelta(days=2)
    activity = scene.activity(valid_from=opens, valid_until=closes)
    code = scene.multi(activity.id, max_uses=10, expires_at=WINTER + timedelta(days=10))
    early, first, late = scene.members(3)

    clock.set(opens - timedelta(microseconds=1))
    refused(
        scene,
        errors.ActivityNotOpen,
        "activity_not_open",
        lambda: scene.claim(early.principal, code.code),
    )
    clock.set(opens)
    scene.claim(first.principal, code.code)
    clock.set(closes - timedelta(microseconds=1))
    scene.claim(early.principal, code.code)
    clock.set(closes)
    refused(
        scene,
        errors.ActivityNotOpen,
        "activity_not_open",
        lambda: scene.claim(late.principal, code.code),
    )
    clock.set(closes + timedelta(days=3))
    refused(
        scene,
        errors.ActivityNotOpen,
        "activity_not_open",
        lambda: scene.claim(late.principal, code.code),
    )
    assert_earning_consistent(scene.db)


# --- the limits --------------------------------------------------------------------------------


def test_a_full_activity_is_activity_full(scene: Scene) -> None:
    activity = scene.activity(capacity=2)
    code = scene.multi(activity.id, max_uses=10)
    first, second, third = scene.members(3)
    scene.claim(first.principal, code.code)
    scene.claim(second.principal, code.code)
    refused(
        scene, errors.ActivityFull, "activity_full", lambda: scene.claim(third.principal, code.code)
    )


def test_a_member_over_their_limit_is_member_limit_reached(scene: Scene) -> None:
    activity = scene.activity(per_member_limit=2)
    code = scene.multi(activity.id, max_uses=10)
    member, other = scene.members(2)
    scene.claim(member.principal, code.code)
    scene.claim(member.principal, code.code)
    refused(
        scene,
        errors.MemberLimitReached,
        "member_limit_reached",
        lambda: scene.claim(member.principal, code.code),
    )
    scene.claim(other.principal, code.code)


def brussels(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A wall-clock moment in Brussels as UTC (+1 in winter, +2 in summer)."""
    from zoneinfo import ZoneInfo

    local = datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo("Europe/Brussels"))
    return local.astimezone(UTC)


@pytest.mark.parametrize("season", ["winter", "summer"])
def test_the_daily_limit_counts_calendar_days_in_brussels(
    scene: Scene, clock: Clock, season: str
) -> None:
    month = 1 if season == "winter" else 7
    clock.set(brussels(2025, month, 14, 12, 0))
    activity = scene.activity(period=LimitPeriod.DAY, period_limit=1)
    code = scene.multi(activity.id, max_uses=100)
    member, other = scene.members(2)

    before_midnight = brussels(2025, month, 15, 23, 59, 59)
    assert before_midnight.day == 15
    assert before_midnight.hour == (22 if season == "winter" else 21)
    clock.set(before_midnight)
    scene.claim(member.principal, code.code)
    clock.set(before_midnight + timedelta(milliseconds=500))
    refused(
        scene,
        errors.MemberDailyLimitReached,
        "member_daily_limit_reached",
        lambda: scene.claim(member.principal, code.code),
    )
    scene.claim(other.principal, code.code)  # the limit is per member
    # Midnight in Brussels, still the 15th in UTC: a new day.
    midnight = brussels(2025, month, 16, 0, 0)
    assert midnight.day == 15
    clock.set(midnight)
    scene.claim(member.principal, code.code)
    # The 16th in UTC, still the 16th in Brussels: the same day as the claim at midnight.
    clock.set(brussels(2025, month, 16, 23, 59, 59))
    refused(
        scene,
        errors.MemberDailyLimitReached,
        "member_daily_limit_reached",
        lambda: scene.claim(member.principal, code.code),
    )
    clock.set(brussels(2025, month, 17, 0, 0))
    scene.claim(member.principal, code.code)
    assert_earning_consistent(scene.db)


def test_the_weekly_limit_counts_weeks_from_monday_in_brussels(scene: Scene, clock: Clock) -> None:
    # 2025-01-20 is a Monday.
    clock.set(brussels(2025, 1, 13, 9, 0))
    activity = scene.activity(period=LimitPeriod.WEEK, period_limit=1)
    code = scene.multi(activity.id, max_uses=100)
    (member,) = scene.members(1)

    sunday_night = brussels(2025, 1, 19, 23, 30)
    assert sunday_night.weekday() == 6
    clock.set(sunday_night)
    scene.claim(member.principal, code.code)
    monday = brussels(2025, 1, 20, 0, 0)
    assert (monday.weekday(), monday.day) == (6, 19)  # still Sunday in UTC
    clock.set(monday - timedelta(microseconds=1))
    refused(
        scene,
        errors.MemberWeeklyLimitReached,
        "member_weekly_limit_reached",
        lambda: scene.claim(member.principal, code.code),
    )
    clock.set(monday)
    scene.claim(member.principal, code.code)
    for day in (21, 24, 26):  # Tuesday, Friday, Sunday of the same week
        clock.set(brussels(2025, 1, day, 23, 59, 59))
        refused(
            scene,
            errors.MemberWeeklyLimitReached,
            "member_weekly_limit_reached",
            lambda: scene.claim(member.principal, code.code),
        )
    clock.set(brussels(2025, 1, 27, 0, 0))
    scene.claim(member.principal, code.code)
    assert_earning_consistent(scene.db)


def test_calendar_days_follow_the_configured_time_zone(
    ledger: Ledger, settings: Settings, trk: CurrencyView, clock: Clock
) -> None:
    utc_scene = make_scene(ledger, settings.model_copy(update={"timezone": "UTC"}))
    activity = utc_scene.activity(period=LimitPeriod.DAY, period_limit=1)
    code = utc_scene.multi(activity.id, max_uses=10)
    (member,) = utc_scene.members(1)
    clock.set(datetime(2025, 1, 15, 22, 30, tzinfo=UTC))  # 23:30 in Brussels
    utc_scene.claim(member.principal, code.code)
    clock.set(datetime(2025, 1, 15, 23, 30, tzinfo=UTC))  # the 16th in Brussels, not in UTC
    refused(
        utc_scene,
        errors.MemberDailyLimitReached,
        "member_daily_limit_reached",
        lambda: utc_scene.claim(member.principal, code.code),
    )


# --- the budget, the hours and the member -------------------------------------------------------


@pytest.mark.parametrize("approval", [False, True], ids=["paid-at-once", "held"])
def test_a_budget_that_cannot_cover_the_reward_is_budget_exhausted(
    ledger: Ledger, settings: Settings, trk: CurrencyView, approval: bool
) -> None:
    scene = make_scene(ledger, settings, funding=50)
    activity = scene.activity(reward_amount=30, requires_approval=approval)
    code = scene.multi(activity.id, max_uses=10)
    first, second = scene.members(2)
    scene.claim(first.principal, code.code)
    error = refused(
        scene,
        errors.BudgetExhausted,
        "budget_exhausted",
        lambda: scene.claim(second.principal, code.code),
    )
    assert error.extra.get("project_id") == scene.project.id
    empty = make_scene(ledger, settings, funding=0)
    nothing = empty.activity(reward_amount=1, requires_approval=approval)
    unpaid = empty.codes(nothing.id)[0]
    refused(
        empty,
        errors.BudgetExhausted,
        "budget_exhausted",
        lambda: empty.claim(second.principal, unpaid.code),
    )
    assert_earning_consistent(scene.db)


@pytest.fixture
def per_hour(scene: Scene) -> Any:
    activity = scene.activity(
        reward_kind=RewardKind.PER_HOUR, reward_amount=25, max_hours=Decimal(4)
    )
    return scene.multi(activity.id, max_uses=100)


def test_a_per_hour_claim_without_hours_is_hours_required(
    scene: Scene, member: Member, per_hour: Any
) -> None:
    refused(
        scene,
        errors.HoursRequired,
        "hours_required",
        lambda: scene.claim(member.principal, per_hour.code),
    )


@pytest.mark.parametrize("hours", ["0", "-1", "-0.01", "4.01", "5", "25", "1.234", "0.001"])
def test_hours_outside_what_the_activity_allows_are_hours_out_of_range(
    scene: Scene, member: Member, per_hour: Any, hours: str
) -> None:
    refused(
        scene,
        errors.HoursOutOfRange,
        "hours_out_of_range",
        lambda: scene.claim(member.principal, per_hour.code, Decimal(hours)),
    )


@pytest.mark.parametrize(
    ("hours", "amount"), [("4", 100), ("0.02", 1), ("2.5", 63), ("1.50", 38), ("0.1", 3)]
)
def test_hours_within_range_are_paid_rounded_half_up(
    scene: Scene, member: Member, per_hour: Any, hours: str, amount: int
) -> None:
    claimed = scene.claim(member.principal, per_hour.code, Decimal(hours))
    assert claimed.amount == amount
    assert claimed.hours == Decimal(hours)
    assert scene.balance(member.account_id) == amount
    assert_earning_consistent(scene.db)


def test_hours_too_few_to_earn_a_whole_token_are_refused_cleanly(
    scene: Scene, member: Member
) -> None:
    """25 per hour for 0.01 hours rounds to a reward of 0: a refusal (a 4xx, whichever its code:
    ``hours_out_of_range`` would be natural), not a database error, paid at once or held."""
    for approval in (False, True):
        activity = scene.activity(
            reward_kind=RewardKind.PER_HOUR,
            reward_amount=25,
            max_hours=Decimal(4),
            requires_approval=approval,
        )
        code = scene.multi(activity.id, max_uses=10)
        refused(
            scene,
            errors.InvalidInput,
            None,
            partial(scene.claim, member.principal, code.code, Decimal("0.01")),
        )


def test_a_member_without_an_account_in_the_currency_is_no_member_account(
    ledger: Ledger, scene: Scene
) -> None:
    activity = scene.activity()
    codes = scene.codes(activity.id, 3)
    (bare,) = people(ledger, Role.MEMBER, 1)
    refused(
        scene,
        errors.NoMemberAccount,
        "no_member_account",
        lambda: scene.claim(bare, codes[0].code),
    )
    # An account in another currency does not do either.
    ledger.currency("EUX")
    (foreign,) = members(ledger, 1, currency="EUX")
    refused(
        scene,
        errors.NoMemberAccount,
        "no_member_account",
        lambda: scene.claim(foreign.principal, codes[0].code),
    )
    # Nor a closed one.
    (closing,) = scene.members(1)
    write(
        scene.db,
        ledger.admin.principal,
        lambda ctx: accounts.change_status(ctx, closing.account_id, "close"),
    )
    refused(
        scene,
        errors.NoMemberAccount,
        "no_member_account",
        lambda: scene.claim(closing.principal, codes[1].code),
    )


@pytest.mark.parametrize("role", [Role.SHOPKEEPER, Role.COORDINATOR, Role.AUDITOR, Role.ADMIN])
def test_only_members_claim(ledger: Ledger, scene: Scene, role: Role) -> None:
    activity = scene.activity()
    code = scene.codes(activity.id)[0]
    (someone,) = people(ledger, role, 1)
    ledger.account(AccountKind.MEMBER if role is not Role.SHOPKEEPER else AccountKind.SHOP)
    refused(
        scene, errors.RoleNotAllowed, "role_not_allowed", lambda: scene.claim(someone, code.code)
    )
    refused(
        scene,
        errors.RoleNotAllowed,
        "role_not_allowed",
        lambda: scene.claim(scene.coordinator, code.code),
    )


# --- invalid activities and batches --------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"reward_kind": RewardKind.PER_HOUR},
        {"period": LimitPeriod.DAY},
        {"period_limit": 3},
        {"valid_from": WINTER, "valid_until": WINTER - timedelta(hours=1)},
        {"valid_from": WINTER, "valid_until": WINTER},
        {"reward_amount": 0},
        {"reward_amount": -5},
    ],
    ids=[
        "per-hour-without-max-hours",
        "period-without-limit",
        "limit-without-period",
        "window-ending-before-start",
        "empty-window",
        "zero-reward",
        "negative-reward",
    ],
)
def test_an_inconsistent_activity_is_invalid_activity(
    scene: Scene, options: dict[str, Any]
) -> None:
    refused(scene, errors.InvalidActivity, "invalid_activity", lambda: scene.activity(**options))


@pytest.mark.parametrize(
    ("kind", "count", "max_uses", "expires_in"),
    [
        (CodeKind.SINGLE, 1, 2, None),
        (CodeKind.MULTI, 1, 10, None),
        (CodeKind.MULTI, 1, 10, timedelta(seconds=-1)),
        (CodeKind.MULTI, 1, 10, timedelta(0)),
        (CodeKind.SINGLE, 1, 1, timedelta(minutes=-5)),
        (CodeKind.SINGLE, 0, 1, None),
        (CodeKind.SINGLE, 501, 1, None),
        (CodeKind.MULTI, 1, 0, timedelta(days=1)),
    ],
    ids=[
        "single-with-two-uses",
        "multi-without-expiry",
        "multi-expired",
        "multi-expiring-now",
        "single-expired",
        "empty-batch",
        "batch-too-large",
        "multi-with-no-uses",
    ],
)
def test_batch_rules_are_invalid_input(
    scene: Scene,
    clock: Clock,
    kind: CodeKind,
    count: int,
    max_uses: int,
    expires_in: timedelta | None,
) -> None:
    activity = scene.activity()
    expires_at = None if expires_in is None else WINTER + expires_in
    command = claim_codes.BatchCommand(kind, count, max_uses, expires_at)
    refused(
        scene,
        errors.InvalidInput,
        "invalid_input",
        lambda: write(
            scene.db,
            scene.coordinator,
            lambda ctx: claim_codes.create_batch(ctx, scene.settings, activity.id, command),
        ),
    )


def test_unknown_activities_and_codes_are_not_found(scene: Scene) -> None:
    refused(
        scene,
        errors.ActivityNotFound,
        "activity_not_found",
        lambda: scene.codes(999_999),
    )
    refused(
        scene,
        errors.CodeNotFound,
        "code_not_found",
        lambda: write(
            scene.db,
            scene.coordinator,
            lambda ctx: claim_codes.revoke_code(ctx, scene.settings, 999_999),
        ),
    )
    refused(
        scene,
        errors.ProjectNotFound,
        "project_not_found",
        lambda: write(
            scene.db,
            scene.coordinator,
            lambda ctx: activities.create_activity(
                ctx, 999_999, activities.ActivityCommand("x", "", RewardKind.FIXED, 1)
            ),
        ),
    )
