"""A month's redemption as a shop and an administrator live it, through the API: the shop gives
its IBAN and asks; the tokens are held at once; the admin approves at the rate in force, the rate
changes afterwards, and paying moves exactly the held tokens to the redemption account with the
euro amount of the approval; a second request is rejected and its tokens are free again."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import API, assert_problem
from torekes.domain.access import Role

IBAN = "BE71 0961 2345 6769"


def test_a_shop_redeems_tokens_for_euros(client: TestClient, world: World) -> None:
    shop = world.own[Role.SHOPKEEPER]
    keeper = world.headers(Role.SHOPKEEPER)
    admin = world.admin.headers

    missing = client.post(
        f"{API}/redemptions", json={"account_id": shop.id, "amount": 60}, headers=keeper
    )
    assert_problem(missing, 409, "payout_details_missing")
    payout = client.put(
        f"{API}/accounts/{shop.id}/payout",
        json={"iban": IBAN, "payout_name": "Bakkerij Rabot"},
        headers=keeper,
    )
    assert payout.status_code == 200, payout.text
    assert payout.json()["iban"] == "BE71096123456769"
    assert payout.json()["redeemable"] is True

    asked = client.post(
        f"{API}/redemptions", json={"account_id": shop.id, "amount": 60}, headers=keeper
    )
    assert asked.status_code == 201, asked.text
    redemption = asked.json()
    assert redemption["status"] == "requested"
    account = client.get(f"{API}/accounts/{shop.id}", headers=keeper).json()
    assert (account["held"], account["available"]) == (60, OWN_FUNDS - 60)

    approved = client.post(f"{API}/redemptions/{redemption['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["euro_cents"] == 600  # 60 tokens at EUR 0.10
    again = client.post(f"{API}/redemptions/{redemption['id']}/approve", headers=admin)
    assert_problem(again, 409, "redemption_already_approved")

    rate = client.put(f"{API}/currencies/TRK/euro-rate", json={"rate": "0.12"}, headers=admin)
    assert rate.status_code == 200, rate.text
    history = client.get(f"{API}/currencies/TRK/rates", headers=world.headers(Role.AUDITOR))
    assert [item["rate"] for item in history.json()][:2] == ["0.12000000", "0.10000000"]

    paid = client.post(
        f"{API}/redemptions/{redemption['id']}/pay",
        json={"payout_reference": "SEPA 2026-11-25/1"},
        headers=admin,
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert paid.json()["euro_cents"] == 600
    twice = client.post(
        f"{API}/redemptions/{redemption['id']}/pay",
        json={"payout_reference": "again"},
        headers=admin,
    )
    assert_problem(twice, 409, "redemption_already_paid")
    account = client.get(f"{API}/accounts/{shop.id}", headers=keeper).json()
    assert (account["balance"], account["held"]) == (OWN_FUNDS - 60, 0)
    redemption_account = world.currency.redemption_account_id
    redeemed = client.get(f"{API}/accounts/{redemption_account}", headers=admin).json()
    assert redeemed["balance"] == 60

    second = client.post(
        f"{API}/redemptions", json={"account_id": shop.id, "amount": 30}, headers=keeper
    ).json()
    rejected = client.post(
        f"{API}/redemptions/{second['id']}/reject",
        json={"reason": "not this month"},
        headers=admin,
    )
    assert rejected.status_code == 200, rejected.text
    account = client.get(f"{API}/accounts/{shop.id}", headers=keeper).json()
    assert (account["held"], account["available"]) == (0, OWN_FUNDS - 60)

    member = client.post(
        f"{API}/redemptions",
        json={"account_id": world.own[Role.MEMBER].id, "amount": 10},
        headers=world.headers(Role.MEMBER),
    )
    assert_problem(member, 409, "account_not_redeemable")

    trail = client.get(
        f"{API}/audit/events", params={"subject_type": "redemption"}, headers=admin
    ).json()["items"]
    assert [event["action"] for event in trail] == [
        "redemption.rejected",
        "redemption.paid",
        "redemption.approved",
    ]
    verified = client.get(f"{API}/audit/verify", headers=admin)
    assert verified.json()["ok"] is True, verified.text
