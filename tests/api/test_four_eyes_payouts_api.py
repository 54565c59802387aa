"""Four eyes on money leaving without a second look, through the API: with
``TOREKES_FOUR_EYES_ABOVE`` set, an administrator's transfer out of an account they do not own,
approving or paying a redemption, and making or paying a settlement that moves more than the
threshold answer 202 with the filed request and change nothing; a second administrator's
approval does it then (judged again against the state of that moment) and answers what the
action answers; the requester cannot approve; a rejection leaves everything as it was. Making an
administrator while there is more than one active is filed whatever the threshold, keeping only
the password's hash, never shown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.helpers import API, APPROVAL_KEYS, LedgerSnapshot, assert_problem, snapshot
from tests.conftest import settings_for
from tests.support import Actor, Ledger
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings

THRESHOLD = 1000  # whole units
BUDGET_FUNDS = 50_000
MEMBER_FUNDS = 3_000
SHOP_FUNDS = 10_000
IBAN = "BE71096123456769"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """This module's installation: the shared test settings with a four-eyes threshold."""
    return settings_for(database_url, four_eyes_above=Decimal(THRESHOLD))


@dataclass
class Scene:
    """TRK with a funded budget, a member's funded wallet and a shop with payout details; two
    administrators."""

    client: TestClient
    ledger: Ledger
    db: Database
    admin: Actor
    second: Actor
    member: Actor
    keeper: Actor
    budget: AccountView
    wallet: AccountView
    shop: AccountView

    def post(self, path: str, body: Any = None, actor: Actor | None = None) -> Any:
        return self.client.post(f"{API}{path}", json=body, headers=(actor or self.admin).headers)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"{API}{path}", headers=self.admin.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def filed(self, response: Any, kind: str) -> dict[str, Any]:
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        assert set(body) == APPROVAL_KEYS
        assert (body["kind"], body["status"], body["requested_by_id"]) == (
            kind,
            "pending",
            self.admin.id,
        )
        assert body["transaction_id"] is None
        assert self.get(f"/approvals/{body['id']}") == body
        return body

    def approve(self, request_id: int, actor: Actor | None = None) -> Any:
        return self.post(f"/approvals/{request_id}/approve", None, actor or self.second)

    def transfer(self, source: int, target: int, amount: int, actor: Actor | None = None) -> Any:
        body = {"from_account_id": source, "to_account_id": target, "amount": amount}
        return self.post("/transfers", body, actor)

    def balance(self, account_id: int) -> int:
        return int(self.get(f"/accounts/{account_id}/balance")["balance"])

    def snapshot(self) -> LedgerSnapshot:
        return snapshot(self.client, self.admin.headers)

    def redemption(self, amount: int) -> int:
        asked = self.post(
            "/redemptions", {"account_id": self.shop.id, "amount": amount}, self.keeper
        )
        assert asked.status_code == 201, asked.text
        return int(asked.json()["id"])

    def approved_redemption(self, amount: int) -> int:
        """A redemption approved at once (at or under the threshold)."""
        redemption_id = self.redemption(amount)
        approved = self.post(f"/redemptions/{redemption_id}/approve")
        assert approved.status_code == 200, approved.text
        return redemption_id

    def events(self, action: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get("/audit/events", action=action, limit=200)["items"]
        return found


@pytest.fixture
def scene(client: TestClient, ledger: Ledger, db: Database) -> Scene:
    ledger.currency("TRK")
    budget = ledger.budget(BUDGET_FUNDS)
    member = ledger.user(Role.MEMBER)
    wallet = ledger.account(AccountKind.MEMBER, member)
    ledger.transfer(budget.id, wallet.id, MEMBER_FUNDS)
    keeper = ledger.user(Role.SHOPKEEPER)
    shop = ledger.account(AccountKind.SHOP, keeper)
    ledger.transfer(budget.id, shop.id, SHOP_FUNDS)
    found = Scene(
        client,
        ledger,
        db,
        ledger.admin,
        ledger.user(Role.ADMIN),
        member,
        keeper,
        budget,
        wallet,
        shop,
    )
    payout = client.put(
        f"{API}/accounts/{shop.id}/payout",
        json={"iban": IBAN, "payout_name": "Bakkerij"},
        headers=keeper.headers,
    )
    assert payout.status_code == 200, payout.text
    return found


# --- transfers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["budget", "member wallet", "shop"])
def test_an_admins_transfer_out_of_an_account_not_theirs_waits_for_a_second_admin(
    scene: Scene, source: str
) -> None:
    account = {"budget": scene.budget, "member wallet": scene.wallet, "shop": scene.shop}[source]
    target = scene.ledger.account(AccountKind.MEMBER, scene.ledger.user(Role.MEMBER))
    at = scene.transfer(account.id, target.id, THRESHOLD)
    assert at.status_code == 201, at.text
    funds = scene.balance(account.id)
    before = scene.snapshot()

    filed = scene.filed(scene.transfer(account.id, target.id, THRESHOLD + 1), "transfer")

    assert (filed["currency"], filed["amount"]) == ("TRK", THRESHOLD + 1)
    assert filed["payload"] == {
        "from_account_id": account.id,
        "to_account_id": target.id,
        "amount": THRESHOLD + 1,
        "memo": "",
        "metadata": {},
    }
    assert scene.snapshot() == before
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")
    assert scene.snapshot() == before

    approved = scene.approve(filed["id"])

    assert approved.status_code == 201, approved.text
    posted = approved.json()
    assert posted["kind"] == "transfer"
    assert sorted((p["account_id"], p["amount"]) for p in posted["postings"]) == sorted(
        [(account.id, -(THRESHOLD + 1)), (target.id, THRESHOLD + 1)]
    )
    assert scene.balance(account.id) == funds - THRESHOLD - 1
    assert scene.balance(target.id) == 2 * THRESHOLD + 1
    decided = scene.get(f"/approvals/{filed['id']}")
    assert (decided["status"], decided["decided_by_id"], decided["transaction_id"]) == (
        "approved",
        scene.second.id,
        posted["id"],
    )
    assert_problem(scene.approve(filed["id"]), 409, "approval_request_resolved")
    assert scene.balance(account.id) == funds - THRESHOLD - 1


def test_anyone_moving_their_own_tokens_is_never_held_up(scene: Scene) -> None:
    own = scene.ledger.account(AccountKind.MEMBER, scene.admin)
    scene.ledger.transfer(scene.budget.id, own.id, 2 * THRESHOLD)
    mine = scene.transfer(own.id, scene.wallet.id, 2 * THRESHOLD)
    assert mine.status_code == 201, mine.text
    theirs = scene.transfer(scene.wallet.id, scene.shop.id, MEMBER_FUNDS, scene.member)
    assert theirs.status_code == 201, theirs.text
    assert scene.get("/approvals") == []


def test_a_transfer_is_judged_again_at_approval_and_a_rejection_moves_nothing(
    scene: Scene,
) -> None:
    first = scene.filed(scene.transfer(scene.wallet.id, scene.shop.id, 2_000), "transfer")
    second = scene.filed(scene.transfer(scene.wallet.id, scene.shop.id, 2_500), "transfer")
    # The member spends meanwhile: only one of the two can still be covered.
    spent = scene.transfer(scene.wallet.id, scene.shop.id, 700, scene.member)
    assert spent.status_code == 201, spent.text
    assert scene.approve(first["id"]).status_code == 201
    before = scene.snapshot()

    refused = scene.approve(second["id"])

    assert_problem(refused, 409, "insufficient_funds")
    assert scene.snapshot() == before
    assert scene.get(f"/approvals/{second['id']}")["status"] == "pending"
    rejected = scene.post(f"/approvals/{second['id']}/reject", {"note": "no"}, scene.second)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert scene.snapshot() == before
    assert scene.balance(scene.wallet.id) == MEMBER_FUNDS - 700 - 2_000


def test_an_impossible_transfer_is_refused_at_once_not_filed(scene: Scene) -> None:
    too_much = scene.transfer(scene.wallet.id, scene.shop.id, MEMBER_FUNDS + 1)
    assert_problem(too_much, 409, "insufficient_funds")
    assert scene.get("/approvals") == []


def test_a_retried_filed_transfer_replays_the_202_and_files_once(scene: Scene) -> None:
    body = {"from_account_id": scene.budget.id, "to_account_id": scene.shop.id, "amount": 5_000}
    headers = {**scene.admin.headers, "Idempotency-Key": "transfer-5000"}
    first = scene.client.post(f"{API}/transfers", json=body, headers=headers)
    again = scene.client.post(f"{API}/transfers", json=body, headers=headers)
    assert first.status_code == again.status_code == 202, again.text
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(scene.get("/approvals")) == 1


# --- redemptions and settlements ----------------------------------------------------------------


def test_approving_a_large_redemption_waits_and_the_second_admin_fixes_the_euros(
    scene: Scene,
) -> None:
    small = scene.redemption(THRESHOLD)
    assert scene.post(f"/redemptions/{small}/approve").status_code == 200
    large = scene.redemption(THRESHOLD + 1)
    before = scene.snapshot()

    filed = scene.filed(scene.post(f"/redemptions/{large}/approve"), "redemption_approval")

    assert (filed["currency"], filed["amount"], filed["payload"]) == (
        "TRK",
        THRESHOLD + 1,
        {"redemption_id": large},
    )
    assert scene.get(f"/redemptions/{large}")["status"] == "requested"
    assert scene.snapshot() == before
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")

    approved = scene.approve(filed["id"])

    assert approved.status_code == 201, approved.text
    redemption = approved.json()
    assert (redemption["id"], redemption["status"]) == (large, "approved")
    assert redemption["approved_by_id"] == scene.second.id
    assert redemption["euro_cents"] is not None
    assert scene.get(f"/redemptions/{large}") == redemption
    decided = scene.get(f"/approvals/{filed['id']}")
    assert (decided["status"], decided["transaction_id"]) == ("approved", None)
    assert [e["subject_id"] for e in scene.events("redemption.approved")] == [
        str(large),
        str(small),
    ]


def test_a_redemption_rejected_meanwhile_is_not_approved_by_its_request(scene: Scene) -> None:
    large = scene.redemption(2_000)
    filed = scene.filed(scene.post(f"/redemptions/{large}/approve"), "redemption_approval")
    rejected = scene.post(f"/redemptions/{large}/reject", {"reason": "duplicate"})
    assert rejected.status_code == 200, rejected.text

    refused = scene.approve(filed["id"])

    assert_problem(refused, 409)
    assert scene.get(f"/redemptions/{large}")["status"] == "rejected"
    assert scene.get(f"/approvals/{filed['id']}")["status"] == "pending"
    assert scene.balance(scene.shop.id) == SHOP_FUNDS


def test_paying_a_large_redemption_waits_and_posts_once_on_approval(scene: Scene) -> None:
    large = scene.redemption(3_000)
    first = scene.approve(
        scene.filed(scene.post(f"/redemptions/{large}/approve"), "redemption_approval")["id"]
    )
    assert first.status_code == 201, first.text
    before = scene.snapshot()

    filed = scene.filed(
        scene.post(f"/redemptions/{large}/pay", {"payout_reference": "BANK-1"}),
        "redemption_payment",
    )

    assert filed["payload"] == {"redemption_id": large, "payout_reference": "BANK-1"}
    assert scene.get(f"/redemptions/{large}")["status"] == "approved"
    assert scene.snapshot() == before

    paid = scene.approve(filed["id"])

    assert paid.status_code == 201, paid.text
    redemption = paid.json()
    assert (redemption["status"], redemption["payout_reference"]) == ("paid", "BANK-1")
    assert redemption["paid_by_id"] == scene.second.id
    assert scene.get(f"/approvals/{filed['id']}")["transaction_id"] == redemption["transaction_id"]
    assert scene.balance(scene.shop.id) == SHOP_FUNDS - 3_000
    assert scene.get("/audit/verify")["ok"] is True


def test_a_settlement_is_made_and_paid_with_a_second_admin_and_holds_only_what_was_named(
    scene: Scene,
) -> None:
    named = [scene.approved_redemption(600), scene.approved_redemption(700)]
    before = scene.snapshot()

    filed = scene.filed(scene.post("/settlements", {"currency": "TRK"}), "settlement")

    assert (filed["amount"], filed["payload"]) == (
        1_300,
        {"currency": "TRK", "redemption_ids": named},
    )
    assert scene.get("/settlements") == []
    assert scene.snapshot() == before
    later = scene.approved_redemption(100)  # approved after the request: not in it

    made = scene.approve(filed["id"])

    assert made.status_code == 201, made.text
    settlement = made.json()
    assert (settlement["redemption_ids"], settlement["amount"]) == (named, 1_300)
    assert settlement["created_by_id"] == scene.second.id
    assert scene.get(f"/redemptions/{later}")["settlement_id"] is None

    pay = scene.post(f"/settlements/{settlement['id']}/pay", {"payout_reference": "SEPA-7"})
    payment = scene.filed(pay, "settlement_payment")
    assert (payment["amount"], payment["payload"]) == (
        1_300,
        {"settlement_id": settlement["id"], "payout_reference": "SEPA-7"},
    )
    assert scene.get(f"/settlements/{settlement['id']}")["status"] == "open"
    assert scene.balance(scene.shop.id) == SHOP_FUNDS

    paid = scene.approve(payment["id"])

    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["paid_by_id"]) == ("paid", scene.second.id)
    assert scene.balance(scene.shop.id) == SHOP_FUNDS - 1_300
    assert [scene.get(f"/redemptions/{i}")["status"] for i in named] == ["paid", "paid"]
    assert scene.get(f"/approvals/{payment['id']}")["transaction_id"] is None
    assert scene.get("/audit/verify")["ok"] is True


