"""The coordinator's pages: projects with their budget and hours, activities created, paused and
closed, sheets of claim QR codes to print, and claims approved or rejected in bulk. Coordinators
act only in their own projects, auditors only read (and never see codes), other roles are
refused, and every refusal is a page that changed nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.api.conftest import claim, new_activity, new_batch, new_project
from tests.apps import app_for
from tests.support import Actor, Ledger
from tests.web.conftest import BASE, csrf_of, new_form, signed_in
from torekes.db import models as m
from torekes.documents import qr
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import RewardKind
from torekes.earning import claim_codes, projects
from torekes.earning.projects import ProjectCommand
from torekes.earning.read_models import ActivityView, ProjectView
from torekes.kit.unit_of_work import write
from torekes.settings import Settings

ENGLISH = {"Accept-Language": "en"}


@dataclass(frozen=True)
class Scene:
    """Two projects with a coordinator each, an activity in each with a waiting claim."""

    garden: ProjectView
    square: ProjectView
    weeding: ActivityView
    sweeping: ActivityView
    chris: Actor
    olga: Actor
    jonas: Actor
    garden_claim: int
    square_claim: int


@pytest.fixture
def scene(ledger: Ledger) -> Scene:
    ledger.currency()
    chris = ledger.user(Role.COORDINATOR, "chris")
    olga = ledger.user(Role.COORDINATOR, "olga")
    garden = new_project(ledger, 1000, chris, name="Garden")
    square = new_project(ledger, 500, olga, name="Square")
    weeding = new_activity(ledger, garden.id, title="Weeding", reward_amount=25)
    sweeping = new_activity(ledger, square.id, title="Sweeping", reward_amount=15)
    jonas = ledger.user(Role.MEMBER, "jonas")
    ledger.account(AccountKind.MEMBER, jonas)
    garden_claim, square_claim = (
        claim(ledger, jonas, new_batch(ledger, activity.id).codes[0].code).id
        for activity in (weeding, sweeping)
    )
    ledger.user(Role.AUDITOR, "audrey")
    ledger.user(Role.SHOPKEEPER, "bakker")
    return Scene(garden, square, weeding, sweeping, chris, olga, jonas, garden_claim, square_claim)


@pytest.fixture
def browser(settings: Settings, scene: Scene) -> Iterator[TestClient]:
    with signed_in(settings, "chris") as client:
        yield client


def _count(ledger: Ledger, model: Any, **where: Any) -> int:
    with ledger.db.read_session() as session:
        statement = select(func.count()).select_from(model).filter_by(**where)
        return session.scalar(statement) or 0


def _activity(ledger: Ledger, activity_id: int) -> m.Activity:
    with ledger.db.read_session() as session:
        found = session.get(m.Activity, activity_id)
        assert found is not None
        return found


def _claim_statuses(ledger: Ledger) -> dict[int, str]:
    with ledger.db.read_session() as session:
        return {row.id: row.status for row in session.scalars(select(m.Claim))}


def _budget(ledger: Ledger, project: ProjectView) -> tuple[int, int]:
    with ledger.db.read_session() as session:
        account = session.get(m.Account, project.budget_account_id)
        assert account is not None
        return account.balance, account.held


def _token(client: TestClient, path: str = "/projects") -> str:
    return csrf_of(client.get(path).text)


def _fresh(client: TestClient, path: str = "/projects") -> dict[str, str]:
    """The hidden fields of a form of the page at ``path``, drawn a moment ago."""
    return new_form(client.get(path).text)


def _form_key(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def _activity_form(**changes: str) -> dict[str, str]:
    form = {
        "title": "Reading to children",
        "description": "At the library",
        "reward_kind": "per_hour",
        "reward_amount": "25",
        "max_hours": "3",
        "requires_approval": "1",
    }
    form.update(changes)
    return form


# --- who may see what ------------------------------------------------------------------------


def test_a_coordinator_sees_their_own_projects_with_the_budget_left(
    browser: TestClient, scene: Scene
) -> None:
    page = browser.get("/projects")
    assert page.status_code == 200
    assert "Garden" in page.text
    assert "Square" not in page.text
    assert "975 TRK over" in page.text  # 1000 funded, 25 held for the waiting claim
    assert f'href="/projects/{scene.garden.id}"' in page.text


@pytest.mark.parametrize("username", ["root-admin", "audrey"])
def test_administrators_and_auditors_see_every_project(
    settings: Settings, scene: Scene, username: str
) -> None:
    with signed_in(settings, username) as client:
        page = client.get("/projects", headers=ENGLISH)
        assert page.status_code == 200
        assert "Garden" in page.text
        assert "Square" in page.text
        assert "485 TRK left" in page.text


def _paths(scene: Scene, batch_id: int) -> list[str]:
    return [
        "/projects",
        f"/projects/{scene.garden.id}",
        f"/projects/{scene.garden.id}/claims",
        f"/activities/{scene.weeding.id}",
        f"/activities/{scene.weeding.id}/close",
        f"/sheets/{batch_id}",
    ]


def test_signed_out_visitors_are_sent_to_sign_in(
    settings: Settings, ledger: Ledger, scene: Scene
) -> None:
    batch = new_batch(ledger, scene.weeding.id)
    with TestClient(app_for(settings), base_url=BASE) as stranger:
        for path in _paths(scene, batch.id):
            sent = stranger.get(path, follow_redirects=False)
            assert sent.status_code == 303, path
            assert sent.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("username", ["jonas", "bakker"])
def test_members_and_shopkeepers_are_refused(
    settings: Settings, ledger: Ledger, scene: Scene, username: str
) -> None:
    batch = new_batch(ledger, scene.weeding.id)
    before = _claim_statuses(ledger)
    with signed_in(settings, username) as client:
        for path in _paths(scene, batch.id):
            refused = client.get(path)
            assert refused.status_code == 403, path
            assert "Met jouw account kan dat niet" in refused.text
        token = _token(client, "/")
        for path, form in _every_post(scene):
            refused = client.post(path, data={"csrf_token": token, **form})
            assert refused.status_code == 403, path
    _assert_nothing_changed(ledger, scene, before, batches=1)


def _every_post(scene: Scene) -> list[tuple[str, dict[str, str]]]:
    pending = str(scene.garden_claim)
    return [
        (f"/projects/{scene.garden.id}/activities", _activity_form()),
        (f"/activities/{scene.weeding.id}/pause", {}),
        (f"/activities/{scene.weeding.id}/close", {}),
        (f"/activities/{scene.weeding.id}/sheets", {"count": "3", "kind": "single"}),
        (f"/projects/{scene.garden.id}/claims", {"decision": "approve", "claim": pending}),
    ]


def _assert_nothing_changed(
    ledger: Ledger, scene: Scene, before: dict[int, str], batches: int = 0
) -> None:
    assert _claim_statuses(ledger) == before
    assert _count(ledger, m.Activity) == 2
    assert _count(ledger, m.CodeBatch) == 2 + batches
    assert _activity(ledger, scene.weeding.id).status == "active"
    assert _activity(ledger, scene.sweeping.id).status == "active"


def test_another_projects_pages_are_refused_and_nothing_changes(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    batch = new_batch(ledger, scene.sweeping.id)
    before = _claim_statuses(ledger)
    for path in [
        f"/projects/{scene.square.id}",
        f"/projects/{scene.square.id}/claims",
        f"/activities/{scene.sweeping.id}",
        f"/activities/{scene.sweeping.id}/close",
        f"/sheets/{batch.id}",
    ]:
        refused = browser.get(path)
        assert refused.status_code == 403, path
        assert "coördineert dit project niet" in refused.text
    token = _token(browser)
    for path, form in [
        (f"/projects/{scene.square.id}/activities", _activity_form()),
        (f"/activities/{scene.sweeping.id}/pause", {}),
        (f"/activities/{scene.sweeping.id}/resume", {}),
        (f"/activities/{scene.sweeping.id}/close", {}),
        (f"/activities/{scene.sweeping.id}/sheets", {"count": "3"}),
        (
            f"/projects/{scene.square.id}/claims",
            {"decision": "approve", "claim": str(scene.square_claim)},
        ),
    ]:
        refused = browser.post(path, data={"csrf_token": token, **form})
        assert refused.status_code == 403, path
    _assert_nothing_changed(ledger, scene, before, batches=1)


def test_a_claim_of_another_project_is_not_decided_from_this_one(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    before = _claim_statuses(ledger)
    page = browser.get(f"/projects/{scene.garden.id}/claims")
    refused = browser.post(
        f"/projects/{scene.garden.id}/claims",
        data={
            **new_form(page.text),
            "decision": "approve",
            "claim": str(scene.square_claim),
        },
    )
    assert refused.status_code == 409
    assert "niet bekend in dit project" in refused.text
    assert _claim_statuses(ledger) == before


def test_an_auditor_reads_but_sees_no_codes_and_changes_nothing(
    settings: Settings, ledger: Ledger, scene: Scene
) -> None:
    batch = new_batch(ledger, scene.weeding.id)
    before = _claim_statuses(ledger)
    with signed_in(settings, "audrey") as auditor:
        project = auditor.get(f"/projects/{scene.garden.id}", headers=ENGLISH)
        assert project.status_code == 200
        assert "Weeding" in project.text
        assert "New activity" not in project.text
        assert "/pause" not in project.text
        activity = auditor.get(f"/activities/{scene.weeding.id}", headers=ENGLISH)
        assert activity.status_code == 200
        assert 'id="new-sheet"' not in activity.text
        assert f'href="/sheets/{batch.id}"' not in activity.text
        claims = auditor.get(f"/projects/{scene.garden.id}/claims", headers=ENGLISH)
        assert claims.status_code == 200
        assert "Jonas" in claims.text
        assert 'name="claim"' not in claims.text
        assert "Approve selected" not in claims.text
        sheet = auditor.get(f"/sheets/{batch.id}")
        assert sheet.status_code == 403
        assert batch.codes[0].short_code not in sheet.text
        assert auditor.get(f"/activities/{scene.weeding.id}/close").status_code == 403
        token = csrf_of(project.text)
        for path, form in _every_post(scene):
            refused = auditor.post(path, data={"csrf_token": token, **form})
            assert refused.status_code == 403, path
    _assert_nothing_changed(ledger, scene, before, batches=1)


# --- the project page ------------------------------------------------------------------------


def test_the_project_page_shows_the_budget_the_hours_and_the_activities(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    reading = new_activity(
        ledger,
        scene.garden.id,
        title="Reading",
        reward_kind=RewardKind.PER_HOUR,
        reward_amount=20,
        max_hours=Decimal(3),
        requires_approval=False,
    )
    claim(ledger, scene.jonas, new_batch(ledger, reading.id).codes[0].code, hours=Decimal("1.5"))
    new_activity(ledger, scene.garden.id, "pause", title="Planting")
    page = browser.get(f"/projects/{scene.garden.id}", headers=ENGLISH)
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert '<dd class="funded" data-figure="1000">+ 1,000 TRK</dd>' in text
    assert '<dd class="paid" data-figure="-30">\u2212 30 TRK</dd>' in text
    assert '<dd class="other" data-figure="0">+ 0 TRK</dd>' in text
    assert '<dd class="left" data-figure="970">970 TRK</dd>' in text
    assert '<dd class="held">25 TRK</dd>' in text
    assert '<dd class="available">945 TRK</dd>' in text
    assert '<th scope="row">This month</th> <td>1.5</td> <td>30</td> <td>1</td> <td>1</td>' in text
    assert '<th scope="row">In total</th> <td>1.5</td> <td>30</td> <td>1</td> <td>1</td>' in text
    assert "Claims waiting for approval: 1" in text
    assert "20 TRK per hour, at most 3 hours" in text
    assert "25 TRK per claim" in text
    assert f'action="/activities/{reading.id}/pause"' in text
    assert "Paused" in text
    assert f'href="/activities/{reading.id}/close"' in text
    dutch = browser.get(f"/projects/{scene.garden.id}")
    assert "Beschikbaar" in dutch.text
    assert "20 TRK per uur, hoogstens 3 uur" in dutch.text


def test_a_coordinator_creates_an_activity_paying_per_hour(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    page = browser.get(f"/projects/{scene.garden.id}")
    form = {**new_form(page.text), "key": _form_key(page.text), **_activity_form()}
    form.update(capacity="40", period_limit="1", period="day", valid_until="2099-06-30T18:00")
    made = browser.post(
        f"/projects/{scene.garden.id}/activities", data=form, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    again = browser.post(
        f"/projects/{scene.garden.id}/activities", data=form, follow_redirects=False
    )
    assert again.headers["location"] == location
    assert _count(ledger, m.Activity, project_id=scene.garden.id) == 2
    activity_id = int(location.rsplit("/", 1)[1])
    created = _activity(ledger, activity_id)
    assert created.reward_kind == "per_hour"
    assert created.reward_amount == 25
    assert created.max_hours == Decimal(3)
    assert created.capacity == 40
    assert (created.period_limit, created.period) == (1, "day")
    assert created.requires_approval is True
    assert created.valid_until is not None
    shown = browser.get(location)
    assert "Reading to children" in shown.text
    assert 'id="new-sheet"' in shown.text


def test_typed_amounts_follow_the_currency_decimals(ledger: Ledger, settings: Settings) -> None:
    ledger.currency("EUT", decimals=2)
    chris = ledger.user(Role.COORDINATOR, "chris")
    command = ProjectCommand("Kitchen", "EUT", [chris.id])
    kitchen = write(
        ledger.db, ledger.admin.principal, lambda ctx: projects.create_project(ctx, command)
    )
    with signed_in(settings, "chris") as client:
        page = client.get(f"/projects/{kitchen.id}")
        form = {
            **new_form(page.text),
            **_activity_form(reward_kind="fixed", reward_amount="12,50", max_hours=""),
        }
        made = client.post(f"/projects/{kitchen.id}/activities", data=form)
        assert made.status_code == 200
        assert "12,50 EUT per claim" in made.text
    with ledger.db.read_session() as session:
        assert session.scalars(select(m.Activity.reward_amount)).one() == 1250


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": ""}, "Geef de activiteit een naam"),
        ({"title": "x" * 201}, "Geef de activiteit een naam"),
        ({"reward_kind": "gift"}, "vaste beloning of een beloning per uur"),
        ({"reward_amount": ""}, "Typ de beloning"),
        ({"reward_amount": "2,5"}, "Alleen hele"),
        ({"reward_amount": "-3"}, "Typ het getal zonder + of -."),
        ({"reward_amount": "1e3"}, "Typ alleen cijfers, zoals 1.250."),
        ({"max_hours": ""}, "per claim hoogstens"),
        ({"max_hours": "1,234"}, "Typ de uren met hoogstens twee decimalen, zoals 1,25."),
        ({"max_hours": "25"}, "Typ tussen 0,01 en 24 uur."),
        ({"capacity": "many"}, "geheel getal"),
        ({"capacity": "0"}, "geheel getal"),
        ({"period_limit": "2"}, "passen niet bij elkaar"),
        ({"period": "year", "period_limit": "2"}, "een dag of een week"),
        ({"valid_from": "tomorrow"}, "datum en dat uur kloppen niet"),
        ({"valid_from": "2099-01-02T10:00", "valid_until": "2099-01-01T10:00"}, "passen niet"),
    ],
)
def test_bad_input_is_a_page_that_creates_nothing(
    browser: TestClient, ledger: Ledger, scene: Scene, changes: dict[str, str], words: str
) -> None:
    form = {**_fresh(browser), **_activity_form(**changes)}
    refused = browser.post(f"/projects/{scene.garden.id}/activities", data=form)
    assert refused.status_code == 422, refused.text
    assert words in refused.text
    assert _count(ledger, m.Activity) == 2


def test_pause_resume_and_close_after_confirming(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    activity = scene.weeding.id
    pause = _fresh(browser)
    paused = browser.post(f"/activities/{activity}/pause", data=pause)
    assert paused.status_code == 200
    assert _activity(ledger, activity).status == "paused"
    # The same form again (a double tap) shows the project again and changes nothing; another
    # pause form finds the activity paused already.
    repeat = browser.post(f"/activities/{activity}/pause", data=pause, follow_redirects=False)
    assert repeat.status_code == 303
    assert _activity(ledger, activity).status == "paused"
    twice = browser.post(f"/activities/{activity}/pause", data=_fresh(browser))
    assert twice.status_code == 409
    assert "al in die toestand" in twice.text
    browser.post(f"/activities/{activity}/resume", data=_fresh(browser))
    assert _activity(ledger, activity).status == "active"
    confirm = browser.get(f"/activities/{activity}/close", headers=ENGLISH)
    assert "Closing is final" in confirm.text
    assert f'action="/activities/{activity}/close"' in confirm.text
    assert _activity(ledger, activity).status == "active"
    closed = browser.post(f"/activities/{activity}/close", data={**new_form(confirm.text)})
    assert closed.status_code == 200
    assert _activity(ledger, activity).status == "closed"
    resumed = browser.post(f"/activities/{activity}/resume", data=_fresh(browser))
    assert resumed.status_code == 409
    assert _activity(ledger, activity).status == "closed"
    shown = browser.get(f"/activities/{activity}")
    assert 'id="new-sheet"' not in shown.text
    token = _token(browser)
    refused = browser.post(
        f"/activities/{activity}/sheets", data={"csrf_token": token, "key": "k" * 20, "count": "2"}
    )
    assert refused.status_code == 409
    assert _count(ledger, m.CodeBatch) == 2


def test_every_post_needs_the_pages_csrf_token(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    before = _claim_statuses(ledger)
    browser.get("/projects")
    for path, form in _every_post(scene):
        for token in ("", "0" * 64):
            refused = browser.post(path, data={"csrf_token": token, **form})
            assert refused.status_code == 403, path
    _assert_nothing_changed(ledger, scene, before)


# --- sheets ----------------------------------------------------------------------------------


def test_a_sheet_prints_every_codes_claim_url_as_a_qr(
    browser: TestClient, ledger: Ledger, settings: Settings, scene: Scene
) -> None:
    page = browser.get(f"/activities/{scene.weeding.id}", headers=ENGLISH)
    assert "Create the sheet" in page.text
    form = {
        **new_form(page.text),
        "key": _form_key(page.text),
        "count": "4",
        "kind": "single",
    }
    made = browser.post(f"/activities/{scene.weeding.id}/sheets", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    assert re.fullmatch(r"/sheets/\d+", location)
    again = browser.post(
        f"/activities/{scene.weeding.id}/sheets", data=form, follow_redirects=False
    )
    assert again.headers["location"] == location
    assert _count(ledger, m.CodeBatch, activity_id=scene.weeding.id) == 2
    with ledger.db.read_session() as session:
        batch = session.get(m.CodeBatch, int(location.rsplit("/", 1)[1]))
        assert batch is not None
    view = claim_codes.get_batch(ledger.db, settings, ledger.admin.principal, batch.id)
    listed = browser.get(f"/activities/{scene.weeding.id}", headers=ENGLISH)
    assert f'<a href="{location}">4 codes, made' in listed.text
    sheet = browser.get(location, headers=ENGLISH)
    assert sheet.status_code == 200
    assert sheet.text.count('<li class="code"') == 4
    assert 'id="print"' in sheet.text
    assert "/static/coordinating.js" in sheet.text
    for code in view.codes:
        assert code.url == f"{settings.public_base_url}/c/{code.code}"
        assert qr.inline_svg(code.url) in sheet.text
        assert f'<p class="short-code">{code.short_code}</p>' in sheet.text
    css = browser.get("/static/coordinating.css").text
    assert "@page { size: A4" in css
    assert ".bar, .noprint { display: none" in css


def test_the_api_sheet_prints_the_same_codes(
    client: TestClient, ledger: Ledger, settings: Settings, scene: Scene
) -> None:
    batch = new_batch(ledger, scene.weeding.id, count=2)
    sheet = client.get(f"/api/v1/code-batches/{batch.id}/sheet", headers=ledger.admin.headers)
    assert sheet.status_code == 200
    for code in batch.codes:
        assert qr.inline_svg(code.url) in sheet.text
        assert code.short_code in sheet.text


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"count": ""}, "1 tot 500 codes"),
        ({"count": "0"}, "1 tot 500 codes"),
        ({"count": "501"}, "1 tot 500 codes"),
        ({"count": "three"}, "1 tot 500 codes"),
        ({"count": "2", "kind": "poster"}, "eenmaal of meermaals"),
        ({"count": "2", "kind": "multi", "max_uses": "50"}, "Er klopt iets niet"),
        ({"count": "2", "expires_at": "2001-01-01T10:00"}, "Er klopt iets niet"),
        ({"count": "2", "expires_at": "soon"}, "vervaldatum in de toekomst"),
    ],
)
def test_a_bad_sheet_is_refused_and_makes_no_codes(
    browser: TestClient, ledger: Ledger, scene: Scene, form: dict[str, str], words: str
) -> None:
    refused = browser.post(
        f"/activities/{scene.weeding.id}/sheets", data={**_fresh(browser), **form}
    )
    assert refused.status_code == 422, refused.text
    assert words in refused.text
    assert _count(ledger, m.CodeBatch) == 2


# --- claims ----------------------------------------------------------------------------------


def test_claims_are_approved_in_bulk_and_each_outcome_is_shown(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    more = [
        claim(ledger, scene.jonas, new_batch(ledger, scene.weeding.id).codes[0].code)
        for _ in range(2)
    ]
    first = scene.garden_claim
    page = browser.get(f"/projects/{scene.garden.id}/claims", headers=ENGLISH)
    assert page.status_code == 200
    assert page.text.count('name="claim"') == 3
    assert 'id="select-all"' in page.text
    assert "Jonas" in page.text
    assert "Weeding" in page.text
    assert "Approve selected" in page.text
    assert "Reject selected" in page.text
    # One of them is decided elsewhere first: that one is refused, the others still go through.
    browser.post(
        f"/projects/{scene.garden.id}/claims",
        data={**new_form(page.text), "decision": "reject", "claim": str(first)},
    )
    form = {
        **new_form(page.text),
        "key": _form_key(page.text),
        "decision": "approve",
        "claim": [str(first), str(more[0].id), str(more[1].id)],
    }
    done = browser.post(f"/projects/{scene.garden.id}/claims", data=form, headers=ENGLISH)
    assert done.status_code == 200
    assert done.text.count('<strong class="outcome">Approved</strong>') == 2
    assert "already been decided" in done.text
    statuses = _claim_statuses(ledger)
    assert [statuses[first], statuses[more[0].id], statuses[more[1].id]] == [
        "rejected",
        "paid",
        "paid",
    ]
    assert _budget(ledger, scene.garden) == (950, 0)
    replay = browser.post(f"/projects/{scene.garden.id}/claims", data=form, headers=ENGLISH)
    assert replay.text.count('<strong class="outcome">Approved</strong>') == 2
    assert _budget(ledger, scene.garden) == (950, 0)
    emptied = browser.get(f"/projects/{scene.garden.id}/claims")
    assert 'name="claim"' not in emptied.text


def test_rejecting_releases_the_hold_with_the_reason(
    browser: TestClient, ledger: Ledger, scene: Scene
) -> None:
    pending = scene.garden_claim
    page = browser.get(f"/projects/{scene.garden.id}/claims")
    done = browser.post(
        f"/projects/{scene.garden.id}/claims",
        data={
            **new_form(page.text),
            "decision": "reject",
            "reason": "Not seen at the garden",
            "claim": str(pending),
        },
    )
    assert done.status_code == 200
    assert "Afgewezen" in done.text
    assert _budget(ledger, scene.garden) == (1000, 0)
    with ledger.db.read_session() as session:
        row = session.get(m.Claim, pending)
        assert row is not None
        assert row.reject_reason == "Not seen at the garden"


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"decision": "approve"}, "Kies minstens één claim"),
        ({"decision": "approve", "claim": "abc"}, "Kies minstens één claim"),
        ({"decision": "approve", "claim": "0"}, "Kies minstens één claim"),
        ({"decision": "maybe", "claim": "1"}, "goedkeuren of afwijzen"),
        ({"decision": "reject", "claim": "1", "reason": "x" * 501}, "reden is te lang"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    browser: TestClient, ledger: Ledger, scene: Scene, form: dict[str, str], words: str
) -> None:
    before = _claim_statuses(ledger)
    refused = browser.post(f"/projects/{scene.garden.id}/claims", data={**_fresh(browser), **form})
    assert refused.status_code == 422, refused.text
    assert words in refused.text
    assert _claim_statuses(ledger) == before
