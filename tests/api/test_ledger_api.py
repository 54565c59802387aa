"""The ledger's behaviour through the API: issuing, transferring, general entries, reversals,
account lifecycle, statements and their pagination, balances as of a moment, the feed, the trial
balance, health probes, and signing in and out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import BUDGET_FUNDS, OWN_FUNDS, World
from tests.api.helpers import API, assert_problem
from tests.support import PASSWORD, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

GENESIS = "0" * 64


@pytest.fixture
def admin(ledger: Ledger) -> dict[str, str]:
    ledger.currency()
    return ledger.admin.headers


def _post(client: TestClient, headers: dict[str, str], path: str, body: Any) -> dict[str, Any]:
    response = client.post(f"{API}{path}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def _get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    response = client.get(f"{API}{path}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _open(client: TestClient, admin: dict[str, str], kind: str, owner: int | None = None) -> int:
    body = {"currency": "TRK", "kind": kind, "name": f"{kind} account", "owner_id": owner}
    account = _post(client, admin, "/accounts", body)
    assert account["balance"] == 0
    assert account["status"] == "active"
    return int(account["id"])


def _balance(client: TestClient, headers: dict[str, str], account: int, **params: Any) -> int:
    return int(_get(client, headers, f"/accounts/{account}/balance", **params)["balance"])


def _aware(moment: str) -> datetime:
    parsed = datetime.fromisoformat(moment)
    assert parsed.tzinfo is not None, f"{moment} has no time zone"
    return parsed


def test_issuance_transfer_and_statement(client: TestClient, admin: dict[str, str]) -> None:
    currency = _get(client, admin, "/currencies")[0]
    budget = _open(client, admin, "budget")
    member = _open(client, admin, "member")

    issued = _post(client, admin, "/issuances", {"to_account_id": budget, "amount": 1000})
    assert issued["kind"] == "issuance"
    assert issued["seq"] == 1
    assert issued["prev_hash"] == GENESIS
    assert len(issued["hash"]) == 64
    assert sorted((p["account_id"], p["amount"]) for p in issued["postings"]) == sorted(
        [(currency["issuance_account_id"], -1000), (budget, 1000)]
    )
    _aware(issued["created_at"])

    moved = _post(
        client,
        admin,
        "/transfers",
        {"from_account_id": budget, "to_account_id": member, "amount": 250, "memo": "garden"},
    )
    assert moved["kind"] == "transfer"
    assert moved["seq"] == 2
    assert moved["prev_hash"] == issued["hash"]
    assert moved["memo"] == "garden"
    assert sum(p["amount"] for p in moved["postings"]) == 0

    assert _balance(client, admin, budget) == 750
    assert _balance(client, admin, member) == 250
    issuance = _get(client, admin, f"/accounts/{currency['issuance_account_id']}")
    assert issuance["balance"] == -1000
    assert issuance["kind"] == "issuance"
    stored = _get(client, admin, f"/transactions/{moved['id']}")
    assert stored == moved
    assert _get(client, admin, "/currencies")[0]["last_seq"] == 2


def test_general_entry_of_three_postings(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    a, b = world.own[Role.MEMBER].id, world.own[Role.SHOPKEEPER].id
    body = {
        "currency": "TRK",
        "kind": "reward",
        "memo": "Saturday clean-up",
        "metadata": {"project": "square", "hours": [2, 3]},
        "postings": [
            {"account_id": world.budget.id, "amount": -50},
            {"account_id": a, "amount": 20},
            {"account_id": b, "amount": 30},
        ],
    }
    entry = _post(client, admin, "/transactions", body)
    assert entry["kind"] == "reward"
    assert entry["metadata"] == {"project": "square", "hours": [2, 3]}
    assert entry["actor_id"] == world.admin.id
    assert sorted((p["account_id"], p["amount"]) for p in entry["postings"]) == sorted(
        [(world.budget.id, -50), (a, 20), (b, 30)]
    )
    assert _balance(client, admin, a) == OWN_FUNDS + 20
    assert _balance(client, admin, b) == OWN_FUNDS + 30
    assert _get(client, admin, "/audit/verify")["ok"] is True


def test_metadata_round_trips_and_the_chain_still_verifies(
    client: TestClient, world: World
) -> None:
    metadata = {
        "big": 10**30,
        "small": -(2**63),
        "fraction": 0.1,
        "exponent": 1e300,
        "text": "Zo\u00eb pays \u20ac \U0001f331",
        "nested": {"list": [1, {"none": None, "yes": True}], "empty": {}},
    }
    body = {
        "to_account_id": world.budget.id,
        "amount": 5,
        "memo": "\u00e9t\u00e9",
        "metadata": metadata,
    }
    issued = _post(client, world.admin.headers, "/issuances", body)
    assert issued["metadata"] == metadata
    stored = _get(client, world.admin.headers, f"/transactions/{issued['id']}")
    assert stored["metadata"] == metadata
    assert stored["memo"] == "\u00e9t\u00e9"
    assert stored["hash"] == issued["hash"]
    assert _get(client, world.admin.headers, "/audit/verify")["ok"] is True


def test_reversal_restores_balances(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    member, stranger = world.own[Role.MEMBER].id, world.stranger_account.id
    before = {account: _balance(client, admin, account) for account in (member, stranger)}
    body = {"from_account_id": member, "to_account_id": stranger, "amount": 40}
    paid = _post(client, world.headers(Role.MEMBER), "/transfers", body)

    reversal = _post(client, admin, f"/transactions/{paid['id']}/reverse", {"reason": "wrong shop"})
    assert reversal["kind"] == "reversal"
    assert reversal["reverses_id"] == paid["id"]
    assert reversal["reversed_by_id"] is None
    assert "wrong shop" in reversal["memo"]
    assert sorted((p["account_id"], p["amount"]) for p in reversal["postings"]) == sorted(
        (p["account_id"], -p["amount"]) for p in paid["postings"]
    )
    original = _get(client, admin, f"/transactions/{paid['id']}")
    assert original["reversed_by_id"] == reversal["id"]
    assert original["reverses_id"] is None
    assert {account: _balance(client, admin, account) for account in before} == before
    # the owner sees both the payment and its reversal on the statement
    lines = _get(client, world.headers(Role.MEMBER), f"/accounts/{member}/entries")["items"]
    assert [(line["kind"], line["amount"]) for line in lines[:2]] == [
        ("reversal", 40),
        ("transfer", -40),
    ]
    assert _get(client, admin, "/audit/verify")["ok"] is True


def test_account_lifecycle(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    account = world.account_of(Role.MEMBER, funded=True).id
    member = world.headers(Role.MEMBER)

    frozen = _post(client, admin, f"/accounts/{account}/freeze", None)
    assert frozen["status"] == "frozen"
    assert frozen["balance"] == OWN_FUNDS
    assert _get(client, member, f"/accounts/{account}")["status"] == "frozen"
    out = {"from_account_id": account, "to_account_id": world.stranger_account.id, "amount": 1}
    assert_problem(client.post(f"{API}/transfers", json=out, headers=member), 409, "account_frozen")

    assert _post(client, admin, f"/accounts/{account}/unfreeze", None)["status"] == "active"
    out["amount"] = OWN_FUNDS
    _post(client, member, "/transfers", out)
    closed = _post(client, admin, f"/accounts/{account}/close", None)
    assert closed["status"] == "closed"
    assert closed["balance"] == 0
    assert _get(client, member, f"/accounts/{account}")["status"] == "closed"
    closed_list = _get(client, admin, "/accounts", status="closed")["items"]
    assert [item["id"] for item in closed_list] == [account]
    # a closed account's history stays readable
    assert len(_get(client, member, f"/accounts/{account}/entries")["items"]) == 2


def test_accounts_keyset_pagination(client: TestClient, admin: dict[str, str]) -> None:
    opened = [_open(client, admin, "member") for _ in range(7)]
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, "kind": "member"}
        if cursor is not None:
            params["cursor"] = cursor
        page = _get(client, admin, "/accounts", **params)
        pages += 1
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert seen == sorted(opened)
    assert pages == 3
    everything = _get(client, admin, "/accounts", limit=500)["items"]
    ids = [item["id"] for item in everything]
    assert ids == sorted(ids)
    assert len(ids) == 7 + 2  # and the currency's two system accounts


def test_statement_pagination_newest_first_with_running_balance(
    client: TestClient, world: World
) -> None:
    admin = world.admin.headers
    account = world.account_of(Role.MEMBER).id
    amounts = [50, -20, 30, -5, 10, -60, 7]
    for amount in amounts:
        source, target = (world.budget.id, account) if amount > 0 else (account, world.budget.id)
        body = {"from_account_id": source, "to_account_id": target, "amount": abs(amount)}
        _post(client, admin, "/transfers", body)

    lines: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = _get(client, world.headers(Role.MEMBER), f"/accounts/{account}/entries", **params)
        assert len(page["items"]) <= 3
        lines += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [line["amount"] for line in lines] == list(reversed(amounts))
    seqs = [line["seq"] for line in lines]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == len(seqs)
    running = 0
    for line in reversed(lines):
        running += line["amount"]
        assert line["balance_after"] == running
    assert lines[0]["balance_after"] == _balance(client, admin, account) == sum(amounts)


def test_balance_as_of_a_sequence_number(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    account = world.account_of(Role.MEMBER).id
    body = {"from_account_id": world.budget.id, "to_account_id": account, "amount": 10}
    seqs = [_post(client, admin, "/transfers", body)["seq"] for _ in range(3)]
    assert [_balance(client, admin, account, as_of=seq) for seq in seqs] == [10, 20, 30]
    assert _balance(client, admin, account, as_of=seqs[0] - 1) == 0
    assert _balance(client, admin, account, as_of=0) == 0
    at = _get(client, admin, f"/accounts/{account}/balance", as_of=10**12)
    assert at["as_of_seq"] == seqs[-1]
    assert at["balance"] == 30
    now = _get(client, admin, f"/accounts/{account}/balance")
    assert now == {"account_id": account, "currency": "TRK", "as_of_seq": seqs[-1], "balance": 30}


def test_balance_as_of_a_moment(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    account = world.account_of(Role.MEMBER).id
    body = {"from_account_id": world.budget.id, "to_account_id": account, "amount": 10}
    first = _post(client, admin, "/transfers", body)
    second = _post(client, admin, "/transfers", body)
    # read back from the database, so the time zone survives storage too
    stored = _get(client, admin, f"/transactions/{first['id']}")
    moment = _aware(stored["created_at"])
    assert moment == _aware(first["created_at"])

    def at(when: datetime) -> dict[str, Any]:
        result: dict[str, Any] = _get(
            client, admin, f"/accounts/{account}/balance", as_of=when.isoformat()
        )
        return result

    assert at(moment)["balance"] == 10
    assert at(moment)["as_of_seq"] == first["seq"]
    brussels = moment.astimezone(timezone(timedelta(hours=2)))
    assert at(brussels)["balance"] == 10
    assert at(moment - timedelta(microseconds=1))["balance"] == 0
    assert at(_aware(second["created_at"]))["balance"] == 20
    assert at(moment - timedelta(days=365))["as_of_seq"] == 0
    z = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert _balance(client, admin, account, as_of=z) == 10

    for bad in (moment.replace(tzinfo=None).isoformat(), "garbage", "2024-02-30T00:00:00Z"):
        response = client.get(
            f"{API}/accounts/{account}/balance", params={"as_of": bad}, headers=admin
        )
        assert_problem(response, 422, "invalid_as_of")


def test_transaction_feed_after_seq(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    total = int(_get(client, admin, "/currencies")[0]["last_seq"])
    everything = _get(client, admin, "/transactions", currency="TRK", limit=500)
    assert [tx["seq"] for tx in everything["items"]] == list(range(1, total + 1))
    assert everything["next_cursor"] is None
    for earlier, later in zip(everything["items"], everything["items"][1:], strict=False):
        assert later["prev_hash"] == earlier["hash"]

    walked: list[int] = []
    after = 2
    for _ in range(20):
        page = _get(client, admin, "/transactions", currency="TRK", after_seq=after, limit=2)
        walked += [tx["seq"] for tx in page["items"]]
        if page["next_cursor"] is None:
            break
        after = int(page["next_cursor"])
        assert after == walked[-1]
    assert walked == list(range(3, total + 1))
    empty = _get(client, admin, "/transactions", currency="TRK", after_seq=total)
    assert empty == {"items": [], "next_cursor": None}


def _redeem(client: TestClient, world: World, shop: int, amount: int) -> dict[str, Any]:
    """Pay a redemption of ``amount`` from the shop; the redemption's transaction."""
    keeper, admin = world.headers(Role.SHOPKEEPER), world.admin.headers
    payout = {"iban": "BE71 0961 2345 6769", "payout_name": "Shop"}
    assert client.put(f"{API}/accounts/{shop}/payout", json=payout, headers=keeper).is_success
    asked = _post(client, keeper, "/redemptions", {"account_id": shop, "amount": amount})
    _post(client, admin, f"/redemptions/{asked['id']}/approve", None)
    paid = _post(client, admin, f"/redemptions/{asked['id']}/pay", {"payout_reference": "R1"})
    transaction: dict[str, Any] = _get(client, admin, f"/transactions/{paid['transaction_id']}")
    return transaction


