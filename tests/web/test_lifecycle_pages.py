"""A user's life cycle on the pages: the administrator's user page deactivates, reactivates and
sets a new password, the cards page resets a PIN, and every person changes their own password
(and a member their card's PIN) on their account page. Each form runs once per one-time key,
needs its CSRF token, and a refusal is a page in the person's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support import PASSWORD, Actor, Ledger
from tests.web.conftest import BASE, hidden_fields, signed_in
from torekes.app import create_app
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.kit.unit_of_work import write
from torekes.settings import Settings
from torekes.spending import cards
from torekes.spending.read_models import CardView
from torekes.web.session import SESSION_COOKIE

EN = {"Accept-Language": "en"}
NL = {"Accept-Language": "nl"}
PIN = "2580"
NEW_PASSWORD = "a-brand-new-secret"


@dataclass
class World:
    ledger: Ledger
    settings: Settings
    admin: Actor
    member: Actor
    card: CardView


@pytest.fixture
def world(ledger: Ledger, settings: Settings) -> World:
    ledger.currency("TRK")
    admin = ledger.user(Role.ADMIN, "beheer")
    ledger.user(Role.AUDITOR, "controle")
    member = ledger.user(Role.MEMBER, "fatima")
    ledger.funded_member(member, 50)
    card = write(
        ledger.db,
        admin.principal,
        lambda ctx: cards.issue_card(ctx, settings, member.id, PIN),
    )
    return World(ledger, settings, admin, member, card)


@pytest.fixture
def admin(world: World) -> Iterator[TestClient]:
    with signed_in(world.settings, "beheer") as client:
        yield client


@pytest.fixture
def member(world: World) -> Iterator[TestClient]:
    with signed_in(world.settings, "fatima") as client:
        yield client


def form_of(client: TestClient, page: str, action: str, headers: dict[str, str]) -> dict[str, str]:
    """The hidden fields of the form on ``page`` that posts to ``action``."""
    html = client.get(page, headers=headers).text
    found = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    assert found is not None, html
    return hidden_fields(found.group(0))


def send(
    client: TestClient,
    page: str,
    action: str,
    headers: dict[str, str] = EN,
    fields: dict[str, str] | None = None,
    **data: str,
) -> Any:
    hidden = fields if fields is not None else form_of(client, page, action, headers)
    return client.post(action, data={**hidden, **data}, headers=headers, follow_redirects=False)


def events(world: World, action: str) -> int:
    with world.ledger.db.read_session() as session:
        statement = select(func.count()).where(m.AuditEvent.action == action)
        return session.scalar(statement) or 0


def signed_in_still(client: TestClient) -> bool:
    return client.get("/wallet", follow_redirects=False).status_code == 200


def test_the_administrator_deactivates_and_reactivates_a_member_once_per_form(
    world: World, admin: TestClient, member: TestClient
) -> None:
    page = f"/admin/users/{world.member.id}"
    action = f"{page}/deactivate"
    fields = form_of(admin, page, action, EN)
    done = send(admin, page, action, fields=fields)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{page}?done=deactivated"
    shown = admin.get(done.headers["location"], headers=EN).text
    assert "is deactivated" in shown
    assert 'id="user-state">deactivated<' in shown
    assert not signed_in_still(member)
    # The same form again (a double tap): the first outcome, not a refusal, and nothing more.
    again = send(admin, page, action, fields=fields)
    assert again.status_code == 303
    assert events(world, "user.deactivated") == 1
    # Another form to deactivate her again: refused in the person's language.
    stale = send(admin, page, action, fields={**fields, "key": "another-form"}, headers=NL)
    assert stale.status_code == 409
    assert "Deze gebruiker is al gedeactiveerd." in stale.text

    reactivated = send(admin, page, f"{page}/reactivate")
    assert reactivated.status_code == 303, reactivated.text
    assert events(world, "user.reactivated") == 1
    with signed_in(world.settings, "fatima") as again_signed_in:
        assert signed_in_still(again_signed_in)


def test_the_administrator_sets_a_new_password(
    world: World, admin: TestClient, member: TestClient
) -> None:
    page = f"/admin/users/{world.member.id}"
    weak = send(admin, page, f"{page}/password", headers=NL, password="short")
    assert weak.status_code == 422
    assert "Gebruik minstens 8 tekens" in weak.text
    done = send(admin, page, f"{page}/password", password=NEW_PASSWORD)
    assert done.status_code == 303, done.text
    assert not signed_in_still(member)
    assert events(world, "user.password_set") == 1
    with TestClient(create_app(world.settings), base_url=BASE) as browser:
        form = hidden_fields(browser.get("/login").text)
        response = browser.post(
            "/login",
            data={**form, "username": "fatima", "password": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303


def test_an_administrator_has_no_deactivate_form_for_themself(
    world: World, admin: TestClient
) -> None:
    page = f"/admin/users/{world.admin.id}"
    html = admin.get(page, headers=EN).text
    assert f'action="{page}/deactivate"' not in html
    other = f"/admin/users/{world.member.id}"
    fields = form_of(admin, other, f"{other}/deactivate", EN)
    refused = send(admin, page, f"{page}/deactivate", fields={**fields, "key": "mine"})
    assert refused.status_code == 409
    assert "You cannot deactivate yourself" in refused.text
    assert signed_in_still(admin)


def test_an_auditor_reads_the_user_page_without_forms_and_cannot_act(world: World) -> None:
    page = f"/admin/users/{world.member.id}"
    with signed_in(world.settings, "controle") as auditor:
        html = auditor.get(page, headers=EN).text
        assert "fatima" in html
        assert "/deactivate" not in html
        assert "/password" not in html
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
        assert csrf is not None
        refused = auditor.post(
            f"{page}/deactivate", data={"csrf_token": csrf.group(1)}, follow_redirects=False
        )
        assert refused.status_code == 403
    assert events(world, "user.deactivated") == 0


def test_the_cards_page_resets_a_locked_cards_pin(world: World, admin: TestClient) -> None:
    with world.ledger.db.write_session() as session:
        row = session.get(m.MemberCard, world.card.id)
        assert row is not None
        row.pin_failures = 5
        session.commit()
    action = f"/admin/cards/{world.card.id}/reset-pin"
    bad = send(admin, "/admin/cards", action, headers=NL, pin="12a4")
    assert bad.status_code == 422
    assert "Een pincode heeft 4 tot 6 cijfers." in bad.text
    done = send(admin, "/admin/cards", action, pin="97531")
    assert done.status_code == 303, done.text
    shown = admin.get(done.headers["location"], headers=EN).text
    assert "The card has its new PIN and is unlocked." in shown
    with world.ledger.db.read_session() as session:
        row = session.get(m.MemberCard, world.card.id)
        assert row is not None
        assert row.pin_failures == 0
    assert events(world, "card.pin_reset") == 1


def test_a_member_changes_their_password_on_the_account_page(
    world: World, member: TestClient
) -> None:
    with signed_in(world.settings, "fatima") as elsewhere:
        action = "/account/password"
        wrong = send(
            member,
            "/account",
            action,
            headers=NL,
            current_password="not-my-password",
            new_password=NEW_PASSWORD,
            repeat_password=NEW_PASSWORD,
        )
        assert wrong.status_code == 403
        assert "Je huidige wachtwoord klopt niet." in wrong.text
        different = send(
            member,
            "/account",
            action,
            current_password=PASSWORD,
            new_password=NEW_PASSWORD,
            repeat_password="something-else",
        )
        assert different.status_code == 422
        assert "not the same" in different.text
        fields = form_of(member, "/account", action, EN)
        body = {
            **fields,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        }
        done = send(member, "/account", action, fields=body)
        assert done.status_code == 303, done.text
        assert "Your password is changed." in member.get(done.headers["location"], headers=EN).text
        assert signed_in_still(member)
        assert not signed_in_still(elsewhere)
        # A double tap: the first outcome, although the old password is no longer current.
        assert send(member, "/account", action, fields=body).status_code == 303
        assert events(world, "user.password_changed") == 1


def test_a_member_changes_their_cards_pin_on_the_account_page(
    world: World, member: TestClient
) -> None:
    html = member.get("/account", headers=EN).text
    assert world.card.number in html
    wrong = send(
        member, "/account", "/account/pin", current_pin="1111", new_pin="4321", repeat_pin="4321"
    )
    assert wrong.status_code == 403
    assert "The PIN is not right." in wrong.text
    done = send(
        member, "/account", "/account/pin", current_pin=PIN, new_pin="4321", repeat_pin="4321"
    )
    assert done.status_code == 303, done.text
    assert events(world, "card.pin_changed") == 1
    with world.ledger.db.read_session() as session:
        row = session.get(m.MemberCard, world.card.id)
        assert row is not None
        assert row.pin_failures == 0


def test_a_wrong_pin_sent_twice_with_one_form_counts_once(world: World, member: TestClient) -> None:
    fields = form_of(member, "/account", "/account/pin", EN)
    typed = {**fields, "current_pin": "1111", "new_pin": "4321", "repeat_pin": "4321"}
    first = send(member, "/account", "/account/pin", fields=typed)
    again = send(member, "/account", "/account/pin", fields=typed)
    assert first.status_code == again.status_code == 403
    assert "The PIN is not right." in again.text
    with world.ledger.db.read_session() as session:
        row = session.get(m.MemberCard, world.card.id)
        assert row is not None
        assert row.pin_failures == 1


def test_people_without_a_card_see_only_the_password_form(world: World) -> None:
    with signed_in(world.settings, "beheer") as browser:
        html = browser.get("/account", headers=EN).text
        assert 'action="/account/password"' in html
        assert 'action="/account/pin"' not in html


def _card_sign_in(settings: Settings, number: str) -> int:
    with TestClient(create_app(settings), base_url=BASE) as counter:
        form = hidden_fields(counter.get("/login/card").text)
        response = counter.post(
            "/login/card",
            data={**form, "number": number, "pin": PIN},
            follow_redirects=False,
        )
        assert (SESSION_COOKIE in counter.cookies) == (response.status_code == 303)
        return response.status_code


def test_a_deactivated_members_card_signs_in_again_only_after_reactivation(
    world: World, admin: TestClient
) -> None:
    page = f"/admin/users/{world.member.id}"
    assert send(admin, page, f"{page}/deactivate").status_code == 303
    assert _card_sign_in(world.settings, world.card.number) == 401
    assert send(admin, page, f"{page}/reactivate").status_code == 303
    assert _card_sign_in(world.settings, world.card.number) == 303


def test_another_administrators_password_and_deactivation_lead_to_the_filed_requests(
    world: World, admin: TestClient
) -> None:
    other = world.ledger.user(Role.ADMIN, "tweede-beheer")
    world.ledger.user(Role.ADMIN, "derde-beheer")
    page = f"/admin/users/{other.id}"

    filed = [
        send(admin, page, f"{page}/password", password=NEW_PASSWORD),
        send(admin, page, f"{page}/deactivate"),
    ]
    for response in filed:
        assert response.status_code == 303, response.text
        assert re.fullmatch(r"/admin/approvals#approval-\d+", response.headers["location"])

    assert events(world, "user.password_set") == 0
    assert events(world, "user.deactivated") == 0
    assert events(world, "approval.requested") == 2
    queue = admin.get("/admin/approvals", headers=NL).text
    assert "Het wachtwoord van een andere beheerder" in queue
    assert "Een beheerder deactiveren" in queue
    assert NEW_PASSWORD not in queue
    with signed_in(world.settings, "tweede-beheer") as subject:
        seen = subject.get("/admin/approvals", headers=NL).text
        assert seen.count("Dit gaat over jou: een andere beheerder keurt het goed.") == 2
        assert "/approve" not in seen
