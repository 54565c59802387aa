"""Racing claims and resolutions on real threads against the real database.

Every thread waits at a barrier so that all of them claim (or approve, or reject) at once; each
records what it got back or what it raised. The tests count the outcomes exactly, insist that
nothing but the expected refusal was raised (no "database is locked", no integrity error, no
deadlock), and then check claims, code uses, activity counters, holds and the ledger with SQL.
Each runs with one shared ``Database`` and with one ``Database`` per thread (like separate
service processes).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

import torekes.kit.clock
from tests.integration.conftest import Engines
from tests.integration.earning_support import (
    Scene,
    assert_earning_consistent,
    make_scene,
    scalar,
    statuses,
)
from tests.integration.threads import failures, run_concurrently, successes, unexpected
from tests.support import Ledger
from torekes.domain import errors
from torekes.domain.earning import RewardKind
from torekes.domain.periods import LimitPeriod
from torekes.earning import claims
from torekes.earning.read_models import ClaimView, ResolutionOutcome
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings

separate_param = pytest.mark.parametrize(
    "separate", [False, True], ids=["one-engine", "engine-per-thread"]
)
NOON = datetime(2025, 3, 12, 11, 0, tzinfo=UTC)  # a Wednesday, noon in Brussels


@pytest.fixture
def scene(ledger: Ledger, settings: Settings, trk: CurrencyView) -> Scene:
    return make_scene(ledger, settings, funding=100_000)


@separate_param
def test_fifty_members_racing_for_one_single_use_code_are_paid_once(
    scene: Scene, engines: Engines, separate: bool
) -> None:
    activity = scene.activity(reward_amount=15)
    code = scene.codes(activity.id)[0]
    volunteers = scene.members(50)
    databases = engines(separate, 50)

    outcomes = run_concurrently(
        50, lambda i: scene.claim(volunteers[i].principal, code.code, db=databases[i])
    )

    assert unexpected(outcomes, errors.CodeAlreadyUsed) == []
    paid: list[ClaimView] = successes(outcomes)
    assert len(paid) == 1
    assert len(failures(outcomes)) == 49
    assert paid[0].status == "paid"
    assert paid[0].amount == 15
    winner = next(v for v in volunteers if v.id == paid[0].member_id)
    assert scene.balance(winner.account_id) == 15
    assert sum(scene.balance(v.account_id) for v in volunteers) == 15
    assert scene.budget() == (100_000 - 15, 0)
    assert statuses(scene.db, activity.id) == Counter(paid=1)
    assert scalar(scene.db, "SELECT uses FROM claim_codes WHERE id = :c", c=code.id) == 1
    assert scalar(scene.db, "SELECT COUNT(*) FROM transactions WHERE kind = 'reward'") == 1
    assert_earning_consistent(scene.db)


@separate_param
def test_fifty_members_racing_for_a_code_of_ten_uses_get_exactly_ten(
    scene: Scene, engines: Engines, separate: bool
) -> None:
    activity = scene.activity(reward_amount=7)
    code = scene.multi(activity.id, max_uses=10)
    volunteers = scene.members(50)
    databases = engines(separate, 50)

    outcomes = run_concurrently(
        50, lambda i: scene.claim(volunteers[i].principal, code.code, db=databases[i])
    )

    assert unexpected(outcomes, errors.CodeExhausted) == []
    paid: list[ClaimView] = successes(outcomes)
    assert len(paid) == 10
    assert len(failures(outcomes)) == 40
    assert len({claim.member_id for claim in paid}) == 10
    assert sum(scene.balance(v.account_id) for v in volunteers) == 70
    assert scene.budget() == (100_000 - 70, 0)
    assert scalar(scene.db, "SELECT uses FROM claim_codes WHERE id = :c", c=code.id) == 10
    assert scalar(scene.db, "SELECT COUNT(*) FROM transactions WHERE kind = 'reward'") == 10
    assert_earning_consistent(scene.db)


LIMITS: dict[str, tuple[dict[str, Any], type[errors.TorekesError]]] = {
    "day": ({"period": LimitPeriod.DAY, "period_limit": 3}, errors.MemberDailyLimitReached),
    "week": ({"period": LimitPeriod.WEEK, "period_limit": 3}, errors.MemberWeeklyLimitReached),
    "total": ({"per_member_limit": 3}, errors.MemberLimitReached),
}


@separate_param
@pytest.mark.parametrize("limit", list(LIMITS))
def test_one_member_racing_against_their_own_limit_never_exceeds_it(
    scene: Scene,
    engines: Engines,
    separate: bool,
    limit: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torekes.kit.clock, "now", lambda: NOON)
    options, refusal = LIMITS[limit]
    activity = scene.activity(reward_amount=5, **options)
    code = scene.multi(activity.id, max_uses=100)
    other = scene.activity(reward_amount=5, **options)
    other_code = scene.multi(other.id, max_uses=100)
    volunteer, bystander = scene.members(2)
    databases = engines(separate, 12)

    outcomes = run_concurrently(
        12, lambda i: scene.claim(volunteer.principal, code.code, db=databases[i])
    )

    assert unexpected(outcomes, refusal) == []
    assert len(successes(outcomes)) == 3
    assert len(failures(outcomes)) == 9
    assert scene.balance(volunteer.account_id) == 15
    assert scalar(scene.db, "SELECT uses FROM claim_codes WHERE id = :c", c=code.id) == 3
    # The limit is the member's own: someone else, and another activity, are not affected.
    scene.claim(bystander.principal, code.code)
    scene.claim(volunteer.principal, other_code.code)
    assert_earning_consistent(scene.db)


@separate_param
def test_capacity_holds_when_twenty_members_race_for_five_places(
    scene: Scene, engines: Engines, separate: bool
) -> None:
    activity = scene.activity(reward_amount=20, capacity=5, requires_approval=True)
    codes = scene.codes(activity.id, 20)
    volunteers = scene.members(20)
    databases = engines(separate, 20)
    funding = scene.budget()[0]

    outcomes = run_concurrently(
        20, lambda i: scene.claim(volunteers[i].principal, codes[i].code, db=databases[i])
    )

    assert unexpected(outcomes, errors.ActivityFull) == []
    pending: list[ClaimView] = successes(outcomes)
    assert len(pending) == 5
    assert {claim.status for claim in pending} == {"pending"}
    assert scene.budget() == (funding, 5 * 20)
    assert scalar(scene.db, "SELECT claims_count FROM activities WHERE id = :a", a=activity.id) == 5
    # The codes of the refused stay unused: each can still be claimed once a place frees up.
    assert (
        scalar(scene.db, "SELECT SUM(uses) FROM claim_codes WHERE activity_id = :a", a=activity.id)
        == 5
    )
    assert_earning_consistent(scene.db)


@separate_param
def test_approve_and_reject_racing_on_the_same_claims_resolve_each_once(
    scene: Scene, engines: Engines, separate: bool
) -> None:
    activity = scene.activity(reward_amount=40, requires_approval=True)
    codes = scene.codes(activity.id, 6)
    volunteers = scene.members(6)
    pending = [scene.claim(v.principal, c.code) for v, c in zip(volunteers, codes, strict=True)]
    funding = scene.budget()[0]
    assert scene.budget() == (funding, 240)
    databases = engines(separate, 24)

    def resolve(index: int) -> ClaimView:
        target = pending[index % 6].id
        if (index // 6) % 2 == 0:
            return write(
                databases[index], scene.coordinator, lambda ctx: claims.approve(ctx, target)
            )
        return write(
            databases[index], scene.coordinator, lambda ctx: claims.reject(ctx, target, "race")
        )

    outcomes = run_concurrently(24, resolve)

    assert unexpected(outcomes, errors.ClaimAlreadyResolved) == []
    resolved: list[ClaimView] = successes(outcomes)
    assert sorted(view.id for view in resolved) == sorted(claim.id for claim in pending)
    assert len(failures(outcomes)) == 18
    paid = [view for view in resolved if view.status == "paid"]
    final = statuses(scene.db, activity.id)
    assert final == Counter(view.status for view in resolved)
    assert final["pending"] == 0
    assert scene.budget() == (funding - 40 * len(paid), 0)
    assert sum(scene.balance(v.account_id) for v in volunteers) == 40 * len(paid)
    assert scalar(
        scene.db, "SELECT claims_count FROM activities WHERE id = :a", a=activity.id
    ) == len(paid)
    assert_earning_consistent(scene.db)


@pytest.mark.parametrize("order", ["same-order", "opposite-order"])
def test_bulk_approve_and_bulk_reject_racing_resolve_each_claim_once(
    scene: Scene, engines: Engines, order: str
) -> None:
    activity = scene.activity(reward_amount=25, requires_approval=True)
    codes = scene.codes(activity.id, 8)
    volunteers = scene.members(8)
    ids = [scene.claim(v.principal, c.code).id for v, c in zip(volunteers, codes, strict=True)]
    funding = scene.budget()[0]
    databases = engines(True, 4)

    def bulk(index: int) -> list[ResolutionOutcome]:
        decision = "approve" if index % 2 == 0 else "reject"
        listed = ids if order == "same-order" or index % 2 == 0 else ids[::-1]
        return write(
            databases[index],
            scene.coordinator,
            lambda ctx: claims.resolve_many(ctx, listed, decision, "bulk"),
        )

    outcomes = run_concurrently(4, bulk)

    assert unexpected(outcomes) == []
    reports: list[list[ResolutionOutcome]] = successes(outcomes)
    done = [item for report in reports for item in report if item.ok]
    refused = [item for report in reports for item in report if not item.ok]
    assert sorted(item.claim_id for item in done) == sorted(ids)
    assert {item.error_code for item in refused} <= {"claim_already_resolved"}
    assert len(refused) == 3 * len(ids)
    paid = sum(1 for item in done if item.status == "paid")
    assert scene.budget() == (funding - 25 * paid, 0)
    assert_earning_consistent(scene.db)


@separate_param
@pytest.mark.parametrize("approval", [False, True], ids=["paid-at-once", "held"])
def test_a_budget_of_100_pays_exactly_three_rewards_of_30_to_ten_racing_claims(
    ledger: Ledger,
    settings: Settings,
    trk: CurrencyView,
    engines: Engines,
    separate: bool,
    approval: bool,
) -> None:
    scene = make_scene(ledger, settings, funding=100)
    activity = scene.activity(reward_amount=30, requires_approval=approval)
    code = scene.multi(activity.id, max_uses=50)
    volunteers = scene.members(10)
    databases = engines(separate, 10)

    outcomes = run_concurrently(
        10, lambda i: scene.claim(volunteers[i].principal, code.code, db=databases[i])
    )

    assert unexpected(outcomes, errors.BudgetExhausted) == []
    accepted: list[ClaimView] = successes(outcomes)
    assert len(accepted) == 3
    assert len(failures(outcomes)) == 7
    balance, held = scene.budget()
    assert balance - held == 10
    assert (balance, held) == ((100, 90) if approval else (10, 0))
    assert scalar(scene.db, "SELECT uses FROM claim_codes WHERE id = :c", c=code.id) == 3
    assert scalar(scene.db, "SELECT claims_count FROM activities WHERE id = :a", a=activity.id) == 3
    if approval:
        for claim in accepted:
            scene.approve(claim.id)
        assert scene.budget() == (10, 0)
    assert sum(scene.balance(v.account_id) for v in volunteers) == 90
    assert_earning_consistent(scene.db)


@separate_param
def test_per_hour_claims_racing_for_a_small_budget_never_overdraw_it(
    ledger: Ledger, settings: Settings, trk: CurrencyView, engines: Engines, separate: bool
) -> None:
    """Rewards of different sizes: whatever order they arrive in, what is paid stays covered."""
    scene = make_scene(ledger, settings, funding=200)
    activity = scene.activity(
        reward_kind=RewardKind.PER_HOUR, reward_amount=20, max_hours=Decimal(8)
    )
    code = scene.multi(activity.id, max_uses=50)
    volunteers = scene.members(16)
    hours = [Decimal(1 + i % 4) for i in range(16)]  # 20, 40, 60 or 80 each
    databases = engines(separate, 16)

    outcomes = run_concurrently(
        16, lambda i: scene.claim(volunteers[i].principal, code.code, hours[i], databases[i])
    )

    assert unexpected(outcomes, errors.BudgetExhausted) == []
    paid: list[ClaimView] = successes(outcomes)
    balance, held = scene.budget()
    assert balance == 200 - sum(claim.amount for claim in paid) >= 0
    assert held == 0
    # Whoever was refused asked for more than was left when their turn came: at least one of the
    # refused amounts exceeds the final balance.
    refused = [20 * int(hours[i]) for i, o in enumerate(outcomes) if o.error is not None]
    assert all(amount > balance for amount in refused)
    assert_earning_consistent(scene.db)