def test_trial_balance(client: TestClient, world: World) -> None:
    admin = world.admin.headers
    shop = world.own[Role.SHOPKEEPER].id
    redeemed = _redeem(client, world, shop, 60)

    trial = _get(client, admin, "/audit/trial-balance", currency="TRK")
    assert trial["currency"] == "TRK"
    assert trial["as_of_seq"] == redeemed["seq"]
    assert trial["total"] == 0
    assert sum(line["balance"] for line in trial["lines"]) == 0
    assert trial["issued"] == BUDGET_FUNDS
    assert trial["redeemed"] == 60
    assert trial["in_circulation"] == BUDGET_FUNDS - 60
    assert trial["issued"] == trial["in_circulation"] + trial["redeemed"]
    assert trial["balanced"] is True
    assert trial["totals_by_kind"]["issuance"] == -BUDGET_FUNDS
    assert trial["totals_by_kind"]["redemption"] == 60
    assert sum(trial["totals_by_kind"].values()) == 0
    by_account = {line["account_id"]: line["balance"] for line in trial["lines"]}
    assert by_account[shop] == OWN_FUNDS - 60

    earlier = _get(client, admin, "/audit/trial-balance", currency="TRK", as_of=redeemed["seq"] - 1)
    assert earlier["redeemed"] == 0
    assert earlier["issued"] == earlier["in_circulation"] == BUDGET_FUNDS
    assert earlier["total"] == 0

    report = _get(client, admin, "/audit/verify")
    assert report["ok"] is True
    assert report["problem_count"] == 0
    assert report["first_break"] is None
    assert report["transactions_checked"] == redeemed["seq"]
    (audit,) = report["currencies"]
    assert (audit["issued"], audit["in_circulation"], audit["redeemed"]) == (
        BUDGET_FUNDS,
        BUDGET_FUNDS - 60,
        60,
    )
    assert (audit["redemptions_paid"], audit["pending_redemption"]) == (60, 0)
    assert audit["issued_identity_holds"] is True
    assert audit["redemption_identity_holds"] is True


