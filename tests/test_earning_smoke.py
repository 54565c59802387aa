"""The earning side end to end through the API: a project, an activity, a sheet of codes,
claims arriving and approved, the budget never below zero and the ledger verifying."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

API = "/api/v1"


def test_coordinator_runs_an_activity_with_approved_claims(
    client: TestClient, ledger: Ledger
) -> None:
    ledger.currency()
    coordinator = ledger.user(Role.COORDINATOR)
    volunteer = ledger.user(Role.MEMBER)
    wallet = ledger.account(AccountKind.MEMBER, volunteer)
    admin = ledger.admin.headers

    project = client.post(
        f"{API}/projects",
        json={"name": "Community garden", "currency": "TRK", "coordinator_ids": [coordinator.id]},
        headers=admin,
    ).json()
    funded = client.post(
        f"{API}/issuances",
        json={"to_account_id": project["budget_account_id"], "amount": 100},
        headers=admin,
    )
    assert funded.status_code == 201, funded.text

    activity = client.post(
        f"{API}/projects/{project['id']}/activities",
        json={
            "title": "Weeding",
            "reward_kind": "per_hour",
            "reward_amount": 25,
            "max_hours": "4",
            "requires_approval": True,
        },
        headers=coordinator.headers,
    ).json()
    batch = client.post(
        f"{API}/activities/{activity['id']}/code-batches",
        json={"kind": "single", "count": 3},
        headers=coordinator.headers,
    ).json()
    assert len(batch["codes"]) == 3
    assert batch["codes"][0]["url"].endswith("/c/" + batch["codes"][0]["code"])

    sheet = client.get(f"{API}/code-batches/{batch['id']}/sheet", headers=coordinator.headers)
    assert sheet.status_code == 200
    assert sheet.text.count("<svg") == 3
    assert batch["codes"][2]["short_code"] in sheet.text
    image = client.get(
        f"{API}/claim-codes/{batch['codes'][0]['id']}/qr.png", headers=coordinator.headers
    )
    assert image.content.startswith(b"\x89PNG")

    claimed = client.post(
        f"{API}/claims",
        json={"code": batch["codes"][0]["code"], "hours": "2.5"},
        headers=volunteer.headers,
    )
    assert claimed.status_code == 201, claimed.text
    assert (claimed.json()["status"], claimed.json()["amount"]) == ("pending", 63)
    budget = client.get(f"{API}/projects/{project['id']}", headers=coordinator.headers).json()
    assert (budget["budget_balance"], budget["budget_available"]) == (100, 37)

    too_much = client.post(
        f"{API}/claims",
        json={"code": batch["codes"][1]["short_code"].lower(), "hours": "2"},
        headers=volunteer.headers,
    )
    assert too_much.json()["code"] == "budget_exhausted", too_much.text

    approved = client.post(
        f"{API}/claims/approve",
        json={"claim_ids": [claimed.json()["id"]]},
        headers=coordinator.headers,
    )
    assert approved.json() == [
        {"claim_id": claimed.json()["id"], "ok": True, "status": "paid", "error_code": None}
    ]
    again = client.post(f"{API}/claims/{claimed.json()['id']}/approve", headers=coordinator.headers)
    assert again.json()["code"] == "claim_already_resolved"

    balance = client.get(f"{API}/accounts/{wallet.id}", headers=volunteer.headers).json()
    assert balance["balance"] == 63
    summary = client.get(
        f"{API}/activities/{activity['id']}/summary", headers=coordinator.headers
    ).json()
    assert (summary["claims_paid"], summary["hours_paid"], summary["tokens_paid"]) == (
        1,
        "2.50",
        63,
    )
    report = client.get(f"{API}/audit/verify", headers=admin).json()
    assert report["ok"], report
