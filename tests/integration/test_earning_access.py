"""Who may do what on the earning side: coordinators act only inside their own projects, members
only claim, auditors read everything and write nothing. Every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from tests.integration.earning_support import (
    Member,
    Scene,
    coordinator,
    make_scene,
    people,
    project,
    snapshot,
)
from tests.support import Ledger
from torekes.audit import verification
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.earning import CodeKind, RewardKind
from torekes.earning import activities, claim_codes, claims, projects
from torekes.earning.read_models import (
    ActivityView,
    ClaimView,
    CodeView,
    ProjectView,
    ResolutionOutcome,
)
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import journal
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings


@dataclass(frozen=True)
class World:
    """Two funded projects, each with its coordinator, activity, codes and claims."""

    garden: Scene
    kitchen: Scene
    garden_activity: ActivityView
    garden_codes: list[CodeView]
    garden_pending: ClaimView
    garden_paid: ClaimView
    kitchen_activity: ActivityView
    volunteer: Member
    other_volunteer: Member


@pytest.fixture
def world(ledger: Ledger, settings: Settings, trk: CurrencyView) -> World:
    garden = make_scene(ledger, settings, funding=1000)
    kitchen = make_scene(ledger, settings, funding=1000)
    activity = garden.activity(reward_amount=10, requires_approval=True)
    codes = garden.codes(activity.id, 4)
    volunteer, other = garden.members(2)
    pending = garden.claim(volunteer.principal, codes[0].code)
    instant = garden.activity(reward_amount=5, title="Watering")
    paid = garden.claim(other.principal, garden.codes(instant.id)[0].code)
    kitchen_activity = kitchen.activity(reward_amount=8, title="Cooking")
    kitchen.claim(other.principal, kitchen.codes(kitchen_activity.id)[0].code)
    return World(
        garden, kitchen, activity, codes, pending, paid, kitchen_activity, volunteer, other
    )


def resolve_many(ctx: WriteContext, ids: list[int], decision: str) -> list[ResolutionOutcome]:
    return claims.resolve_many(ctx, ids, decision)


def create_own_project(ctx: WriteContext) -> ProjectView:
    return projects.create_project(ctx, projects.ProjectCommand("Own", "TRK"))


def refused(
    world: World, error: type[errors.TorekesError], action: Callable[[], Any]
) -> errors.TorekesError:
    before = snapshot(world.garden.db)
    with pytest.raises(error) as caught:
        action()
    assert isinstance(caught.value, errors.Forbidden)  # a 403, whatever the detail
    assert snapshot(world.garden.db) == before
    return caught.value


def project_writes(world: World, actor: Principal) -> dict[str, Callable[[], Any]]:
    """Every write inside the garden project, done by ``actor``."""
    garden, db, settings = world.garden, world.garden.db, world.garden.settings
    activity_id = world.garden_activity.id
    code_id = world.garden_codes[1].id
    pending_id = world.garden_pending.id
    command = activities.ActivityCommand("Intrusion", "", RewardKind.FIXED, 1000)
    batch = claim_codes.BatchCommand(CodeKind.SINGLE, 5)

    def run(operation: Callable[[Any], Any]) -> Callable[[], Any]:
        return lambda: write(db, actor, operation)

    return {
        "create activity": run(
            lambda ctx: activities.create_activity(ctx, garden.project.id, command)
        ),
        "pause activity": run(lambda ctx: activities.change_status(ctx, activity_id, "pause")),
        "close activity": run(lambda ctx: activities.change_status(ctx, activity_id, "close")),
        "create codes": run(
            lambda ctx: claim_codes.create_batch(ctx, settings, activity_id, batch)
        ),
        "revoke code": run(lambda ctx: claim_codes.revoke_code(ctx, settings, code_id)),
        "approve": run(lambda ctx: claims.approve(ctx, pending_id)),
        "reject": run(lambda ctx: claims.reject(ctx, pending_id, "no")),
    }


@pytest.mark.parametrize("who", ["member", "other coordinator", "auditor", "shopkeeper"])
def test_nobody_but_the_projects_coordinators_writes_in_it(
    ledger: Ledger, world: World, who: str
) -> None:
    actor = {
        "member": world.volunteer.principal,
        "other coordinator": world.kitchen.coordinator,
        "auditor": people(ledger, Role.AUDITOR, 1)[0],
        "shopkeeper": people(ledger, Role.SHOPKEEPER, 1)[0],
    }[who]
    for name, action in project_writes(world, actor).items():
        error = refused(world, errors.NotProjectCoordinator, action)
        assert error.code == "not_project_coordinator", name
    # In bulk, a role that can never decide is refused outright; another project's coordinator
    # has each claim refused on its own. Nothing changes either way.
    before = snapshot(world.garden.db)
    for decision in ("approve", "reject"):
        decide = partial(resolve_many, ids=[world.garden_pending.id], decision=decision)
        if who != "other coordinator":
            with pytest.raises(errors.RoleNotAllowed):
                write(world.garden.db, actor, decide)
            continue
        outcomes = write(world.garden.db, actor, decide)
        assert [(o.ok, o.error_code) for o in outcomes] == [(False, "not_project_coordinator")]
    assert snapshot(world.garden.db) == before


def test_the_projects_coordinator_and_an_administrator_do_write_in_it(
    ledger: Ledger, world: World
) -> None:
    for actor in (world.garden.coordinator, ledger.admin.principal):
        writes = project_writes(world, actor)
        for name in ("create activity", "create codes", "revoke code", "pause activity"):
            writes[name]()
        write(
            world.garden.db,
            actor,
            lambda ctx: activities.change_status(ctx, world.garden_activity.id, "resume"),
        )
    world.garden.approve(world.garden_pending.id, ledger.admin.principal)


def test_a_second_coordinator_added_to_the_project_may_act_in_it(
    ledger: Ledger, world: World
) -> None:
    helper = coordinator(ledger)
    approve = project_writes(world, helper)["approve"]
    refused(world, errors.NotProjectCoordinator, approve)
    write(
        world.garden.db,
        ledger.admin.principal,
        lambda ctx: projects.add_coordinator(ctx, world.garden.project.id, helper.user_id),
    )
    assert approve().status == "paid"


def test_a_coordinator_reads_nothing_of_another_project(world: World) -> None:
    db, settings, outsider = world.garden.db, world.garden.settings, world.kitchen.coordinator
    garden = world.garden.project.id
    activity = world.garden_activity.id
    reads: list[Callable[[], Any]] = [
        lambda: projects.get_project(db, outsider, garden),
        lambda: activities.list_activities(db, outsider, garden),
        lambda: activities.get_activity(db, outsider, activity),
        lambda: activities.summary(db, outsider, activity),
        lambda: claim_codes.get_batch(db, settings, outsider, world.garden_codes[0].batch_id),
        lambda: claim_codes.get_code(db, settings, outsider, world.garden_codes[0].id),
        lambda: claims.list_claims(db, outsider, claims.ClaimQuery(project_id=garden)),
        lambda: verification.verify(db, outsider),
    ]
    for read in reads:
        refused(world, errors.Forbidden, read)
    # Unfiltered lists show only their own project.
    assert [p.id for p in projects.list_projects(db, outsider)] == [world.kitchen.project.id]
    listed = claims.list_claims(db, outsider, claims.ClaimQuery()).items
    assert {c.activity_id for c in listed} == {world.kitchen_activity.id}
    mine = claims.list_claims(db, world.garden.coordinator, claims.ClaimQuery()).items
    assert sorted(c.id for c in mine) == sorted([world.garden_pending.id, world.garden_paid.id])


def test_a_coordinator_cannot_touch_another_projects_budget(world: World) -> None:
    db, outsider = world.garden.db, world.kitchen.coordinator
    budget = world.garden.budget_id
    target = world.volunteer.account_id
    refused(
        world,
        errors.Forbidden,
        lambda: write(
            db,
            outsider,
            lambda ctx: journal.transfer(ctx, journal.TransferCommand(budget, target, 100, "mine")),
        ),
    )
    refused(
        world,
        errors.Forbidden,
        lambda: write(
            db, outsider, lambda ctx: journal.issue(ctx, journal.IssuanceCommand(budget, 100, "x"))
        ),
    )
    # Nor, through their own activity, make the other project pay.
    own_budget_before = world.kitchen.budget()
    garden_budget_before = world.garden.budget()
    code = world.kitchen.codes(world.kitchen_activity.id)[0]
    world.kitchen.claim(world.volunteer.principal, code.code)
    assert world.garden.budget() == garden_budget_before
    assert world.kitchen.budget() == (own_budget_before[0] - 8, 0)


def test_a_member_reads_only_their_own_claims(world: World) -> None:
    db, member = world.garden.db, world.volunteer.principal
    own = claims.list_claims(db, member, claims.ClaimQuery()).items
    assert [c.id for c in own] == [world.garden_pending.id]
    refused(
        world,
        errors.RoleNotAllowed,
        lambda: claims.list_claims(
            db, member, claims.ClaimQuery(member_id=world.other_volunteer.id)
        ),
    )
    for read in (
        lambda: projects.get_project(db, member, world.garden.project.id),
        lambda: activities.summary(db, member, world.garden_activity.id),
    ):
        refused(world, errors.Forbidden, read)


def test_an_auditor_reads_everything_and_writes_nothing(ledger: Ledger, world: World) -> None:
    db, (auditor,) = world.garden.db, people(ledger, Role.AUDITOR, 1)
    garden = world.garden.project.id
    assert {p.id for p in projects.list_projects(db, auditor)} == {
        garden,
        world.kitchen.project.id,
    }
    assert projects.get_project(db, auditor, garden).budget_held == 10
    assert world.garden_activity.id in [
        a.id for a in activities.list_activities(db, auditor, garden)
    ]
    assert activities.summary(db, auditor, world.garden_activity.id).claims_pending == 1
    assert len(claims.list_claims(db, auditor, claims.ClaimQuery()).items) == 3
    assert verification.verify(db, auditor).ok

    refused(
        world,
        errors.RoleNotAllowed,
        lambda: world.garden.claim(auditor, world.garden_codes[1].code),
    )
    refused(
        world,
        errors.RoleNotAllowed,
        lambda: write(
            db,
            auditor,
            lambda ctx: projects.create_project(ctx, projects.ProjectCommand("Audit", "TRK")),
        ),
    )
    refused(
        world,
        errors.RoleNotAllowed,
        lambda: write(
            db,
            auditor,
            lambda ctx: projects.add_coordinator(ctx, garden, world.kitchen.coordinator.user_id),
        ),
    )


def test_only_an_administrator_creates_projects_and_names_coordinators(
    ledger: Ledger, world: World
) -> None:
    db = world.garden.db
    for actor in (world.garden.coordinator, world.volunteer.principal):
        refused(
            world,
            errors.RoleNotAllowed,
            partial(write, db, actor, create_own_project),
        )
    # A project's coordinators must be coordinators.
    before = snapshot(db)
    with pytest.raises(errors.InvalidInput):
        project(ledger, [world.volunteer.principal], 0)
    assert snapshot(db) == before
