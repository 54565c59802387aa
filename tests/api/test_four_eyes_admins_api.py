"""Four eyes on who holds an administrator's voice, through the API: while there is more than one
active administrator, setting another administrator's password, deactivating an administrator
and reactivating one answer 202 with the filed request and change nothing, and neither the one
who asked nor the administrator it is about may approve it; a third administrator's approval does
it. Changing one's own password, and acting on users who are not administrators, stay immediate,
and a single administrator still acts alone. An administrator owns no shop or partner account,
and a shop an administrator owns from before takes no payments.

The three ways around four eyes these close: setting a second administrator's password and
approving one's own transfer as them; deactivating the others to make administrators alone; and
charging members' cards at one's own shop to take the tokens out as its owner."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.helpers import API, assert_problem
from tests.conftest import settings_for
from tests.support import PASSWORD, Actor, Ledger
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.identity import lifecycle
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings

THRESHOLD = 100  # whole units
NEW_PASSWORD = "chosen-by-the-setter"
PIN = "4821"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """This module's installation: the shared test settings with a four-eyes threshold."""
    return settings_for(database_url, four_eyes_above=Decimal(THRESHOLD))


@dataclass
class Scene:
    """TRK with a funded budget and a member's funded wallet; three active administrators: the
    one who asks, the one asked about and a third."""

    client: TestClient
    ledger: Ledger
    db: Database
    admin: Actor
    other: Actor
    third: Actor
    budget: AccountView
    wallet: AccountView

    def post(self, path: str, body: Any = None, actor: Actor | None = None) -> Any:
        return self.client.post(f"{API}{path}", json=body, headers=(actor or self.admin).headers)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"{API}{path}", headers=self.admin.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def filed(self, response: Any, kind: str, subject: Actor) -> dict[str, Any]:
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        assert (body["kind"], body["status"], body["requested_by_id"]) == (
            kind,
            "pending",
            self.admin.id,
        )
        assert (body["currency"], body["amount"], body["subject_user_id"]) == (
            None,
            None,
            subject.id,
        )
        assert self.get(f"/approvals/{body['id']}") == body
        return body

    def approve(self, request_id: int, actor: Actor) -> Any:
        return self.post(f"/approvals/{request_id}/approve", None, actor)

    def sign_in(self, username: str, password: str) -> Any:
        return self.client.post(
            f"{API}/auth/token", data={"username": username, "password": password}
        )

    def is_active(self, user: Actor) -> bool:
        return bool(self.get(f"/users/{user.id}")["is_active"])


@pytest.fixture
def scene(client: TestClient, ledger: Ledger, db: Database) -> Scene:
    ledger.currency("TRK")
    budget = ledger.budget(10_000)
    wallet = ledger.funded_member(ledger.user(Role.MEMBER), 5_000)
    return Scene(
        client,
        ledger,
        db,
        ledger.admin,
        ledger.user(Role.ADMIN, "tweede"),
        ledger.user(Role.ADMIN, "derde"),
        budget,
        wallet,
    )


def _deactivated_directly(scene: Scene, user: Actor) -> None:
    """An administrator deactivated before this rule, or by an approved request."""
    write(scene.db, scene.third.principal, lambda ctx: lifecycle.deactivate_user(ctx, user.id))


# --- another administrator's password ------------------------------------------------------------


def test_setting_another_admins_password_waits_and_cannot_approve_ones_own_transfer(
    scene: Scene,
) -> None:
    transfer = {"from_account_id": scene.budget.id, "to_account_id": scene.wallet.id}
    pending = scene.post("/transfers", {**transfer, "amount": THRESHOLD + 1})
    assert pending.status_code == 202, pending.text

    filed = scene.filed(
        scene.post(f"/users/{scene.other.id}/password", {"password": NEW_PASSWORD}),
        "administrator_password",
        scene.other,
    )

    assert filed["payload"] == {"user_id": scene.other.id}
    assert_problem(scene.sign_in("tweede", NEW_PASSWORD), 401, "invalid_credentials")
    assert scene.sign_in("tweede", PASSWORD).status_code == 200
    assert scene.client.get(f"{API}/users/me", headers=scene.other.headers).status_code == 200
    with scene.db.read_session() as session:
        stored = session.get(m.ApprovalRequest, filed["id"])
        assert stored is not None
        assert stored.payload["password_hash"].startswith("$argon2")
        assert NEW_PASSWORD not in str(stored.payload)
        events = session.scalars(select(m.AuditEvent)).all()
        assert all(NEW_PASSWORD not in str(event.after) for event in events)
        assert all("argon2" not in str(event.after) for event in events)
    assert "password_hash" not in str(scene.get("/approvals"))


