"""The whole spending story through the API, as a shop lives it: a payment request paid from a
phone and seen to arrive, a card charged after a wrong PIN, a refund, and the receipts of both
sides; the ledger verifies afterwards."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import API, assert_problem
from torekes.domain.access import Role


def test_a_shop_takes_a_payment_by_qr_and_by_card_and_refunds_it(
    client: TestClient, world: World
) -> None:
    shop = world.own[Role.SHOPKEEPER]
    member = world.own[Role.MEMBER]
    shopkeeper = world.headers(Role.SHOPKEEPER)

    created = client.post(
        f"{API}/payment-requests",
        json={"shop_account_id": shop.id, "amount": 30, "memo": "Bread"},
        headers=shopkeeper,
    )
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["status"] == "open"
    assert request["url"].endswith(f"/p/{request['code']}")
    code = request["code"]

    seen = client.get(f"{API}/payment-requests/{code}", headers=world.headers(Role.MEMBER))
    assert seen.status_code == 200, seen.text
    assert seen.json()["shop_name"] == shop.name
    assert seen.json()["amount"] == 30

    paid = client.post(f"{API}/payment-requests/{code}/pay", headers=world.headers(Role.MEMBER))
    assert paid.status_code == 201, paid.text
    receipt = paid.json()
    assert receipt["amount"] == 30
    assert receipt["payer"]["balance_after"] == OWN_FUNDS - 30
    assert receipt["shop"]["balance_after"] is None

    watched = client.get(f"{API}/payment-requests/{code}?wait=5", headers=shopkeeper)
    assert watched.json()["status"] == "paid"
    assert watched.json()["transaction_id"] == receipt["transaction_id"]

    again = client.post(f"{API}/payment-requests/{code}/pay", headers=world.headers(Role.MEMBER))
    assert_problem(again, 409, "payment_request_paid")

    card = client.post(
        f"{API}/cards",
        json={"member_id": world.actors[Role.MEMBER].id, "pin": "2580"},
        headers=world.admin.headers,
    )
    assert card.status_code == 201, card.text
    number = card.json()["number"]
    charge = {"shop_account_id": shop.id, "card": number, "amount": 20}
    wrong = client.post(f"{API}/card-payments", json={**charge, "pin": "1111"}, headers=shopkeeper)
    body = assert_problem(wrong, 403, "wrong_pin")
    assert body["tries_left"] == 4
    right = client.post(f"{API}/card-payments", json={**charge, "pin": "2580"}, headers=shopkeeper)
    assert right.status_code == 201, right.text
    card_receipt = right.json()
    assert card_receipt["shop"]["balance_after"] == OWN_FUNDS + 50
    assert card_receipt["channel"] == "card"

    refund = client.post(
        f"{API}/transactions/{receipt['transaction_id']}/refund",
        json={"amount": 10, "reason": "stale bread"},
        headers=shopkeeper,
    )
    assert refund.status_code == 201, refund.text
    assert refund.json()["refundable"] == 20
    too_much = client.post(
        f"{API}/transactions/{receipt['transaction_id']}/refund",
        json={"amount": 21},
        headers=shopkeeper,
    )
    assert_problem(too_much, 409, "refund_exceeds_payment")

    member_view = client.get(
        f"{API}/transactions/{receipt['transaction_id']}/receipt",
        headers=world.headers(Role.MEMBER),
    )
    assert member_view.json()["refunded_amount"] == 10
    stranger_view = client.get(
        f"{API}/transactions/{receipt['transaction_id']}/receipt", headers=world.stranger.headers
    )
    assert_problem(stranger_view, 403, "not_account_owner")

    listed = client.get(f"{API}/payments?shop_account_id={shop.id}", headers=shopkeeper)
    assert [item["amount"] for item in listed.json()["items"]] == [20, 30]
    balance = client.get(f"{API}/accounts/{member.id}", headers=world.headers(Role.MEMBER))
    assert balance.json()["balance"] == OWN_FUNDS - 30 - 20 + 10

    verified = client.get(f"{API}/audit/verify", headers=world.admin.headers)
    assert verified.json()["ok"] is True, verified.text
