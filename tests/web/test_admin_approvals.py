"""The approvals queue page (four eyes): with a threshold set, approving a large redemption,
making a settlement and making another administrator on the admin pages files a request and
leads to it in the queue; the requester sees it waiting and can only withdraw it; a second
administrator approves or rejects it there, in Dutch and in English; auditors see it with no
form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import settings_for
from tests.support import Ledger
from tests.web.conftest import form_fields, signed_in
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.redemption import payouts, redemptions
from torekes.settings import Settings

EN = {"Accept-Language": "en"}
NL = {"Accept-Language": "nl"}
THRESHOLD = 100
QUEUE = "/admin/approvals"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return settings_for(database_url, four_eyes_above=Decimal(THRESHOLD))


@dataclass
class World:
    ledger: Ledger
    settings: Settings
    redemption_id: int

    def status(self, redemption_id: int) -> str:
        with self.ledger.db.read_session() as session:
            row = session.get(m.Redemption, redemption_id)
            assert row is not None
            return row.status

    def requests(self, status: str) -> int:
        with self.ledger.db.read_session() as session:
            statement = select(func.count()).where(m.ApprovalRequest.status == status)
            return session.scalar(statement.select_from(m.ApprovalRequest)) or 0


@pytest.fixture
def world(ledger: Ledger, settings: Settings) -> World:
    ledger.currency("TRK")
    ledger.user(Role.ADMIN, "beheer")
    ledger.user(Role.ADMIN, "tweede")
    ledger.user(Role.AUDITOR, "controle")
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    shop = ledger.account(AccountKind.SHOP, keeper)
    budget = ledger.budget(1000)
    ledger.transfer(budget.id, shop.id, 400)
    write(
        ledger.db,
        keeper.principal,
        lambda ctx: payouts.set_payout_details(ctx, shop.id, "BE71096123456769", "Bakkerij"),
    )
    asked = write(
        ledger.db, keeper.principal, lambda ctx: redemptions.request(ctx, shop.id, 250, "")
    )
    return World(ledger, settings, asked.id)


@pytest.fixture
def first(world: World) -> Iterator[TestClient]:
    with signed_in(world.settings, "beheer") as client:
        yield client


@pytest.fixture
def second(world: World) -> Iterator[TestClient]:
    with signed_in(world.settings, "tweede") as client:
        yield client


def _post(
    client: TestClient, page: str, action: str, lang: dict[str, str] = EN, **data: str
) -> Any:
    fields = form_fields(client.get(page).text, action)
    return client.post(action, data={**fields, **data}, headers=lang, follow_redirects=False)


def _file_redemption_approval(world: World, first: TestClient) -> str:
    filed = _post(first, "/admin/redemptions", f"/admin/redemptions/{world.redemption_id}/approve")
    assert filed.status_code == 303, filed.text
    location: str = filed.headers["location"]
    assert location.startswith(f"{QUEUE}#approval-")
    return location.split("-")[-1]


def test_a_large_approval_on_the_redemptions_page_waits_in_the_queue(
    world: World, first: TestClient, second: TestClient
) -> None:
    request_id = _file_redemption_approval(world, first)
    assert world.status(world.redemption_id) == "requested"

    mine = first.get(QUEUE, headers=EN)
    assert mine.status_code == 200
    assert "Approving a redemption" in mine.text
    assert "You asked for this: another administrator approves it." in mine.text
    assert f'action="{QUEUE}/{request_id}/approve"' not in mine.text
    refused = _post(first, QUEUE, f"{QUEUE}/{request_id}/approve")
    assert refused.status_code == 403, refused.text
    assert "another administrator must approve it" in refused.text
    assert world.status(world.redemption_id) == "requested"

    queue = second.get(QUEUE, headers=NL)
    assert "Wacht op een tweede beheerder" in queue.text
    assert "Een inwisseling goedkeuren" in queue.text
    assert f'action="{QUEUE}/{request_id}/approve"' in queue.text

    approved = _post(second, QUEUE, f"{QUEUE}/{request_id}/approve", NL)

    assert approved.status_code == 303, approved.text
    assert world.status(world.redemption_id) == "approved"
    again = _post(second, QUEUE, f"{QUEUE}/{request_id}/approve", NL)
    assert "Over deze aanvraag is al beslist" in again.text
    assert "Onlangs beslist" in second.get(QUEUE, headers=NL).text


def test_a_second_admin_rejects_in_english_and_the_requester_may_withdraw(
    world: World, first: TestClient, second: TestClient
) -> None:
    request_id = _file_redemption_approval(world, first)
    rejected = _post(second, QUEUE, f"{QUEUE}/{request_id}/reject", reason="Too much")
    assert rejected.status_code == 303, rejected.text
    assert world.status(world.redemption_id) == "requested"
    assert world.requests("rejected") == 1
    page = second.get(QUEUE, headers=EN).text
    assert "Too much" in page
    assert "No request waits for approval." in page

    withdrawn_id = _file_redemption_approval(world, first)
    withdrawn = _post(first, QUEUE, f"{QUEUE}/{withdrawn_id}/reject", reason="Mistake")
    assert withdrawn.status_code == 303, withdrawn.text
    assert world.requests("rejected") == 2
    assert world.status(world.redemption_id) == "requested"


def test_a_new_administrator_from_the_users_page_waits_for_a_second_one(
    world: World, first: TestClient, second: TestClient
) -> None:
    filed = _post(
        first,
        "/admin/users",
        "/admin/users",
        username="derde",
        display_name="Derde Beheerder",
        role="admin",
        password="a-long-enough-password",
    )
    assert filed.status_code == 303, filed.text
    assert filed.headers["location"].startswith(f"{QUEUE}#approval-")
    request_id = filed.headers["location"].split("-")[-1]
    queue = second.get(QUEUE, headers=EN).text
    assert "A new administrator" in queue
    assert "Derde Beheerder" in queue
    assert "argon2" not in queue

    assert _post(second, QUEUE, f"{QUEUE}/{request_id}/approve").status_code == 303

    with world.ledger.db.read_session() as session:
        made = session.scalars(select(m.User).where(m.User.username == "derde")).one()
        assert made.role == "admin"


def test_an_auditor_sees_the_queue_without_a_form(world: World, first: TestClient) -> None:
    _file_redemption_approval(world, first)
    with signed_in(world.settings, "controle") as auditor:
        page = auditor.get(QUEUE, headers=EN)
    assert page.status_code == 200
    assert "Approving a redemption" in page.text
    assert 'method="post" action="/admin/approvals' not in page.text