def test_the_redemption_account_moves_only_by_paying_redemptions(
    client: TestClient, world: World
) -> None:
    admin = world.admin.headers
    shop = world.own[Role.SHOPKEEPER].id
    redeemed = _redeem(client, world, shop, 25)
    target = world.currency.redemption_account_id
    before = _get(client, admin, "/audit/trial-balance", currency="TRK")
    by_hand = {
        "currency": "TRK",
        "kind": "redemption",
        "postings": [{"account_id": shop, "amount": -5}, {"account_id": target, "amount": 5}],
    }
    entry = client.post(f"{API}/transactions", json=by_hand, headers=admin)
    assert_problem(entry, 409, "account_kind_not_allowed")
    undo = client.post(
        f"{API}/transactions/{redeemed['id']}/reverse", json={"reason": "oops"}, headers=admin
    )
    assert_problem(undo, 409, "redemption_not_reversible")
    assert _get(client, admin, "/audit/trial-balance", currency="TRK") == before
    (audit,) = _get(client, admin, "/audit/verify")["currencies"]
    assert (audit["redeemed"], audit["redemptions_paid"]) == (25, 25)


def test_health_probes(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ok"
    assert ready.json()["database"] == "ok"
    assert ready.json()["schema_revision"]


def test_users_me_and_listing(client: TestClient, world: World) -> None:
    member = world.actors[Role.MEMBER]
    me = _get(client, member.headers, "/users/me")
    assert me["id"] == member.id
    assert me["username"] == member.principal.username
    assert me["role"] == "member"
    assert me["is_active"] is True
    assert set(me) == {"id", "username", "display_name", "role", "is_active", "created_at"}
    _aware(me["created_at"])

    created = _post(
        client,
        world.admin.headers,
        "/users",
        {
            "username": "newbie",
            "display_name": "New Bie",
            "role": "shopkeeper",
            "password": "a" * 12,
        },
    )
    assert created["role"] == "shopkeeper"
    listed = _get(client, world.headers(Role.AUDITOR), "/users", limit=500)["items"]
    assert created["id"] in [user["id"] for user in listed]
    token = client.post(f"{API}/auth/token", data={"username": "newbie", "password": "a" * 12})
    assert token.status_code == 200, token.text


def test_sign_in_and_out(client: TestClient, world: World) -> None:
    username = world.actors[Role.SHOPKEEPER].principal.username
    response = client.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "bearer"
    assert _aware(token["expires_at"]) > datetime.now(UTC)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert _get(client, headers, "/users/me")["username"] == username

    assert client.post(f"{API}/auth/revoke", headers=headers).status_code == 204
    assert_problem(client.get(f"{API}/users/me", headers=headers), 401, "invalid_token")
    assert_problem(client.post(f"{API}/auth/revoke", headers=headers), 401, "invalid_token")
    # the user's other tokens are untouched
    assert _get(client, world.headers(Role.SHOPKEEPER), "/users/me")["username"] == username


@pytest.mark.parametrize(
    "form",
    [
        {"username": "nobody-here", "password": PASSWORD},
        {"username": "{member}", "password": "wrong-password"},
        {"username": "{member}", "password": PASSWORD.upper()},
    ],
)
def test_wrong_credentials(client: TestClient, world: World, form: dict[str, str]) -> None:
    username = world.actors[Role.MEMBER].principal.username
    data = {key: value.replace("{member}", username) for key, value in form.items()}
    response = client.post(f"{API}/auth/token", data=data)
    body = assert_problem(response, 401, "invalid_credentials")
    assert "access_token" not in body


def test_sign_in_needs_both_fields(client: TestClient) -> None:
    response = client.post(f"{API}/auth/token", data={"username": "someone"})
    assert_problem(response, 422, "validation_error")


def test_sign_in_is_rate_limited(client: TestClient, world: World) -> None:
    """Five failures in the window (the test settings' limit): the sixth attempt is refused even
    with the right password; other users are not affected."""
    username = world.actors[Role.MEMBER].principal.username
    for _ in range(5):
        response = client.post(
            f"{API}/auth/token", data={"username": username, "password": "guess-again"}
        )
        assert_problem(response, 401, "invalid_credentials")
    for password in (PASSWORD, "guess-again"):
        limited = client.post(
            f"{API}/auth/token", data={"username": username, "password": password}
        )
        assert_problem(limited, 429, "too_many_attempts")
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 900
        assert "access_token" not in limited.text
    other = world.actors[Role.SHOPKEEPER].principal.username
    fine = client.post(f"{API}/auth/token", data={"username": other, "password": PASSWORD})
    assert fine.status_code == 200, fine.text
    # tokens issued before the lockout still work
    assert _get(client, world.headers(Role.MEMBER), "/users/me")["username"] == username


def test_a_success_resets_the_failure_count(client: TestClient, world: World) -> None:
    username = world.actors[Role.MEMBER].principal.username
    wrong = {"username": username, "password": "guess-again"}
    right = {"username": username, "password": PASSWORD}
    for _ in range(4):
        assert client.post(f"{API}/auth/token", data=wrong).status_code == 401
    assert client.post(f"{API}/auth/token", data=right).status_code == 200
    for _ in range(4):
        assert client.post(f"{API}/auth/token", data=wrong).status_code == 401
    assert client.post(f"{API}/auth/token", data=right).status_code == 200


def test_unknown_usernames_are_rate_limited_too(client: TestClient, ledger: Ledger) -> None:
    for _ in range(5):
        response = client.post(
            f"{API}/auth/token", data={"username": "ghost", "password": "guess-again"}
        )
        assert_problem(response, 401, "invalid_credentials")
    limited = client.post(f"{API}/auth/token", data={"username": "ghost", "password": "x"})
    assert_problem(limited, 429, "too_many_attempts")
    assert limited.headers["retry-after"].isdigit()


def test_opened_accounts_belong_to_their_owner(client: TestClient, world: World) -> None:
    member = world.actors[Role.MEMBER]
    account = _open(client, world.admin.headers, AccountKind.SHOP.value, member.id)
    mine = _get(client, member.headers, "/accounts")["items"]
    assert account in [item["id"] for item in mine]
    view = _get(client, member.headers, f"/accounts/{account}")
    assert view["owner_id"] == member.id
    assert view["kind"] == "shop"
    assert (view["balance"], view["held"], view["available"]) == (0, 0, 0)
