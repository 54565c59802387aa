"""Redemptions over the REST API: every refusal as problem+json with its stable code and nothing
changed, input validation, listing filters and who sees which redemptions, and Idempotency-Key
replays of asking, approving and paying."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import (
    API,
    Attempt,
    assert_invalid,
    assert_problem,
    invalid,
    problem_of,
    refuse_all,
    snapshot,
)
from tests.support import Actor
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

IBAN = "BE71 0961 2345 6769"


def set_payout(client: TestClient, account_id: int, headers: dict[str, str]) -> None:
    response = client.put(
        f"{API}/accounts/{account_id}/payout",
        json={"iban": IBAN, "payout_name": "Bakkerij Rabot"},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def ask(
    client: TestClient, account_id: int, amount: int, headers: dict[str, str]
) -> dict[str, Any]:
    response = client.post(
        f"{API}/redemptions", json={"account_id": account_id, "amount": amount}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def step(client: TestClient, redemption_id: int, action: str, headers: dict[str, str]) -> None:
    body = {"payout_reference": "SEPA-1"} if action == "pay" else None
    response = client.post(
        f"{API}/redemptions/{redemption_id}/{action}", json=body, headers=headers
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def shop(client: TestClient, world: World) -> int:
    """The world's shop, with payout details."""
    account_id = world.own[Role.SHOPKEEPER].id
    set_payout(client, account_id, world.headers(Role.SHOPKEEPER))
    return account_id


def test_refusals_are_problems_with_stable_codes(
    client: TestClient, world: World, shop: int
) -> None:
    admin = world.admin.headers
    keeper = world.headers(Role.SHOPKEEPER)
    requested = ask(client, shop, 10, keeper)["id"]
    approved = ask(client, shop, 10, keeper)["id"]
    step(client, approved, "approve", admin)
    paid = ask(client, shop, 10, keeper)["id"]
    step(client, paid, "approve", admin)
    step(client, paid, "pay", admin)
    rejected = ask(client, shop, 10, keeper)["id"]
    step(client, rejected, "reject", admin)
    bare_shop = world.ledger.account(AccountKind.SHOP, world.actors[Role.SHOPKEEPER]).id
    partner = world.ledger.account(AccountKind.PARTNER, world.actors[Role.SHOPKEEPER]).id
    set_payout(client, partner, keeper)
    member = world.own[Role.MEMBER].id

    def redeem(account_id: int, amount: int = 10) -> dict[str, Any]:
        return {"json": {"account_id": account_id, "amount": amount}}

    pay_body = {"json": {"payout_reference": "x"}}
    kind_refused = problem_of(409, "account_kind_not_allowed")
    attempts = [
        Attempt("POST", f"{API}/redemptions", problem_of(409, "account_not_redeemable"),
                redeem(member), world.headers(Role.MEMBER)),
        Attempt("POST", f"{API}/redemptions", problem_of(409, "account_not_redeemable"),
                redeem(world.budget.id), admin),
        Attempt("POST", f"{API}/redemptions", problem_of(409, "account_not_redeemable"),
                redeem(partner), keeper),
        Attempt("POST", f"{API}/redemptions", problem_of(409, "payout_details_missing"),
                redeem(bare_shop), keeper),
        Attempt("POST", f"{API}/redemptions", problem_of(403, "not_account_owner"),
                redeem(shop), world.stranger.headers),
        Attempt("POST", f"{API}/redemptions", problem_of(409, "insufficient_funds"),
                redeem(shop, OWN_FUNDS - 10 - 10 - 10 + 1), keeper),
        Attempt("POST", f"{API}/redemptions", problem_of(404, "account_not_found"),
                redeem(999_999), admin),
        Attempt("PUT", f"{API}/accounts/{shop}/redeemable", kind_refused,
                {"json": {"redeemable": True}}, admin),
        Attempt("PUT", f"{API}/accounts/{member}/redeemable", kind_refused,
                {"json": {"redeemable": True}}, admin),
        Attempt("PUT", f"{API}/accounts/{partner}/redeemable", problem_of(403, "role_not_allowed"),
                {"json": {"redeemable": True}}, keeper),
        Attempt("PUT", f"{API}/accounts/{shop}/payout", problem_of(422, "invalid_iban"),
                {"json": {"iban": "BE72 0961 2345 6769", "payout_name": "X"}}, keeper),
        Attempt("PUT", f"{API}/accounts/{shop}/payout", problem_of(422, "invalid_iban"),
                {"json": {"iban": "BE7A 0961 2345 6769", "payout_name": "X"}}, keeper),
        Attempt("PUT", f"{API}/accounts/{shop}/payout", problem_of(403, "not_account_owner"),
                {"json": {"iban": IBAN, "payout_name": "X"}}, world.stranger.headers),
        Attempt("PUT", f"{API}/accounts/{member}/payout", problem_of(409, "account_not_redeemable"),
                {"json": {"iban": IBAN, "payout_name": "X"}}, world.headers(Role.MEMBER)),
        Attempt("POST", f"{API}/redemptions/{approved}/approve",
                problem_of(409, "redemption_already_approved"), {}, admin),
        Attempt("POST", f"{API}/redemptions/{requested}/pay",
                problem_of(409, "redemption_not_approved"), pay_body, admin),
        Attempt("POST", f"{API}/redemptions/{paid}/pay",
                problem_of(409, "redemption_already_paid"), pay_body, admin),
        Attempt("POST", f"{API}/redemptions/{paid}/reject",
                problem_of(409, "redemption_already_paid"), {}, admin),
        Attempt("POST", f"{API}/redemptions/{rejected}/approve",
                problem_of(409, "redemption_already_rejected"), {}, admin),
        Attempt("POST", f"{API}/redemptions/999999/approve",
                problem_of(404, "redemption_not_found"), {}, admin),
    ]  # fmt: skip
    for role in (Role.AUDITOR, Role.SHOPKEEPER, Role.MEMBER, Role.COORDINATOR):
        headers = world.headers(role)
        attempts += [
            Attempt("POST", f"{API}/redemptions/{requested}/approve",
                    problem_of(403, "role_not_allowed"), {}, headers),
            Attempt("POST", f"{API}/redemptions/{approved}/pay",
                    problem_of(403, "role_not_allowed"), pay_body, headers),
            Attempt("POST", f"{API}/redemptions/{requested}/reject",
                    problem_of(403, "role_not_allowed"), {}, headers),
            Attempt("PUT", f"{API}/currencies/TRK/euro-rate",
                    problem_of(403, "role_not_allowed"), {"json": {"rate": "0.2"}}, headers),
        ]  # fmt: skip
    refuse_all(client, attempts, keeper, admin)
    statuses = {
        item["id"]: item["status"]
        for item in client.get(f"{API}/redemptions", headers=admin).json()["items"]
    }
    assert statuses == {
        requested: "requested",
        approved: "approved",
        paid: "paid",
        rejected: "rejected",
    }
    rates = client.get(f"{API}/currencies/TRK/rates", headers=admin).json()
    assert [item["rate"] for item in rates] == ["0.10000000"]


