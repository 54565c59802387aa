"""Claims that wait for a coordinator: the hold on the budget, approval posting it once,
rejection releasing it once, and the audit checking that held amounts match pending holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from tests.integration.earning_support import (
    Scene,
    assert_earning_consistent,
    make_scene,
    scalar,
    snapshot,
    statuses,
)
from tests.support import Ledger
from torekes.audit import verification
from torekes.domain import errors
from torekes.domain.periods import LimitPeriod
from torekes.earning import claims, projects
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings


@pytest.fixture
def scene(ledger: Ledger, settings: Settings, trk: CurrencyView) -> Scene:
    return make_scene(ledger, settings, funding=100)


def refused(scene: Scene, error: type[errors.TorekesError], action: Callable[[], Any]) -> None:
    """``action`` raises ``error`` and leaves every row as it was."""
    before = snapshot(scene.db)
    with pytest.raises(error):
        action()
    assert snapshot(scene.db) == before


def test_held_rewards_reduce_available_then_approve_posts_and_reject_releases_once(
    scene: Scene,
) -> None:
    activity = scene.activity(reward_amount=30, requires_approval=True)
    codes = scene.codes(activity.id, 4)
    alice, bob, carol, dave = scene.members(4)

    first = scene.claim(alice.principal, codes[0].code)
    assert (first.status, first.amount, first.transaction_id) == ("pending", 30, None)
    assert scene.budget() == (100, 30)
    view = projects.get_project(scene.db, scene.coordinator, scene.project.id)
    assert (view.budget_balance, view.budget_held, view.budget_available) == (100, 30, 70)
    second = scene.claim(bob.principal, codes[1].code)
    third = scene.claim(carol.principal, codes[2].code)
    assert scene.budget() == (100, 90)
    # 10 left available: a fourth reward of 30 cannot be held, though the balance is 100.
    refused(scene, errors.BudgetExhausted, lambda: scene.claim(dave.principal, codes[3].code))
    assert scalar(scene.db, "SELECT COUNT(*) FROM transactions WHERE kind = 'reward'") == 0
    assert_earning_consistent(scene.db)

    approved = scene.approve(first.id)
    assert approved.status == "paid"
    assert approved.resolved_by_id == scene.coordinator.user_id
    assert approved.resolved_at is not None
    assert approved.transaction_id is not None
    assert scene.budget() == (70, 60)
    assert scene.balance(alice.account_id) == 30
    with scene.db.read_engine.connect() as connection:
        kind, memo, metadata = connection.execute(
            text("SELECT kind, memo, metadata FROM transactions WHERE id = :t"),
            {"t": approved.transaction_id},
        ).one()
        postings: dict[int, int] = dict(
            connection.execute(
                text("SELECT account_id, amount FROM postings WHERE transaction_id = :t"),
                {"t": approved.transaction_id},
            ).all()
        )
    assert kind == "reward"
    # No sentence is stored: pages say "Reward: Weeding" from the kind and the activity.
    assert memo == ""
    stored = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert stored["activity_id"] == second.activity_id
    assert postings == {scene.budget_id: -30, alice.account_id: 30}

    rejected = scene.reject(second.id)
    assert (rejected.status, rejected.reject_reason, rejected.transaction_id) == (
        "rejected",
        "not seen",
        None,
    )
    assert scene.budget() == (70, 30)
    assert scene.balance(bob.account_id) == 0

    # Neither happens twice, nor the one after the other.
    refused(scene, errors.ClaimAlreadyResolved, lambda: scene.approve(first.id))
    refused(scene, errors.ClaimAlreadyResolved, lambda: scene.reject(first.id))
    refused(scene, errors.ClaimAlreadyResolved, lambda: scene.reject(second.id))
    refused(scene, errors.ClaimAlreadyResolved, lambda: scene.approve(second.id))
    refused(scene, errors.ClaimNotFound, lambda: scene.approve(999_999))

    # With the released 30 back, the fourth volunteer's claim fits now.
    scene.claim(dave.principal, codes[3].code)
    assert scene.budget() == (70, 60)
    scene.approve(third.id)
    assert scene.budget() == (40, 30)
    assert scalar(scene.db, "SELECT COUNT(*) FROM transactions WHERE kind = 'reward'") == 2
    assert statuses(scene.db, activity.id) == {"paid": 2, "rejected": 1, "pending": 1}
    assert_earning_consistent(scene.db)


def test_a_claim_paid_at_once_cannot_be_approved_or_rejected(scene: Scene) -> None:
    activity = scene.activity(reward_amount=10)
    code = scene.codes(activity.id)[0]
    (member,) = scene.members(1)
    paid = scene.claim(member.principal, code.code)
    assert paid.status == "paid"
    assert scene.budget() == (90, 0)

    refused(scene, errors.ClaimAlreadyResolved, lambda: scene.approve(paid.id))
    refused(scene, errors.ClaimAlreadyResolved, lambda: scene.reject(paid.id))
    assert_earning_consistent(scene.db)


def test_a_rejected_claim_stops_counting_towards_capacity(scene: Scene) -> None:
    activity = scene.activity(reward_amount=5, capacity=1, requires_approval=True)
    codes = scene.codes(activity.id, 3)
    first, second = scene.members(2)
    taken = scene.claim(first.principal, codes[0].code)
    refused(scene, errors.ActivityFull, lambda: scene.claim(second.principal, codes[1].code))

    scene.reject(taken.id)
    assert scalar(scene.db, "SELECT claims_count FROM activities WHERE id = :a", a=activity.id) == 0
    scene.claim(second.principal, codes[1].code)
    refused(scene, errors.ActivityFull, lambda: scene.claim(first.principal, codes[2].code))
    assert_earning_consistent(scene.db)


@pytest.mark.parametrize(
    ("options", "limit_error"),
    [
        ({"per_member_limit": 1}, errors.MemberLimitReached),
        ({"period": LimitPeriod.DAY, "period_limit": 1}, errors.MemberDailyLimitReached),
        ({"period": LimitPeriod.WEEK, "period_limit": 1}, errors.MemberWeeklyLimitReached),
    ],
    ids=["total", "day", "week"],
)
def test_a_rejected_claim_stops_counting_towards_the_members_limits(
    scene: Scene, options: dict[str, Any], limit_error: type[errors.TorekesError]
) -> None:
    activity = scene.activity(reward_amount=5, requires_approval=True, **options)
    codes = scene.codes(activity.id, 4)
    (member,) = scene.members(1)
    first = scene.claim(member.principal, codes[0].code)
    refused(scene, limit_error, lambda: scene.claim(member.principal, codes[1].code))

    scene.reject(first.id)
    # A used code stays used, even when its claim was rejected ...
    refused(scene, errors.CodeAlreadyUsed, lambda: scene.claim(member.principal, codes[0].code))
    # ... but the member may claim again with another.
    again = scene.claim(member.principal, codes[1].code)
    refused(scene, limit_error, lambda: scene.claim(member.principal, codes[2].code))
    scene.approve(again.id)
    refused(scene, limit_error, lambda: scene.claim(member.principal, codes[2].code))
    assert_earning_consistent(scene.db)


def test_bulk_resolution_reports_each_claim_and_undoes_only_the_refused(scene: Scene) -> None:
    activity = scene.activity(reward_amount=10, requires_approval=True)
    codes = scene.codes(activity.id, 4)
    volunteers = scene.members(4)
    ids = [scene.claim(v.principal, c.code).id for v, c in zip(volunteers, codes, strict=True)]
    scene.reject(ids[1])
    assert scene.budget() == (100, 30)

    outcomes = write(
        scene.db,
        scene.coordinator,
        lambda ctx: claims.resolve_many(ctx, [ids[0], ids[1], 999_999, ids[2], ids[0]], "approve"),
    )

    assert [(o.claim_id, o.ok, o.status, o.error_code) for o in outcomes] == [
        (ids[0], True, "paid", None),
        (ids[1], False, None, "claim_already_resolved"),
        (999_999, False, None, "claim_not_found"),
        (ids[2], True, "paid", None),
    ]
    assert scene.budget() == (80, 10)
    rejections = write(
        scene.db,
        scene.coordinator,
        lambda ctx: claims.resolve_many(ctx, [ids[3], ids[0]], "reject", "duplicate"),
    )
    assert [(o.ok, o.status, o.error_code) for o in rejections] == [
        (True, "rejected", None),
        (False, None, "claim_already_resolved"),
    ]
    assert scene.budget() == (80, 0)
    assert statuses(scene.db, activity.id) == {"paid": 2, "rejected": 2}
    assert_earning_consistent(scene.db)


def test_the_audit_finds_a_held_amount_that_no_pending_hold_explains(scene: Scene) -> None:
    activity = scene.activity(reward_amount=30, requires_approval=True)
    code = scene.codes(activity.id)[0]
    (member,) = scene.members(1)
    scene.claim(member.principal, code.code)
    assert verification.verify(scene.db).ok

    with scene.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE accounts SET held = held + 20 WHERE id = :a"), {"a": scene.budget_id}
        )

    report = verification.verify(scene.db)
    assert not report.ok
    assert [(p.check, p.account_id) for p in report.problems] == [("held", scene.budget_id)]
    assert "50" in report.problems[0].detail
    assert "30" in report.problems[0].detail


def test_the_audit_finds_a_hold_dropped_without_giving_the_amount_back(scene: Scene) -> None:
    activity = scene.activity(reward_amount=30, requires_approval=True)
    code = scene.codes(activity.id)[0]
    (member,) = scene.members(1)
    pending = scene.claim(member.principal, code.code)
    hold_id = scalar(scene.db, "SELECT hold_id FROM claims WHERE id = :c", c=pending.id)

    with scene.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE holds SET status = 'released' WHERE id = :h"), {"h": hold_id}
        )

    report = verification.verify(scene.db)
    assert not report.ok
    assert [(p.check, p.account_id) for p in report.problems] == [("held", scene.budget_id)]
