"""A first pass through the API: sign in, issue, transfer, read the statement, verify."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import PASSWORD, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind


def test_transfer_round_trip(client: TestClient, ledger: Ledger) -> None:
    ledger.currency()
    member = ledger.user(Role.MEMBER)
    shopkeeper = ledger.user(Role.SHOPKEEPER)
    wallet = ledger.funded_member(member, 100)
    shop = ledger.account(AccountKind.SHOP, shopkeeper)

    token = client.post(
        "/api/v1/auth/token", data={"username": member.principal.username, "password": PASSWORD}
    ).json()["access_token"]
    response = client.post(
        "/api/v1/transfers",
        json={"from_account_id": wallet.id, "to_account_id": shop.id, "amount": 30},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    assert [p["amount"] for p in response.json()["postings"]] == [-30, 30]

    lines = client.get(f"/api/v1/accounts/{wallet.id}/entries", headers=member.headers).json()
    assert [(line["amount"], line["balance_after"]) for line in lines["items"]] == [
        (-30, 70),
        (100, 100),
    ]
    report = client.get("/api/v1/audit/verify", headers=ledger.admin.headers).json()
    assert report["ok"] is True, report
