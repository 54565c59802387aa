"""The per-activity summary (claims, hours, tokens paid, unique volunteers) and the claim lists
reconcile with what was claimed, with the claims table and with the ledger, on generated data."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.integration.earning_support import (
    Scene,
    assert_earning_consistent,
    claim_rows,
    make_scene,
)
from tests.support import Ledger
from torekes.domain.earning import ClaimStatus, RewardKind
from torekes.earning import activities, claims
from torekes.earning.read_models import ClaimView
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings

HOURS = [Decimal(h) for h in ("0.1", "0.25", "1", "1.5", "2.75", "3.33", "4", "7.99", "8")]
FUNDING = 1_000_000


@dataclass
class Expected:
    paid: list[ClaimView] = field(default_factory=list)
    pending: list[ClaimView] = field(default_factory=list)
    rejected: list[ClaimView] = field(default_factory=list)


def rewards_by_activity(scene: Scene) -> dict[int, int]:
    """Tokens that left the budget as rewards, per the activity named in their metadata."""
    with scene.db.read_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT t.metadata, t.kind, p.amount FROM transactions t JOIN postings p "
                "ON p.transaction_id = t.id WHERE p.account_id = :budget AND p.amount < 0"
            ),
            {"budget": scene.budget_id},
        ).all()
    paid: dict[int, int] = defaultdict(int)
    for metadata, kind, amount in rows:
        assert kind == "reward"
        meta = json.loads(metadata) if isinstance(metadata, str) else metadata
        assert meta["project_id"] == scene.project.id
        paid[int(meta["activity_id"])] -= int(amount)
    return dict(paid)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_reconciles_with_the_claims_and_the_ledger(
    ledger: Ledger, settings: Settings, trk: CurrencyView, seed: int
) -> None:
    rng = random.Random(seed)
    scene = make_scene(ledger, settings, funding=FUNDING)
    hourly = scene.activity(
        reward_kind=RewardKind.PER_HOUR,
        reward_amount=25,
        max_hours=Decimal(8),
        requires_approval=True,
        title="Weeding",
    )
    fixed = scene.activity(reward_amount=15, title="Sweeping")
    untouched = scene.activity(reward_amount=3, title="Nobody came")
    codes = {
        hourly.id: scene.multi(hourly.id, max_uses=1000),
        fixed.id: scene.multi(fixed.id, max_uses=1000),
    }
    volunteers = scene.members(12)
    expected = {hourly.id: Expected(), fixed.id: Expected()}

    for _ in range(60):
        volunteer = rng.choice(volunteers)
        if rng.random() < 0.6:
            made = scene.claim(volunteer.principal, codes[hourly.id].code, rng.choice(HOURS))
            expected[hourly.id].pending.append(made)
        else:
            made = scene.claim(volunteer.principal, codes[fixed.id].code, rng.choice(HOURS))
            assert made.amount == 15
            expected[fixed.id].paid.append(made)
        # Now and then the coordinator gets round to some of the pending claims.
        waiting = expected[hourly.id].pending
        if waiting and rng.random() < 0.4:
            chosen = waiting.pop(rng.randrange(len(waiting)))
            if rng.random() < 0.7:
                expected[hourly.id].paid.append(scene.approve(chosen.id))
            else:
                expected[hourly.id].rejected.append(scene.reject(chosen.id))

    rows = claim_rows(scene.db)
    ledger_rewards = rewards_by_activity(scene)
    for activity_id, want in expected.items():
        summary = activities.summary(scene.db, scene.coordinator, activity_id)
        # What the claims said, kept by the test.
        assert summary.claims_paid == len(want.paid)
        assert summary.claims_pending == len(want.pending)
        assert summary.claims_rejected == len(want.rejected)
        assert summary.tokens_paid == sum(c.amount for c in want.paid)
        assert summary.tokens_pending == sum(c.amount for c in want.pending)
        assert summary.hours_paid == sum((c.hours or Decimal(0) for c in want.paid), Decimal(0))
        assert summary.unique_volunteers == len({c.member_id for c in want.paid})
        # What the claims table holds.
        mine = [row for row in rows if row.activity_id == activity_id]
        paid_rows = [row for row in mine if row.status == "paid"]
        assert summary.tokens_paid == sum(row.amount for row in paid_rows)
        assert summary.hours_paid == sum((row.hours or Decimal(0) for row in paid_rows), Decimal(0))
        # What the ledger moved out of the budget for this activity.
        assert summary.tokens_paid == ledger_rewards.get(activity_id, 0)
    # Per-hour amounts are the rate times the hours, rounded half up.
    for claim in [*expected[hourly.id].paid, *expected[hourly.id].pending]:
        assert claim.hours is not None
        assert claim.amount == int((25 * claim.hours + Decimal("0.5")) // 1)

    balance, held = scene.budget()
    paid_total = sum(sum(c.amount for c in want.paid) for want in expected.values())
    assert balance == FUNDING - paid_total
    assert held == sum(c.amount for c in expected[hourly.id].pending)
    for volunteer in volunteers:
        earned = sum(
            c.amount for want in expected.values() for c in want.paid if c.member_id == volunteer.id
        )
        assert scene.balance(volunteer.account_id) == earned

    empty = activities.summary(scene.db, scene.coordinator, untouched.id)
    assert (empty.claims_paid, empty.claims_pending, empty.claims_rejected) == (0, 0, 0)
    assert (empty.tokens_paid, empty.tokens_pending, empty.unique_volunteers) == (0, 0, 0)
    assert empty.hours_paid == 0

    _check_claim_lists(scene, expected, hourly.id)
    assert_earning_consistent(scene.db)


def _check_claim_lists(scene: Scene, expected: dict[int, Expected], hourly_id: int) -> None:
    """The coordinator's filters and pages return exactly the claims they describe."""
    everything = [
        c for want in expected.values() for c in (*want.paid, *want.pending, *want.rejected)
    ]
    listed: list[ClaimView] = []
    cursor: str | None = None
    while True:
        page = claims.list_claims(
            scene.db, scene.coordinator, claims.ClaimQuery(cursor=cursor, limit=7)
        )
        listed.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [c.id for c in listed] == sorted((c.id for c in everything), reverse=True)
    for status in ClaimStatus:
        query = claims.ClaimQuery(activity_id=hourly_id, status=status, limit=500)
        found = claims.list_claims(scene.db, scene.coordinator, query).items
        want = getattr(expected[hourly_id], status.value)
        assert sorted(c.id for c in found) == sorted(c.id for c in want)
    member_id = everything[0].member_id
    query = claims.ClaimQuery(member_id=member_id, limit=500)
    found = claims.list_claims(scene.db, scene.coordinator, query).items
    assert sorted(c.id for c in found) == sorted(
        c.id for c in everything if c.member_id == member_id
    )