def test_neither_the_asker_nor_the_one_whose_password_it_is_approves_it(scene: Scene) -> None:
    filed = scene.filed(
        scene.post(f"/users/{scene.other.id}/password", {"password": NEW_PASSWORD}),
        "administrator_password",
        scene.other,
    )
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")
    assert_problem(scene.approve(filed["id"], scene.other), 403, "subject_not_approver")
    assert scene.get(f"/approvals/{filed['id']}")["status"] == "pending"

    approved = scene.approve(filed["id"], scene.third)

    assert approved.status_code == 201, approved.text
    assert approved.json() == {"revoked": 1}
    assert scene.sign_in("tweede", NEW_PASSWORD).status_code == 200
    assert_problem(scene.sign_in("tweede", PASSWORD), 401, "invalid_credentials")
    request = scene.get(f"/approvals/{filed['id']}")
    assert (request["status"], request["decided_by_id"]) == ("approved", scene.third.id)


def test_ones_own_password_is_set_at_once(scene: Scene) -> None:
    answer = scene.post(f"/users/{scene.admin.id}/password", {"password": NEW_PASSWORD})
    assert answer.status_code == 200, answer.text
    changed = scene.post(
        "/me/password",
        {"current_password": PASSWORD, "new_password": "yet-another-password"},
        scene.other,
    )
    assert changed.status_code == 200, changed.text
    listed = scene.client.get(f"{API}/approvals", headers=scene.third.headers)
    assert listed.json() == []


def test_a_members_password_waits_with_the_threshold_set(scene: Scene) -> None:
    """Whoever knows a member's password moves their tokens as their owner: with four eyes on,
    an administrator cannot take a member's place alone by setting it."""
    member = scene.ledger.user(Role.MEMBER, "lid-met-wachtwoord")
    filed = scene.filed(
        scene.post(f"/users/{member.id}/password", {"password": NEW_PASSWORD}),
        "user_password",
        member,
    )
    assert "password_hash" not in filed["payload"]
    assert scene.sign_in(member.principal.username, NEW_PASSWORD).status_code == 401
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")
    approved = scene.approve(filed["id"], scene.other)
    assert approved.status_code == 201, approved.text
    assert approved.json() == {"revoked": 1}
    assert scene.sign_in(member.principal.username, NEW_PASSWORD).status_code == 200


def test_the_only_active_admin_sets_an_inactive_admins_password_at_once(scene: Scene) -> None:
    _deactivated_directly(scene, scene.other)
    write(
        scene.db, scene.admin.principal, lambda ctx: lifecycle.deactivate_user(ctx, scene.third.id)
    )

    answer = scene.post(f"/users/{scene.other.id}/password", {"password": NEW_PASSWORD})

    assert answer.status_code == 200, answer.text
    assert scene.get("/approvals") == []


# --- deactivating and reactivating administrators -------------------------------------------------


def test_deactivating_an_admin_waits_for_one_who_is_not_deactivated(scene: Scene) -> None:
    filed = scene.filed(
        scene.post(f"/users/{scene.other.id}/deactivate"),
        "administrator_deactivation",
        scene.other,
    )
    assert scene.is_active(scene.other)
    assert_problem(scene.approve(filed["id"], scene.other), 403, "subject_not_approver")
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")

    approved = scene.approve(filed["id"], scene.third)

    assert approved.status_code == 201, approved.text
    assert (approved.json()["id"], approved.json()["is_active"]) == (scene.other.id, False)
    assert not scene.is_active(scene.other)
    # Two remain active: a new administrator still waits for a second one.
    made = scene.post(
        "/users",
        {"username": "vierde", "display_name": "V", "role": "admin", "password": NEW_PASSWORD},
    )
    assert made.status_code == 202, made.text