def test_input_is_validated(client: TestClient, world: World, shop: int) -> None:
    admin = world.admin.headers
    keeper = world.headers(Role.SHOPKEEPER)
    approved = ask(client, shop, 10, keeper)["id"]
    step(client, approved, "approve", admin)

    def redeem(**fields: Any) -> dict[str, Any]:
        return {"json": {"account_id": shop, "amount": 10, **fields}}

    def payout(iban: str) -> dict[str, Any]:
        return {"json": {"iban": iban, "payout_name": "Bakkerij"}}

    pay = f"{API}/redemptions/{approved}/pay"
    rate = f"{API}/currencies/TRK/euro-rate"
    reference = invalid("body.payout_reference")
    attempts = [
        Attempt("POST", f"{API}/redemptions", invalid("body.amount"), redeem(amount=0)),
        Attempt("POST", f"{API}/redemptions", invalid("body.amount"), redeem(amount=-5)),
        Attempt("POST", f"{API}/redemptions", invalid("body.amount"), redeem(amount=2**63)),
        Attempt("POST", f"{API}/redemptions", invalid("body.amount"), redeem(amount="10")),
        Attempt("POST", f"{API}/redemptions", invalid("body.amount"), redeem(amount=1.5)),
        Attempt("POST", f"{API}/redemptions", invalid("body.surprise"), redeem(surprise=1)),
        Attempt("POST", f"{API}/redemptions", invalid("body.memo"), redeem(memo="x" * 201)),
        Attempt("POST", pay, reference, {"json": {"payout_reference": ""}}, admin),
        Attempt("POST", pay, reference, {"json": {"payout_reference": "   "}}, admin),
        Attempt("POST", pay, invalid("body.payout_reference"),
                {"json": {"payout_reference": "x" * 141}}, admin),
        Attempt("POST", pay, invalid("body.payout_reference"), {"json": {}}, admin),
        Attempt("POST", pay, invalid("body.extra"),
                {"json": {"payout_reference": "ok", "extra": 1}}, admin),
        Attempt("PUT", rate, invalid("body.rate"), {"json": {"rate": "-0.01"}}, admin),
        Attempt("PUT", rate, invalid("body.rate"), {"json": {"rate": "0.123456789"}}, admin),
        Attempt("PUT", rate, invalid("body.rate"), {"json": {"rate": "1000000.01"}}, admin),
        Attempt("PUT", rate, invalid("body.rate"), {"json": {"rate": "1e30"}}, admin),
        Attempt("PUT", rate, invalid("body.rate"), {"json": {"rate": "cheap"}}, admin),
        Attempt("PUT", f"{API}/accounts/{shop}/payout", invalid("body.iban"), payout("BE71 0961")),
        Attempt("PUT", f"{API}/accounts/{shop}/payout", invalid("body.iban"), payout("B" * 43)),
        Attempt("PUT", f"{API}/accounts/{shop}/payout", invalid("body.payout_name"),
                {"json": {"iban": IBAN, "payout_name": " "}}),
        Attempt("GET", f"{API}/redemptions", invalid("query.status"),
                {"params": {"status": "lost"}}),
        Attempt("GET", f"{API}/redemptions/0", invalid("path.redemption_id"), {}),
    ]  # fmt: skip
    refuse_all(client, attempts, keeper, admin)
    assert client.get(f"{API}/redemptions/{approved}", headers=admin).json()["status"] == (
        "approved"
    )