def test_a_small_settlement_is_made_at_once(scene: Scene) -> None:
    scene.approved_redemption(400)
    made = scene.post("/settlements", {"currency": "TRK"})
    assert made.status_code == 201, made.text
    assert_problem(scene.post("/settlements", {"currency": "TRK"}), 409, "nothing_to_settle")
    assert scene.get("/approvals") == []


# --- administrators -----------------------------------------------------------------------------


def _new_admin(scene: Scene, username: str, actor: Actor | None = None) -> Any:
    body = {
        "username": username,
        "display_name": "Nieuwe Beheerder",
        "role": "admin",
        "password": "a-long-enough-password",
    }
    return scene.post("/users", body, actor)


def test_with_more_than_one_admin_a_new_admin_waits_for_a_second_one(scene: Scene) -> None:
    filed = scene.filed(_new_admin(scene, "derde"), "administrator")

    assert (filed["currency"], filed["amount"]) == (None, None)
    assert filed["payload"] == {
        "username": "derde",
        "display_name": "Nieuwe Beheerder",
        "role": "admin",
    }
    with scene.db.read_session() as session:
        assert session.scalars(select(m.User).where(m.User.username == "derde")).all() == []
        stored = session.get(m.ApprovalRequest, filed["id"])
        assert stored is not None
        assert stored.payload["password_hash"].startswith("$argon2")
        assert "a-long-enough-password" not in str(stored.payload)
        events = session.scalars(select(m.AuditEvent)).all()
        assert all("argon2" not in str(event.after) for event in events)
    assert "password" not in str(scene.get("/approvals"))
    assert_problem(scene.approve(filed["id"], scene.admin), 403, "own_request_not_approvable")

    approved = scene.approve(filed["id"])

    assert approved.status_code == 201, approved.text
    user = approved.json()
    assert (user["username"], user["role"], user["is_active"]) == ("derde", "admin", True)
    signed_in = scene.client.post(
        f"{API}/auth/token", data={"username": "derde", "password": "a-long-enough-password"}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert scene.get(f"/approvals/{filed['id']}")["status"] == "approved"


def test_a_taken_or_weak_new_admin_is_refused_at_once(scene: Scene) -> None:
    assert_problem(_new_admin(scene, "root-admin"), 409, "username_taken")
    weak = scene.post(
        "/users",
        {"username": "zwak", "display_name": "Z", "role": "admin", "password": "short"},
    )
    assert_problem(weak, 422, "validation_error")
    assert scene.get("/approvals") == []


def test_the_only_admin_makes_a_second_one_at_once_and_other_roles_never_wait(
    client: TestClient, ledger: Ledger
) -> None:
    only = ledger.admin
    made = client.post(
        f"{API}/users",
        json={
            "username": "tweede",
            "display_name": "Tweede",
            "role": "admin",
            "password": "a-long-enough-password",
        },
        headers=only.headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["role"] == "admin"
    third = client.post(
        f"{API}/users",
        json={
            "username": "derde",
            "display_name": "Derde",
            "role": "admin",
            "password": "a-long-enough-password",
        },
        headers=only.headers,
    )
    assert third.status_code == 202, third.text
    member = client.post(
        f"{API}/users",
        json={
            "username": "lid",
            "display_name": "Lid",
            "role": "member",
            "password": "a-long-enough-password",
        },
        headers=only.headers,
    )
    assert member.status_code == 201, member.text