def test_one_admin_cannot_silence_the_others_to_appoint_alone(scene: Scene) -> None:
    for other in (scene.other, scene.third):
        scene.filed(
            scene.post(f"/users/{other.id}/deactivate"), "administrator_deactivation", other
        )
    assert scene.is_active(scene.other)
    assert scene.is_active(scene.third)

    made = scene.post(
        "/users",
        {"username": "stroman", "display_name": "S", "role": "admin", "password": NEW_PASSWORD},
    )

    assert made.status_code == 202, made.text
    assert made.json()["kind"] == "administrator"


def test_what_could_never_be_done_is_refused_at_once_not_filed(scene: Scene) -> None:
    assert_problem(scene.post(f"/users/{scene.other.id}/reactivate"), 409, "user_already_active")
    assert_problem(
        scene.post(f"/users/{scene.admin.id}/deactivate"), 409, "own_user_not_deactivatable"
    )
    assert_problem(scene.post("/users/999999/deactivate"), 404, "user_not_found")
    assert_problem(
        scene.post("/users/999999/password", {"password": NEW_PASSWORD}), 404, "user_not_found"
    )
    _deactivated_directly(scene, scene.other)
    assert_problem(scene.post(f"/users/{scene.other.id}/deactivate"), 409, "user_already_inactive")
    assert scene.get("/approvals") == []


def test_reactivating_an_admin_waits_while_another_admin_is_active(scene: Scene) -> None:
    _deactivated_directly(scene, scene.other)

    filed = scene.filed(
        scene.post(f"/users/{scene.other.id}/reactivate"),
        "administrator_reactivation",
        scene.other,
    )
    assert not scene.is_active(scene.other)
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")

    approved = scene.approve(filed["id"], scene.third)

    assert approved.status_code == 201, approved.text
    assert scene.is_active(scene.other)


def test_the_only_active_admin_reactivates_another_at_once(scene: Scene) -> None:
    _deactivated_directly(scene, scene.other)
    write(
        scene.db, scene.admin.principal, lambda ctx: lifecycle.deactivate_user(ctx, scene.third.id)
    )

    answer = scene.post(f"/users/{scene.other.id}/reactivate")

    assert answer.status_code == 200, answer.text
    assert scene.is_active(scene.other)


def test_users_who_are_not_admins_are_deactivated_and_reactivated_at_once(scene: Scene) -> None:
    keeper = scene.ledger.user(Role.SHOPKEEPER)
    assert scene.post(f"/users/{keeper.id}/deactivate").status_code == 200
    assert scene.post(f"/users/{keeper.id}/reactivate").status_code == 200
    assert scene.get("/approvals") == []


def test_a_filed_deactivation_retried_with_its_key_files_once(scene: Scene) -> None:
    headers = {**scene.admin.headers, "Idempotency-Key": "deactivate-tweede"}
    first = scene.client.post(f"{API}/users/{scene.other.id}/deactivate", headers=headers)
    again = scene.client.post(f"{API}/users/{scene.other.id}/deactivate", headers=headers)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(scene.get("/approvals")) == 1


# --- administrators own no shops -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["shop", "partner"])
def test_an_admin_cannot_open_a_shop_or_partner_account_of_their_own(
    scene: Scene, kind: str
) -> None:
    for owner in (scene.admin, scene.other):
        body = {"currency": "TRK", "kind": kind, "name": "Eigen winkel", "owner_id": owner.id}
        assert_problem(scene.post("/accounts", body), 409, "administrator_cannot_own_shop")
    keeper = scene.ledger.user(Role.SHOPKEEPER)
    body = {"currency": "TRK", "kind": kind, "name": "Winkel", "owner_id": keeper.id}
    assert scene.post("/accounts", body).status_code == 201
    own = {"currency": "TRK", "kind": "member", "name": "Eigen portemonnee"}
    assert scene.post("/accounts", {**own, "owner_id": scene.admin.id}).status_code == 201