def test_iban_is_normalised_over_the_api(client: TestClient, world: World) -> None:
    shop = world.own[Role.SHOPKEEPER].id
    response = client.put(
        f"{API}/accounts/{shop}/payout",
        json={"iban": " be71 0961 2345 6769 ", "payout_name": "Bakkerij"},
        headers=world.headers(Role.SHOPKEEPER),
    )
    assert response.status_code == 200, response.text
    assert response.json()["iban"] == "BE71096123456769"


def test_listing_filters_and_pages(client: TestClient, world: World, shop: int) -> None:
    admin = world.admin.headers
    keeper = world.headers(Role.SHOPKEEPER)
    made = [ask(client, shop, 10, keeper)["id"] for _ in range(5)]
    step(client, made[1], "approve", admin)
    step(client, made[2], "approve", admin)
    step(client, made[2], "pay", admin)
    step(client, made[3], "reject", admin)

    def ids(headers: dict[str, str], **params: Any) -> list[int]:
        response = client.get(f"{API}/redemptions", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(admin) == made[::-1]
    assert ids(admin, status="requested") == [made[4], made[0]]
    assert ids(admin, status="approved") == [made[1]]
    assert ids(admin, status="paid") == [made[2]]
    assert ids(admin, status="rejected") == [made[3]]
    assert ids(admin, account_id=shop) == made[::-1]
    assert ids(admin, account_id=shop, status="paid") == [made[2]]
    assert ids(admin, settlement_id=1) == []

    first = client.get(f"{API}/redemptions", headers=admin, params={"limit": 2}).json()
    assert [item["id"] for item in first["items"]] == [made[4], made[3]]
    cursor = first["next_cursor"]
    assert cursor is not None
    seen = [item["id"] for item in first["items"]]
    while cursor is not None:
        page = client.get(
            f"{API}/redemptions", headers=admin, params={"limit": 2, "cursor": cursor}
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == made[::-1]


def test_each_sees_only_their_own_shops_redemptions(
    client: TestClient, world: World, shop: int
) -> None:
    admin = world.admin.headers
    keeper = world.headers(Role.SHOPKEEPER)
    other: Actor = world.ledger.user(Role.SHOPKEEPER)
    other_shop = world.ledger.account(AccountKind.SHOP, other).id
    world.ledger.transfer(world.budget.id, other_shop, 50)
    set_payout(client, other_shop, other.headers)
    mine = ask(client, shop, 10, keeper)["id"]
    theirs = ask(client, other_shop, 20, other.headers)["id"]

    def ids(headers: dict[str, str], **params: Any) -> list[int]:
        response = client.get(f"{API}/redemptions", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(admin) == [theirs, mine]
    assert ids(world.headers(Role.AUDITOR)) == [theirs, mine]
    assert ids(keeper) == [mine]
    assert ids(other.headers) == [theirs]
    assert ids(world.headers(Role.MEMBER)) == []
    assert ids(world.stranger.headers) == []
    assert_problem(
        client.get(f"{API}/redemptions", headers=keeper, params={"account_id": other_shop}),
        403,
        "not_account_owner",
    )
    assert_problem(
        client.get(f"{API}/redemptions", headers=world.headers(Role.MEMBER),
                   params={"account_id": shop}),
        403,
        "not_account_owner",
    )  # fmt: skip
    assert client.get(f"{API}/redemptions/{mine}", headers=keeper).status_code == 200
    assert_problem(
        client.get(f"{API}/redemptions/{theirs}", headers=keeper), 403, "not_account_owner"
    )
    assert_problem(
        client.get(f"{API}/redemptions/{mine}", headers=world.stranger.headers),
        403,
        "not_account_owner",
    )
    assert_problem(client.get(f"{API}/redemptions", params={}), 401)


def test_idempotency_keys_replay_request_approve_and_pay(
    client: TestClient, world: World, shop: int
) -> None:
    admin = world.admin.headers
    keeper = {**world.headers(Role.SHOPKEEPER), "Idempotency-Key": "redeem-1"}
    body = {"account_id": shop, "amount": 40}
    first = client.post(f"{API}/redemptions", json=body, headers=keeper)
    again = client.post(f"{API}/redemptions", json=body, headers=keeper)
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    account = client.get(f"{API}/accounts/{shop}", headers=admin).json()
    assert account["held"] == 40
    redemption_id = first.json()["id"]
    assert len(client.get(f"{API}/redemptions", headers=admin).json()["items"]) == 1

    approving = {**admin, "Idempotency-Key": "approve-1"}
    approved = client.post(f"{API}/redemptions/{redemption_id}/approve", headers=approving)
    replayed = client.post(f"{API}/redemptions/{redemption_id}/approve", headers=approving)
    assert approved.status_code == 200, approved.text
    assert (replayed.status_code, replayed.json()) == (200, approved.json())

    before = snapshot(client, admin)
    paying = {**admin, "Idempotency-Key": "pay-1"}
    reference = {"payout_reference": "SEPA-7"}
    paid = client.post(f"{API}/redemptions/{redemption_id}/pay", json=reference, headers=paying)
    repaid = client.post(f"{API}/redemptions/{redemption_id}/pay", json=reference, headers=paying)
    assert paid.status_code == 200, paid.text
    assert (repaid.status_code, repaid.json()) == (200, paid.json())
    after = snapshot(client, admin)
    assert after.journal_lengths["TRK"] == before.journal_lengths["TRK"] + 1
    assert after.accounts[shop] == (OWN_FUNDS - 40, 0, "active")
    redemption_account = world.currency.redemption_account_id
    assert after.accounts[redemption_account][0] == 40

    # A fresh key is a new attempt, refused as a second payment.
    fresh = {**admin, "Idempotency-Key": "pay-2"}
    assert_problem(
        client.post(f"{API}/redemptions/{redemption_id}/pay", json=reference, headers=fresh),
        409,
        "redemption_already_paid",
    )
    # The same key with a different body is not a replay.
    reused = client.post(
        f"{API}/redemptions", json={"account_id": shop, "amount": 41}, headers=keeper
    )
    assert_problem(reused, 409, "idempotency_key_reused")
    assert snapshot(client, admin).journal_lengths == after.journal_lengths


def test_invalid_iban_in_validation_names_the_field(client: TestClient, world: World) -> None:
    shop = world.own[Role.SHOPKEEPER].id
    response = client.put(
        f"{API}/accounts/{shop}/payout",
        json={"iban": "BE71", "payout_name": "Bakkerij"},
        headers=world.headers(Role.SHOPKEEPER),
    )
    assert_invalid(response, "body.iban")
