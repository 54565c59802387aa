"""Acting for a member with their card and PIN as consent, on the real database: a claim recorded
for the member keeps every rule of a claim and is stored as by the coordinator for the member; a
statement is shown to shopkeepers and administrators only; the PIN is counted and locks the card
exactly as at a till; a mistyped number is refused before any PIN is tried; an attendance list
records each member's claim on its own, racing lists never overfill an activity."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import text

from tests.integration.conftest import Engines
from tests.integration.earning_support import (
    Member,
    Scene,
    assert_earning_consistent,
    claim_rows,
    make_scene,
    scalar,
)
from tests.integration.threads import run_concurrently, successes, unexpected
from tests.support import Ledger
from torekes.counter import acts
from torekes.counter.acts import ClaimForCard
from torekes.counter.attendance import AttendanceList, record_attendance
from torekes.counter.read_models import AttendanceRow, ClaimRecorded, MemberStatement
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import RewardKind
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings
from torekes.spending import cards
from torekes.spending.cards import ChargeCommand
from torekes.spending.read_models import CardView

T = TypeVar("T")
PIN = "2468"
WRONG = "1357"
UNKNOWN = "000 000 0000"  # a number whose check digit fits, never drawn


@pytest.fixture
def scene(ledger: Ledger, settings: Settings, trk: CurrencyView) -> Scene:
    return make_scene(ledger, settings, funding=10_000)


def _card(scene: Scene, member: Member) -> CardView:
    admin = scene.ledger.admin.principal
    return write(scene.db, admin, lambda ctx: cards.issue_card(ctx, scene.settings, member.id, PIN))


def _plain(db: Database, actor: Principal) -> Callable[[Callable[[WriteContext], T]], T]:
    """The commit a use case is handed, without an idempotency key."""
    return lambda operation: write(db, actor, operation)


def _claim_for(
    scene: Scene, actor: Principal, card: str, activity_id: int, pin: str = PIN, **more: Any
) -> ClaimRecorded:
    order = ClaimForCard(card, pin, activity_id, more.get("hours"))
    db = more.get("db", scene.db)
    return acts.claim_for_card(db, scene.settings, actor, order, _plain(db, actor))


def _statement(scene: Scene, actor: Principal, card: str, pin: str = PIN) -> MemberStatement:
    return acts.show_statement(scene.db, scene.settings, actor, card, pin, _plain(scene.db, actor))


def _attend(
    scene: Scene, actor: Principal, activity_id: int, listed: list[str], db: Database | None = None
) -> list[AttendanceRow]:
    order = AttendanceList(activity_id, listed)
    return write(db or scene.db, actor, lambda ctx: record_attendance(ctx, scene.settings, order))


def _audit(db: Database, action: str) -> list[tuple[int | None, dict[str, Any]]]:
    with db.read_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT actor_id, after FROM audit_events WHERE action = :a ORDER BY id"),
            {"a": action},
        ).all()
    return [(row[0], row[1] if isinstance(row[1], dict) else json.loads(row[1])) for row in rows]


def _attempts(db: Database, **where: Any) -> Counter[str]:
    with db.read_session() as session:
        query = session.query(m.PinAttempt)
        for name, value in where.items():
            query = query.filter(getattr(m.PinAttempt, name) == value)
        return Counter(attempt.outcome for attempt in query)


def _failures(db: Database, card_id: int) -> int:
    return int(scalar(db, "SELECT pin_failures FROM member_cards WHERE id = :c", c=card_id))


# --- a claim recorded for a member -------------------------------------------------------------


def test_a_coordinator_records_a_claim_for_a_member_as_by_them_for_the_member(
    scene: Scene,
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    activity = scene.activity(reward_amount=25)

    recorded = _claim_for(scene, scene.coordinator, card.number, activity.id)

    assert recorded.claim.status == "paid"
    assert recorded.claim.member_id == member.id
    assert recorded.claim.recorded_by_id == scene.coordinator.user_id
    assert recorded.claim.code_id is None
    assert recorded.activity_title == activity.title
    assert scene.balance(member.account_id) == 25
    with scene.db.read_session() as session:
        reward = session.get(m.Transaction, recorded.claim.transaction_id)
        assert reward is not None
        assert reward.meta["by"] == scene.coordinator.user_id
        assert reward.meta["for"] == member.id
    [(actor_id, after)] = _audit(scene.db, "claim.recorded_for_member")
    assert actor_id == scene.coordinator.user_id
    assert after["by"] == scene.coordinator.user_id
    assert after["for"] == member.id
    assert _failures(scene.db, card.id) == 0
    assert _attempts(scene.db, actor_id=scene.coordinator.user_id) == Counter(right=1)
    assert_earning_consistent(scene.db)


def test_a_claim_for_a_member_waits_for_approval_where_the_activity_asks_and_keeps_by_for(
    scene: Scene,
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    activity = scene.activity(reward_amount=30, requires_approval=True)

    recorded = _claim_for(scene, scene.coordinator, card.number, activity.id)
    assert recorded.claim.status == "pending"
    assert scene.balance(member.account_id) == 0

    approved = scene.approve(recorded.claim.id, scene.ledger.admin.principal)
    assert approved.status == "paid"
    with scene.db.read_session() as session:
        reward = session.get(m.Transaction, approved.transaction_id)
        assert reward is not None
        assert (reward.meta["by"], reward.meta["for"]) == (scene.coordinator.user_id, member.id)
    assert_earning_consistent(scene.db)


def test_a_claim_for_a_member_keeps_the_per_member_limit(scene: Scene) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    activity = scene.activity(per_member_limit=1)
    _claim_for(scene, scene.coordinator, card.number, activity.id)

    with pytest.raises(errors.MemberLimitReached):
        _claim_for(scene, scene.coordinator, card.number, activity.id)
    assert len(claim_rows(scene.db, activity.id)) == 1
    assert_earning_consistent(scene.db)


def test_a_wrong_pin_is_counted_against_the_card_as_at_a_till_and_the_fifth_locks_it(
    scene: Scene,
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    activity = scene.activity()
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(errors.WrongPin) as wrong:
            _claim_for(scene, scene.coordinator, card.number, activity.id, pin=WRONG)
        assert wrong.value.extra["tries_left"] == left
    with pytest.raises(errors.CardLocked):
        _claim_for(scene, scene.coordinator, card.number, activity.id)
    assert claim_rows(scene.db) == []
    assert _attempts(scene.db, actor_id=scene.coordinator.user_id, shop_account_id=None) == (
        Counter(wrong=5)
    )
    with scene.db.read_session() as session:
        locked = session.get(m.MemberCard, card.id)
        assert locked is not None
        assert locked.locked_at is not None


def test_too_many_failures_by_one_person_wait_like_a_shop(
    ledger: Ledger, settings: Settings, trk: CurrencyView
) -> None:
    tight = settings.model_copy(update={"pin_shop_max_failures": 2})
    scene = make_scene(ledger, tight)
    member = scene.members(1)[0]
    card = _card(scene, member)
    activity = scene.activity()
    for _ in range(2):
        with pytest.raises(errors.CardNotFound):
            _claim_for(scene, scene.coordinator, UNKNOWN, activity.id)
    with pytest.raises(errors.RateLimited):
        _claim_for(scene, scene.coordinator, card.number, activity.id)
    assert _failures(scene.db, card.id) == 0
    assert claim_rows(scene.db) == []


def test_a_mistyped_number_is_refused_before_any_pin_is_tried(scene: Scene) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    digits = card.number.replace(" ", "")
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    with pytest.raises(errors.CardNumberMistyped):
        _claim_for(scene, scene.coordinator, typo, scene.activity().id)
    assert _attempts(scene.db) == Counter()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SHOPKEEPER, Role.AUDITOR])
def test_only_coordinators_and_administrators_record_claims_for_members(
    scene: Scene, role: Role
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    someone = scene.ledger.user(role, f"someone-{role.value}").principal
    with pytest.raises(errors.RoleNotAllowed):
        _claim_for(scene, someone, card.number, scene.activity().id)
    assert _attempts(scene.db) == Counter()  # refused before the PIN was tried


def test_a_coordinator_of_another_project_is_refused_before_the_pin_is_tried(
    scene: Scene, ledger: Ledger, settings: Settings
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    stranger = make_scene(ledger, settings).coordinator
    with pytest.raises(errors.NotProjectCoordinator):
        _claim_for(scene, stranger, card.number, scene.activity().id)
    assert _attempts(scene.db) == Counter()
    admin = _claim_for(scene, ledger.admin.principal, card.number, scene.activity().id)
    assert admin.claim.recorded_by_id == ledger.admin.principal.user_id


# --- a member's statement ----------------------------------------------------------------------


def test_a_shopkeeper_shows_a_members_balance_and_history_with_their_pin(
    scene: Scene, ledger: Ledger
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    activity = scene.activity(reward_amount=40)
    _claim_for(scene, scene.coordinator, card.number, activity.id)
    keeper = ledger.user(Role.SHOPKEEPER, "bakker").principal

    shown = _statement(scene, keeper, card.number)

    assert shown.member_id == member.id
    assert shown.by_id == keeper.user_id
    [wallet] = shown.wallets
    assert (wallet.account_id, wallet.balance) == (member.account_id, 40)
    assert [(line.amount, line.balance_after) for line in wallet.lines] == [(40, 40)]
    assert shown.card_number.endswith(card.number[-4:])
    [(actor_id, after)] = _audit(scene.db, "member.statement_shown")
    assert (actor_id, after["by"], after["for"]) == (keeper.user_id, keeper.user_id, member.id)

    with pytest.raises(errors.WrongPin):
        _statement(scene, keeper, card.number, pin=WRONG)
    assert _failures(scene.db, card.id) == 1


@pytest.mark.parametrize("role", [Role.MEMBER, Role.COORDINATOR, Role.AUDITOR])
def test_only_shopkeepers_and_administrators_show_a_members_statement(
    scene: Scene, role: Role
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    someone = scene.ledger.user(role, f"someone-{role.value}").principal
    with pytest.raises(errors.RoleNotAllowed):
        _statement(scene, someone, card.number)
    assert _attempts(scene.db) == Counter()


def test_wrong_pins_for_a_member_and_at_a_till_lock_the_same_card(
    scene: Scene, ledger: Ledger
) -> None:
    member = scene.members(1)[0]
    card = _card(scene, member)
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    shop = ledger.account(AccountKind.SHOP, keeper, "TRK")
    for _ in range(4):
        with pytest.raises(errors.WrongPin):
            _statement(scene, keeper.principal, card.number, pin=WRONG)
    command = ChargeCommand(shop.id, card.number, WRONG, 5)
    with pytest.raises(errors.WrongPin) as last:
        cards.charge(
            scene.db, scene.settings, keeper.principal, command, _plain(scene.db, keeper.principal)
        )
    assert last.value.extra["locked"] is True


# --- an attendance list ------------------------------------------------------------------------


def test_an_attendance_list_records_each_members_claim_and_says_each_rows_outcome(
    scene: Scene,
) -> None:
    present = scene.members(3)
    numbers = [_card(scene, member).number for member in present]
    activity = scene.activity(reward_amount=15, per_member_limit=1)
    digits = numbers[0].replace(" ", "")
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)

    rows = _attend(scene, scene.coordinator, activity.id, [*numbers, numbers[0], typo, UNKNOWN])

    assert [row.refusal for row in rows] == [
        None,
        None,
        None,
        "card_listed_twice",
        "card_number_mistyped",
        "card_not_found",
    ]
    assert [row.claim.member_id for row in rows[:3] if row.claim] == [m.id for m in present]
    assert all(
        row.claim.recorded_by_id == scene.coordinator.user_id for row in rows[:3] if row.claim
    )
    assert [scene.balance(member.account_id) for member in present] == [15, 15, 15]
    assert len(_audit(scene.db, "claim.recorded_for_member")) == 3
    assert _attempts(scene.db, actor_id=scene.coordinator.user_id) == Counter(wrong=1)
    assert_earning_consistent(scene.db)


def test_a_card_listed_twice_however_typed_is_recorded_once(scene: Scene) -> None:
    """An activity without a per-member limit: the same card on a second line, its digits spaced
    otherwise or by its QR code's URL, is refused as listed twice, never claimed again; a number
    that names no card, listed twice, counts once against the coordinator."""
    [fatima, omar] = scene.members(2)
    card = _card(scene, fatima)
    other = _card(scene, omar).number
    digits = card.number.replace(" ", "")
    spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    activity = scene.activity(reward_amount=10)
    listed = [digits, spaced, other, card.url, f"{digits[:5]}-{digits[5:]}", UNKNOWN, UNKNOWN]

    rows = _attend(scene, scene.coordinator, activity.id, listed)

    assert [row.refusal for row in rows] == [
        None,
        "card_listed_twice",
        None,
        "card_listed_twice",
        "card_listed_twice",
        "card_not_found",
        "card_listed_twice",
    ]
    assert scene.balance(fatima.account_id) == 10
    assert scene.balance(omar.account_id) == 10
    assert [claim.member_id for claim in _claims_of(scene.db)] == [fatima.id, omar.id]
    assert _attempts(scene.db, actor_id=scene.coordinator.user_id) == Counter(wrong=1)
    assert_earning_consistent(scene.db)


def _claims_of(db: Database) -> list[m.Claim]:
    with db.read_session() as session:
        return list(session.query(m.Claim).order_by(m.Claim.id))


def test_one_members_refusal_does_not_undo_the_others(scene: Scene) -> None:
    present = scene.members(3)
    numbers = [_card(scene, member).number for member in present]
    activity = scene.activity(reward_amount=10, capacity=2)
    rows = _attend(scene, scene.coordinator, activity.id, numbers)
    assert [row.refusal for row in rows] == [None, None, "activity_full"]
    assert [scene.balance(member.account_id) for member in present] == [10, 10, 0]
    assert_earning_consistent(scene.db)


def test_an_attendance_list_respects_the_budget(
    ledger: Ledger, settings: Settings, trk: CurrencyView
) -> None:
    scene = make_scene(ledger, settings, funding=25)
    present = scene.members(3)
    numbers = [_card(scene, member).number for member in present]
    activity = scene.activity(reward_amount=10)
    rows = _attend(scene, scene.coordinator, activity.id, numbers)
    assert [row.refusal for row in rows] == [None, None, "budget_exhausted"]
    assert scene.budget() == (5, 0)
    assert_earning_consistent(scene.db)


def test_a_coordinator_of_another_project_cannot_send_an_attendance_list(
    scene: Scene, ledger: Ledger, settings: Settings
) -> None:
    present = scene.members(1)
    numbers = [_card(scene, member).number for member in present]
    stranger = make_scene(ledger, settings).coordinator
    with pytest.raises(errors.NotProjectCoordinator):
        _attend(scene, stranger, scene.activity().id, numbers)
    assert claim_rows(scene.db) == []


@pytest.mark.parametrize("separate", [False, True], ids=["one-engine", "engine-per-thread"])
def test_racing_attendance_lists_never_overfill_the_activity(
    scene: Scene, engines: Engines, ledger: Ledger, separate: bool
) -> None:
    """Four coordinators of one project send their lists of three members at once for an
    activity with room for five: exactly five claims, each list's rows told apart."""
    present = scene.members(12)
    numbers = [_card(scene, member).number for member in present]
    helpers = [scene.coordinator]
    for index in range(3):
        helper = ledger.user(Role.COORDINATOR, f"helper-{index}").principal
        helpers.append(helper)

        def add(ctx: WriteContext, helper: Principal = helper) -> None:
            ctx.session.add(
                m.ProjectCoordinator(project_id=scene.project.id, user_id=helper.user_id)
            )

        write(scene.db, ledger.admin.principal, add)
    activity = scene.activity(reward_amount=10, capacity=5)
    databases = engines(separate, 4)

    outcomes = run_concurrently(
        4,
        lambda i: _attend(
            scene, helpers[i], activity.id, numbers[3 * i : 3 * i + 3], db=databases[i]
        ),
    )

    assert unexpected(outcomes) == []
    rows = [row for listed in successes(outcomes) for row in listed]
    assert Counter(row.refusal for row in rows) == Counter({None: 5, "activity_full": 7})
    assert sum(scene.balance(member.account_id) for member in present) == 50
    assert scalar(scene.db, "SELECT claims_count FROM activities WHERE id = :a", a=activity.id) == 5
    assert_earning_consistent(scene.db)


def test_hours_are_the_same_for_every_member_listed(scene: Scene) -> None:
    present = scene.members(2)
    numbers = [_card(scene, member).number for member in present]
    activity = scene.activity(
        reward_kind=RewardKind.PER_HOUR, reward_amount=4, max_hours=Decimal("6")
    )
    order = AttendanceList(activity.id, numbers, Decimal("2.5"))
    rows = write(
        scene.db, scene.coordinator, lambda ctx: record_attendance(ctx, scene.settings, order)
    )
    assert [row.claim.amount for row in rows if row.claim] == [10, 10]
    assert [scene.balance(member.account_id) for member in present] == [10, 10]