def _shop_made_an_admins(scene: Scene, shop: AccountView) -> None:
    """A shop an administrator owns from before the rule."""

    def hand_over(ctx: Any) -> None:
        account = ctx.session.get(m.Account, shop.id)
        account.owner_id = scene.admin.id

    write(scene.db, scene.admin.principal, hand_over)


def test_a_shop_an_admin_owns_takes_no_card_payment_or_payment_request(scene: Scene) -> None:
    keeper = scene.ledger.user(Role.SHOPKEEPER)
    shop = scene.ledger.account(AccountKind.SHOP, keeper)
    member = scene.ledger.user(Role.MEMBER)
    wallet = scene.ledger.funded_member(member, 500)
    card = scene.post("/cards", {"member_id": member.id, "pin": PIN})
    assert card.status_code == 201, card.text
    open_request = scene.post(
        "/payment-requests", {"shop_account_id": shop.id, "amount": 20}, keeper
    )
    assert open_request.status_code == 201, open_request.text
    _shop_made_an_admins(scene, shop)

    charge = {"shop_account_id": shop.id, "card": card.json()["number"], "pin": PIN}
    assert_problem(
        scene.post("/card-payments", {**charge, "amount": 50}), 409, "shop_owned_by_administrator"
    )
    asked = scene.post("/payment-requests", {"shop_account_id": shop.id, "amount": 50})
    assert_problem(asked, 409, "shop_owned_by_administrator")
    paid = scene.post(f"/payment-requests/{open_request.json()['code']}/pay", {}, member)
    assert_problem(paid, 409, "shop_owned_by_administrator")
    assert scene.get(f"/accounts/{wallet.id}/balance")["balance"] == 500
    assert scene.get(f"/accounts/{shop.id}/balance")["balance"] == 0


# --- euros: the rate and where they are paid ------------------------------------------------------


def test_a_new_euro_rate_waits_for_a_second_admin(scene: Scene) -> None:
    """One administrator could otherwise raise the rate, approve a redemption below the threshold
    in tokens worth a fortune in euros, and lower the rate again."""
    asked = scene.client.put(
        f"{API}/currencies/TRK/euro-rate", json={"rate": "1000000"}, headers=scene.admin.headers
    )
    assert asked.status_code == 202, asked.text
    filed = asked.json()
    assert (filed["kind"], filed["currency"], filed["amount"]) == ("euro_rate", None, None)
    assert filed["payload"] == {"currency": "TRK", "rate": "1000000"}
    assert scene.get("/currencies/TRK/rates")[0]["rate"] != "1000000"
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")
    approved = scene.approve(filed["id"], scene.other)
    assert approved.status_code == 201, approved.text
    assert float(approved.json()["rate"]) == 1_000_000
    assert float(scene.get("/currencies/TRK/rates")[0]["rate"]) == 1_000_000


def test_an_admins_change_of_a_shops_iban_waits_but_its_keepers_does_not(scene: Scene) -> None:
    keeper = scene.ledger.user(Role.SHOPKEEPER, "winkelier")
    shop = scene.ledger.account(AccountKind.SHOP, keeper)
    ours = {"iban": "BE71096123456769", "payout_name": "Winkel"}
    theirs = {"iban": "NL91ABNA0417164300", "payout_name": "Somebody else"}
    own = scene.client.put(f"{API}/accounts/{shop.id}/payout", json=ours, headers=keeper.headers)
    assert own.status_code == 200, own.text
    asked = scene.client.put(
        f"{API}/accounts/{shop.id}/payout", json=theirs, headers=scene.admin.headers
    )
    assert asked.status_code == 202, asked.text
    filed = asked.json()
    assert filed["kind"] == "payout_details"
    assert filed["payload"]["iban"] == "NL91ABNA0417164300"
    assert scene.get(f"/accounts/{shop.id}")["iban"] == "BE71096123456769"
    approved = scene.approve(filed["id"], scene.third)
    assert approved.status_code == 201, approved.text
    assert approved.json()["iban"] == "NL91ABNA0417164300"
