"""Claiming from the phone: the page a claim QR opens says what the activity pays, one button
claims it, the next page shows the new balance (or that a coordinator approves first), and every
refusal is a page in plain words that changed nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import new_activity, new_batch, new_project
from tests.apps import app_for
from tests.support import PASSWORD, Actor, Ledger
from tests.web.conftest import BASE, csrf_of, hidden_fields, signed_in
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.earning import activities
from torekes.earning.read_models import ProjectView
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings


@pytest.fixture
def project(ledger: Ledger) -> ProjectView:
    ledger.currency()
    return new_project(ledger, 1000)


@pytest.fixture
def volunteer(ledger: Ledger, project: ProjectView) -> tuple[Actor, AccountView]:
    actor = ledger.user(Role.MEMBER, "jonas")
    return actor, ledger.account(AccountKind.MEMBER, actor)


@pytest.fixture
def phone(settings: Settings, volunteer: tuple[Actor, AccountView]) -> Iterator[TestClient]:
    with signed_in(settings, "jonas") as client:
        yield client


def _balance(ledger: Ledger, account_id: int) -> int:
    with ledger.db.read_session() as session:
        account = session.get(m.Account, account_id)
        assert account is not None
        return account.balance


def _code(ledger: Ledger, project: ProjectView, **activity: Any) -> str:
    made = new_activity(ledger, project.id, **activity)
    return new_batch(ledger, made.id).codes[0].code


def test_a_volunteer_claims_a_fixed_reward_and_sees_the_new_balance(
    phone: TestClient, ledger: Ledger, project: ProjectView, volunteer: tuple[Actor, AccountView]
) -> None:
    code = _code(ledger, project, requires_approval=False, reward_amount=25, title="Sweeping")
    page = phone.get(f"/c/{code}")
    assert page.status_code == 200
    assert "Sweeping" in page.text
    assert ">25<" in page.text
    assert 'name="hours"' not in page.text
    done = phone.post(f"/c/{code}", data=hidden_fields(page.text))
    assert done.status_code == 201, done.text
    assert "Dank je wel" in done.text
    assert "<strong>25 TRK</strong>" in done.text
    assert _balance(ledger, volunteer[1].id) == 25
    # Back on the code's page: the member's own claim, not a refusal.
    again = phone.get(f"/c/{code}")
    assert again.status_code == 200
    assert "Al door jou geclaimd" in again.text
    # The same form again (a double tap, a reload) shows the first claim and pays nothing.
    twice = phone.post(f"/c/{code}", data=hidden_fields(page.text))
    assert twice.status_code == 201, twice.text
    assert _balance(ledger, volunteer[1].id) == 25


def test_a_double_tap_on_a_posters_code_claims_once(
    phone: TestClient, ledger: Ledger, project: ProjectView, volunteer: tuple[Actor, AccountView]
) -> None:
    """A poster's code may be used again, so only the form's one-time key tells a second tap
    from a second claim."""
    made = new_activity(ledger, project.id, requires_approval=False, reward_amount=10)
    later = datetime.now(UTC) + timedelta(days=7)
    poster = new_batch(ledger, made.id, kind=CodeKind.MULTI, max_uses=50, expires_at=later)
    code = poster.codes[0].code
    form = hidden_fields(phone.get(f"/c/{code}").text)
    first = phone.post(f"/c/{code}", data=form)
    second = phone.post(f"/c/{code}", data=form)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert _balance(ledger, volunteer[1].id) == 10
    # Claiming again is a new form with a key of its own.
    assert phone.post(f"/c/{code}", data=hidden_fields(phone.get(f"/c/{code}").text)).is_success
    assert _balance(ledger, volunteer[1].id) == 20


def test_per_hour_asks_the_hours_and_pays_them(
    phone: TestClient, ledger: Ledger, project: ProjectView, volunteer: tuple[Actor, AccountView]
) -> None:
    code = _code(
        ledger,
        project,
        requires_approval=False,
        reward_kind=RewardKind.PER_HOUR,
        reward_amount=10,
        max_hours=Decimal(4),
    )
    page = phone.get(f"/c/{code}")
    assert '<label for="hours">' in page.text
    assert "per uur" in page.text
    assert "Hoogstens 4 uur" in page.text
    for typed, expected in (
        ("", "hoeveel uur"),
        ("abc", "Typ alleen cijfers, zoals 1,5."),
        ("9", "Typ tussen 0,05 en 4 uur."),
        ("0", "Typ tussen 0,05 en 4 uur."),
        ("1.5", "Gebruik “,” voor decimalen"),
        ("1,125", "Typ de uren met hoogstens twee decimalen, zoals 1,25."),
    ):
        refused = phone.post(f"/c/{code}", data={**hidden_fields(page.text), "hours": typed})
        assert refused.status_code == 422, typed
        assert expected in refused.text
        # The claim's page again, with what was typed and the range next to the field.
        assert re.search(f'name="hours"[^>]* value="{typed}"', refused.text)
        assert re.search(f'id="hours-problem">[^<]*{re.escape(expected)}', refused.text)
    assert _balance(ledger, volunteer[1].id) == 0
    done = phone.post(f"/c/{code}", data={**hidden_fields(page.text), "hours": "1,5"})
    assert done.status_code == 201, done.text
    assert _balance(ledger, volunteer[1].id) == 15


def test_a_claim_awaiting_approval_says_so(
    phone: TestClient, ledger: Ledger, project: ProjectView, volunteer: tuple[Actor, AccountView]
) -> None:
    code = _code(ledger, project, requires_approval=True)
    page = phone.get(f"/c/{code}")
    assert "coördinator bekijkt" in page.text
    done = phone.post(f"/c/{code}", data=hidden_fields(page.text))
    assert done.status_code == 201
    assert "keurt je claim binnenkort goed" in done.text
    assert _balance(ledger, volunteer[1].id) == 0


@pytest.mark.parametrize(("action", "words"), [("pause", "gepauzeerd"), ("close", "afgelopen")])
def test_a_paused_or_closed_activity_is_explained(
    phone: TestClient, ledger: Ledger, project: ProjectView, action: str, words: str
) -> None:
    made = new_activity(ledger, project.id)
    code = new_batch(ledger, made.id).codes[0].code
    for step in {"pause": ["pause"], "close": ["pause", "close"]}[action]:
        write(
            ledger.db,
            ledger.admin.principal,
            partial(activities.change_status, activity_id=made.id, action=step),
        )
    page = phone.get(f"/c/{code}")
    assert page.status_code == 409
    assert words in page.text


def test_an_unknown_code_and_a_shopkeeper_get_plain_pages(
    settings: Settings, phone: TestClient, ledger: Ledger, project: ProjectView
) -> None:
    unknown = phone.get("/c/nothing-like-a-code")
    assert unknown.status_code == 404
    assert "kennen we niet" in unknown.text
    code = _code(ledger, project)
    ledger.user(Role.SHOPKEEPER, "bakker")
    with TestClient(app_for(settings), base_url=BASE) as shop:
        form = shop.get("/login")
        shop.post(
            "/login",
            data={"username": "bakker", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        )
        refused = shop.get(f"/c/{code}")
        assert refused.status_code == 403
        assert "kan dat niet" in refused.text


def test_signed_out_the_claim_link_signs_in_first(
    settings: Settings, ledger: Ledger, project: ProjectView
) -> None:
    code = _code(ledger, project)
    with TestClient(app_for(settings), base_url=BASE) as client:
        away = client.get(f"/c/{code}", follow_redirects=False)
        assert away.headers["location"] == f"/login?next=/c/{code}"


def test_claiming_without_the_pages_csrf_token_is_refused(
    phone: TestClient, ledger: Ledger, project: ProjectView, volunteer: tuple[Actor, AccountView]
) -> None:
    code = _code(ledger, project, requires_approval=False)
    refused = phone.post(f"/c/{code}", data={"csrf_token": "f" * 64})
    assert refused.status_code == 403
    assert _balance(ledger, volunteer[1].id) == 0


def test_switching_the_language_on_the_claim_page_keeps_the_typed_hours(
    phone: TestClient, ledger: Ledger, project: ProjectView, volunteer: tuple[Actor, AccountView]
) -> None:
    code = _code(
        ledger,
        project,
        requires_approval=False,
        reward_kind=RewardKind.PER_HOUR,
        reward_amount=10,
        max_hours=Decimal(4),
    )
    path = f"/c/{code}"
    page = phone.get(path).text
    assert 'form="claim" formaction="/language/en" formmethod="post"' in page
    switched = phone.post(
        "/language/en",
        data={**hidden_fields(page), "hours": "2,5", "next": path},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    english = phone.get(switched.headers["location"]).text
    assert '<html lang="en"' in english
    assert re.search(r'name="hours"[^>]* value="2,5"', english)
    assert _balance(ledger, volunteer[1].id) == 0  # switching the language claims nothing
