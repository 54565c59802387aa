"""Money after a payment, through the API: refunds in parts capped by the payment, reversed
payments and refunds, receipts for both sides (each sees only its own balance), the payments list
and its filters, and the currency's spending limits (one payment, and a member's day, net of
refunds).

Every refusal is an RFC 9457 problem with its stable ``code`` and changes nothing; calendar days
move ``torekes.kit.clock`` instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import API, HttpResponse, assert_invalid, assert_problem
from tests.api.test_spending_api import (
    HUGE,
    MISSING,
    at,
    balance,
    keeper,
    listing,
    moment,
    new_request,
    nothing_changes,
    ok,
    other_shop,
    paid,
    pay,
    request_status,
    set_limits,
    shop_of,
    spending_state,
)
from torekes.domain.access import Role
from torekes.kit import clock

# --- refunds ------------------------------------------------------------------------------------


def test_a_retried_refund_is_given_once(client: TestClient, world: World) -> None:
    receipt = paid(client, world.headers(Role.MEMBER), new_request(client, world, 30)["code"])
    path = f"{API}/transactions/{receipt['transaction_id']}/refund"
    headers = {**keeper(world), "Idempotency-Key": "refund-7"}
    first = client.post(path, json={"amount": 7, "reason": "crumbs"}, headers=headers)
    assert first.status_code == 201, first.text
    after_first = spending_state(client, world)
    again = client.post(path, json={"reason": "crumbs", "amount": 7}, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert spending_state(client, world) == after_first
    reused = client.post(path, json={"amount": 8, "reason": "crumbs"}, headers=headers)
    assert_problem(reused, 409, "idempotency_key_reused")
    assert spending_state(client, world) == after_first
    view = ok(
        client.get(f"{API}/transactions/{receipt['transaction_id']}/receipt", headers=keeper(world))
    )
    assert view["refunded_amount"] == 7
    assert [line["amount"] for line in view["refunds"]] == [7]
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS - 30 + 7


def test_refunds_in_parts_never_exceed_the_payment(client: TestClient, world: World) -> None:
    member_account = world.own[Role.MEMBER].id
    receipt = paid(client, world.headers(Role.MEMBER), new_request(client, world, 30)["code"])
    payment_id = receipt["transaction_id"]
    path = f"{API}/transactions/{payment_id}/refund"

    part = ok(client.post(path, json={"amount": 10, "reason": "stale"}, headers=keeper(world)), 201)
    assert part["kind"] == "refund"
    assert part["amount"] == 10
    assert part["payment_transaction_id"] == payment_id
    assert part["payment_amount"] == 30
    assert part["refunded_amount"] == 10
    assert part["refundable"] == 20
    assert part["shop"]["balance_after"] == OWN_FUNDS + 20
    assert part["payer"]["balance_after"] is None
    assert "stale" in part["memo"]
    with nothing_changes(client, world):
        over = client.post(path, json={"amount": 21}, headers=keeper(world))
        assert assert_problem(over, 409, "refund_exceeds_payment")["refundable"] == 20

    rest = ok(client.post(path, headers=world.admin.headers), 201)
    assert rest["amount"] == 20
    assert rest["refundable"] == 0
    assert rest["payer"]["balance_after"] == OWN_FUNDS
    assert rest["shop"]["balance_after"] == OWN_FUNDS
    assert balance(client, world, member_account) == OWN_FUNDS
    with nothing_changes(client, world):
        for body in ({"amount": 1}, None):
            again = client.post(path, json=body, headers=keeper(world))
            assert assert_problem(again, 409, "refund_exceeds_payment")["refundable"] == 0

    view = ok(
        client.get(f"{API}/transactions/{payment_id}/receipt", headers=world.headers(Role.MEMBER))
    )
    assert view["refunded_amount"] == 30
    assert [(line["amount"], line["reason"]) for line in view["refunds"]] == [
        (10, "stale"),
        (20, ""),
    ]
    assert [line["transaction_id"] for line in view["refunds"]] == [
        part["transaction_id"],
        rest["transaction_id"],
    ]
    payments = listing(client, "/payments", keeper(world))
    assert [(p["amount"], p["refunded_amount"]) for p in payments] == [(30, 30)]
    assert ok(client.get(f"{API}/audit/verify", headers=world.admin.headers))["ok"] is True


def test_refused_refunds_change_nothing(client: TestClient, world: World) -> None:
    shopkeeper = keeper(world)
    receipt = paid(client, world.headers(Role.MEMBER), new_request(client, world, 30)["code"])
    payment_path = f"{API}/transactions/{receipt['transaction_id']}/refund"
    refund = ok(client.post(payment_path, json={"amount": 5}, headers=shopkeeper), 201)

    reversed_payment = paid(
        client, world.headers(Role.MEMBER), new_request(client, world, 10)["code"]
    )
    reversal = client.post(
        f"{API}/transactions/{reversed_payment['transaction_id']}/reverse",
        json={"reason": "wrong shop"},
        headers=world.admin.headers,
    )
    assert reversal.status_code == 201, reversal.text

    supplier, supplier_shop = other_shop(world)
    spent = new_request(client, world, 30, shop_id=supplier_shop.id, headers=supplier.headers)
    spent_receipt = paid(client, world.headers(Role.MEMBER), spent["code"])
    moved = client.post(
        f"{API}/transfers",
        json={
            "from_account_id": supplier_shop.id,
            "to_account_id": world.stranger_account.id,
            "amount": 25,
        },
        headers=supplier.headers,
    )
    assert moved.status_code == 201, moved.text

    def refund_of(
        transaction_id: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        return client.post(
            f"{API}/transactions/{transaction_id}/refund", json=body, headers=headers or shopkeeper
        )

    with nothing_changes(client, world):
        assert_problem(refund_of(world.own_tx[Role.MEMBER]), 409, "not_a_payment")
        assert_problem(refund_of(refund["transaction_id"]), 409, "not_a_payment")
        assert_problem(
            refund_of(reversal.json()["id"], headers=world.admin.headers), 409, "not_a_payment"
        )
        assert_problem(refund_of(MISSING), 404, "transaction_not_found")
        assert_problem(refund_of(reversed_payment["transaction_id"]), 409, "already_reversed")
        assert_problem(
            refund_of(spent_receipt["transaction_id"], {"amount": 30}, supplier.headers),
            409,
            "insufficient_funds",
        )
        assert_problem(
            refund_of(receipt["transaction_id"], headers=world.stranger.headers),
            403,
            "role_not_allowed",
        )
        reverse_refunded = client.post(
            f"{API}/transactions/{receipt['transaction_id']}/reverse",
            json={"reason": "oops"},
            headers=world.admin.headers,
        )
        assert_problem(reverse_refunded, 409, "payment_has_refunds")
        for body, field in [
            ({"amount": 0}, "body.amount"),
            ({"amount": -5}, "body.amount"),
            ({"amount": HUGE}, "body.amount"),
            ({"amount": "5"}, "body.amount"),
            ({"amount": 2.5}, "body.amount"),
            ({"amount": True}, "body.amount"),
            ({"amount": 5, "to": 1}, "body.to"),
            ({"reason": "r" * 501}, "body.reason"),
            ({"reason": "nul\x00"}, "body.reason"),
            ([5], "body"),
        ]:
            assert_invalid(refund_of(receipt["transaction_id"], body), field)
        assert_invalid(refund_of(0), "path.transaction_id")
        assert_invalid(refund_of(2**31), "path.transaction_id")
    partial = ok(refund_of(spent_receipt["transaction_id"], {"amount": 5}, supplier.headers), 201)
    assert partial["refundable"] == 25


def test_a_reversed_refund_can_be_refunded_again(client: TestClient, world: World) -> None:
    receipt = paid(client, world.headers(Role.MEMBER), new_request(client, world, 30)["code"])
    payment_id = receipt["transaction_id"]
    refund = ok(
        client.post(
            f"{API}/transactions/{payment_id}/refund", json={"amount": 30}, headers=keeper(world)
        ),
        201,
    )
    reversal = client.post(
        f"{API}/transactions/{refund['transaction_id']}/reverse",
        json={"reason": "refunded by mistake"},
        headers=world.admin.headers,
    )
    assert reversal.status_code == 201, reversal.text
    view = ok(client.get(f"{API}/transactions/{payment_id}/receipt", headers=keeper(world)))
    assert (view["refunded_amount"], view["refundable"]) == (0, 30)
    assert [(line["amount"], line["reversed"]) for line in view["refunds"]] == [(30, True)]
    with nothing_changes(client, world):
        twice = client.post(
            f"{API}/transactions/{refund['transaction_id']}/reverse",
            json={"reason": "again"},
            headers=world.admin.headers,
        )
        assert_problem(twice, 409, "already_reversed")
    again = ok(client.post(f"{API}/transactions/{payment_id}/refund", headers=keeper(world)), 201)
    assert (again["amount"], again["refundable"]) == (30, 0)
    assert [(line["amount"], line["reversed"]) for line in again["refunds"]] == [
        (30, True),
        (30, False),
    ]
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS
    assert ok(client.get(f"{API}/audit/verify", headers=world.admin.headers))["ok"] is True


# --- receipts -----------------------------------------------------------------------------------


def test_each_side_sees_its_own_balance_on_the_receipt(client: TestClient, world: World) -> None:
    member = world.actors[Role.MEMBER]
    request = new_request(client, world, 30, memo="Cake")
    receipt = paid(client, member.headers, request["code"])
    transaction_id = receipt["transaction_id"]
    path = f"{API}/transactions/{transaction_id}/receipt"
    transaction = ok(
        client.get(f"{API}/transactions/{transaction_id}", headers=world.admin.headers)
    )

    payer_view = ok(client.get(path, headers=member.headers))
    assert payer_view == receipt
    assert payer_view["seq"] == transaction["seq"]
    assert payer_view["created_at"] == transaction["created_at"]
    assert payer_view["currency"] == "TRK"
    assert payer_view["memo"] == "Cake"
    assert payer_view["card_number"] is None
    assert payer_view["refunds"] == []
    assert payer_view["payer"] == {
        "account_id": world.own[Role.MEMBER].id,
        "name": member.principal.username.title(),
        "balance_after": OWN_FUNDS - 30,
    }
    assert payer_view["shop"] == {
        "account_id": shop_of(world).id,
        "name": shop_of(world).name,
        "balance_after": None,
    }
    shop_view = ok(client.get(path, headers=keeper(world)))
    assert shop_view["shop"]["balance_after"] == OWN_FUNDS + 30
    assert shop_view["payer"]["balance_after"] is None
    for role in (Role.ADMIN, Role.AUDITOR):
        both = ok(client.get(path, headers=world.headers(role)))
        assert both["shop"]["balance_after"] == OWN_FUNDS + 30
        assert both["payer"]["balance_after"] == OWN_FUNDS - 30
        assert {**both, "shop": None, "payer": None} == {**payer_view, "shop": None, "payer": None}

    for headers in (
        world.stranger.headers,
        world.headers(Role.COORDINATOR),
        other_shop(world)[0].headers,
    ):
        assert_problem(client.get(path, headers=headers), 403, "not_account_owner")
    assert_problem(
        client.get(
            f"{API}/transactions/{world.own_tx[Role.MEMBER]}/receipt", headers=member.headers
        ),
        409,
        "not_a_payment",
    )
    assert_problem(
        client.get(f"{API}/transactions/{MISSING}/receipt", headers=member.headers),
        404,
        "transaction_not_found",
    )
    assert_invalid(
        client.get(f"{API}/transactions/0/receipt", headers=member.headers), "path.transaction_id"
    )

    refund = ok(
        client.post(
            f"{API}/transactions/{transaction_id}/refund",
            json={"amount": 10, "reason": "dry"},
            headers=keeper(world),
        ),
        201,
    )
    refund_view = ok(
        client.get(f"{API}/transactions/{refund['transaction_id']}/receipt", headers=member.headers)
    )
    assert refund_view["kind"] == "refund"
    assert refund_view["amount"] == 10
    assert refund_view["payment_transaction_id"] == transaction_id
    assert refund_view["payer"]["balance_after"] == OWN_FUNDS - 20
    assert refund_view["shop"]["balance_after"] is None
    assert_problem(
        client.get(
            f"{API}/transactions/{refund['transaction_id']}/receipt", headers=world.stranger.headers
        ),
        403,
        "not_account_owner",
    )


# --- the payments list --------------------------------------------------------------------------


def test_the_payments_list_and_its_filters(client: TestClient, world: World) -> None:
    member = world.headers(Role.MEMBER)
    shop = shop_of(world)
    supplier, supplier_shop = other_shop(world)
    first = paid(client, member, new_request(client, world, 10)["code"])
    elsewhere = paid(
        client,
        world.stranger.headers,
        new_request(client, world, 20, shop_id=supplier_shop.id, headers=supplier.headers)["code"],
    )
    mine_elsewhere = paid(
        client,
        member,
        new_request(client, world, 30, shop_id=supplier_shop.id, headers=supplier.headers)["code"],
    )
    last = paid(client, world.stranger.headers, new_request(client, world, 40)["code"])

    def ids(headers: dict[str, str], **params: Any) -> list[int]:
        return [p["transaction_id"] for p in listing(client, "/payments", headers, **params)]

    everything = listing(client, "/payments", world.admin.headers)
    assert [p["amount"] for p in everything] == [40, 30, 20, 10]
    assert ids(world.headers(Role.AUDITOR)) == [p["transaction_id"] for p in everything]
    newest = everything[0]
    assert newest["transaction_id"] == last["transaction_id"]
    assert newest["channel"] == "request"
    assert newest["currency"] == "TRK"
    assert newest["shop_account_id"] == shop.id
    assert newest["shop_name"] == shop.name
    assert newest["payer_account_id"] == world.stranger_account.id
    assert newest["refunded_amount"] == 0
    assert newest["card_id"] is None

    into_shop = [last["transaction_id"], first["transaction_id"]]
    assert ids(keeper(world)) == into_shop
    assert ids(keeper(world), shop_account_id=shop.id) == into_shop
    assert ids(world.admin.headers, shop_account_id=shop.id) == into_shop
    assert ids(supplier.headers) == [mine_elsewhere["transaction_id"], elsewhere["transaction_id"]]
    own = [mine_elsewhere["transaction_id"], first["transaction_id"]]
    assert ids(member) == own
    assert ids(member, payer_account_id=world.own[Role.MEMBER].id) == own
    assert ids(world.admin.headers, payer_account_id=world.stranger_account.id) == [
        last["transaction_id"],
        elsewhere["transaction_id"],
    ]
    assert ids(world.headers(Role.COORDINATOR)) == []
    assert ids(keeper(world), channel="card") == []

    created = {p["transaction_id"]: moment(p["created_at"]) for p in everything}
    since = created[mine_elsewhere["transaction_id"]]
    assert ids(world.admin.headers, since=since.isoformat()) == [
        last["transaction_id"],
        mine_elsewhere["transaction_id"],
    ]
    in_brussels = since.astimezone(ZoneInfo("Europe/Brussels")).isoformat()
    assert ids(world.admin.headers, since=in_brussels) == ids(
        world.admin.headers, since=since.isoformat()
    )
    assert ids(keeper(world), since=since.isoformat()) == [last["transaction_id"]]
    assert ids(world.admin.headers, until=since.isoformat()) == [
        elsewhere["transaction_id"],
        first["transaction_id"],
    ]
    later = created[last["transaction_id"]] + timedelta(seconds=1)
    assert ids(world.admin.headers, since=later.isoformat()) == []

    page = ok(client.get(f"{API}/payments", headers=world.admin.headers, params={"limit": 3}))
    assert [p["amount"] for p in page["items"]] == [40, 30, 20]
    rest = ok(
        client.get(
            f"{API}/payments",
            headers=world.admin.headers,
            params={"limit": 3, "cursor": page["next_cursor"]},
        )
    )
    assert [p["amount"] for p in rest["items"]] == [10]

    bad_queries: list[tuple[dict[str, Any], str]] = [
        ({"since": "2030-01-01T00:00:00"}, "query.since"),
        ({"until": "yesterday"}, "query.until"),
        ({"shop_account_id": 0}, "query.shop_account_id"),
        ({"payer_account_id": "x"}, "query.payer_account_id"),
        ({"channel": "cash"}, "query.channel"),
        ({"limit": 501}, "query.limit"),
    ]
    for params, field in bad_queries:
        assert_invalid(client.get(f"{API}/payments", headers=member, params=params), field)
    assert_problem(
        client.get(f"{API}/payments", headers=member, params={"cursor": "abc"}),
        422,
        "invalid_cursor",
    )
    assert_problem(
        client.get(f"{API}/payments", headers=member, params={"shop_account_id": MISSING}),
        404,
        "account_not_found",
    )
    assert_problem(
        client.get(
            f"{API}/payments",
            headers=member,
            params={"payer_account_id": world.stranger_account.id},
        ),
        403,
        "not_account_owner",
    )


# --- spending limits ----------------------------------------------------------------------------


def test_spending_limits_are_set_and_lifted(client: TestClient, world: World) -> None:
    currency = set_limits(client, world, {"max_payment": 40, "daily_spend_limit": 60})
    assert currency["code"] == "TRK"
    assert (currency["max_payment"], currency["daily_spend_limit"]) == (40, 60)
    listed = ok(client.get(f"{API}/currencies", headers=world.headers(Role.MEMBER)))
    assert [(c["max_payment"], c["daily_spend_limit"]) for c in listed] == [(40, 60)]

    lifted = set_limits(client, world, {"max_payment": None, "daily_spend_limit": 60})
    assert (lifted["max_payment"], lifted["daily_spend_limit"]) == (None, 60)
    cleared = set_limits(client, world, {})
    assert (cleared["max_payment"], cleared["daily_spend_limit"]) == (None, None)
    assert cleared["confirm_above"] is None

    with nothing_changes(client, world):
        for body, field in [
            ({"max_payment": 0}, "body.max_payment"),
            ({"max_payment": -1}, "body.max_payment"),
            ({"max_payment": HUGE}, "body.max_payment"),
            ({"max_payment": "40"}, "body.max_payment"),
            ({"daily_spend_limit": 1.5}, "body.daily_spend_limit"),
            ({"daily_spend_limit": True}, "body.daily_spend_limit"),
            ({"weekly_spend_limit": 5}, "body.weekly_spend_limit"),
        ]:
            response = client.put(
                f"{API}/currencies/TRK/spending-limits", json=body, headers=world.admin.headers
            )
            assert_invalid(response, field)
        missing = client.put(
            f"{API}/currencies/XYZ/spending-limits", json={}, headers=world.admin.headers
        )
        assert_problem(missing, 404, "currency_not_found")
        long_code = client.put(
            f"{API}/currencies/{'X' * 13}/spending-limits", json={}, headers=world.admin.headers
        )
        assert_invalid(long_code, "path.code")
        for role in (Role.AUDITOR, Role.SHOPKEEPER, Role.MEMBER):
            refused = client.put(
                f"{API}/currencies/TRK/spending-limits",
                json={"max_payment": 1},
                headers=world.headers(role),
            )
            assert_problem(refused, 403, "role_not_allowed")


def test_the_amount_pages_confirm_first_is_set_with_the_limits(
    client: TestClient, world: World
) -> None:
    """``confirm_above`` limits nothing the API does: a payment above it goes through at once."""
    currency = set_limits(client, world, {"confirm_above": 5, "max_payment": 600})
    assert (currency["confirm_above"], currency["max_payment"]) == (5, 600)
    request = new_request(client, world, 6)
    assert paid(client, world.headers(Role.MEMBER), request["code"])["amount"] == 6
    currency = set_limits(client, world, {"confirm_above": 500, "max_payment": 600})
    assert (currency["confirm_above"], currency["max_payment"]) == (500, 600)
    listed = ok(client.get(f"{API}/currencies", headers=world.headers(Role.MEMBER)))
    assert [c["confirm_above"] for c in listed] == [500]
    assert set_limits(client, world, {"max_payment": 600})["confirm_above"] is None
    with nothing_changes(client, world):
        for body in ({"confirm_above": 0}, {"confirm_above": -5}, {"confirm_above": HUGE}):
            response = client.put(
                f"{API}/currencies/TRK/spending-limits", json=body, headers=world.admin.headers
            )
            assert_invalid(response, "body.confirm_above")


def test_a_payment_over_the_single_payment_limit_is_refused(
    client: TestClient, world: World
) -> None:
    member = world.headers(Role.MEMBER)
    set_limits(client, world, {"max_payment": 40})
    request = new_request(client, world, 41)
    standing = new_request(client, world, None, kind="standing")
    with nothing_changes(client, world):
        body = assert_problem(pay(client, member, request["code"]), 409, "payment_limit_exceeded")
        assert body["limit"] == 40
        assert_problem(
            pay(client, member, standing["code"], {"amount": 41}), 409, "payment_limit_exceeded"
        )
    assert request_status(client, world, request["code"]) == "open"
    assert paid(client, member, standing["code"], amount=40)["amount"] == 40

    _supplier, supplier_shop = other_shop(world)
    to_supplier = new_request(
        client, world, 50, shop_id=supplier_shop.id, headers=world.admin.headers
    )
    shop_pays = paid(client, keeper(world), to_supplier["code"], account_id=shop_of(world).id)
    assert shop_pays["amount"] == 50, "limits are for members' spending, not shops'"

    set_limits(client, world, {"max_payment": None})
    assert paid(client, member, request["code"])["amount"] == 41


def test_the_daily_limit_counts_the_days_spending_net_of_refunds(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = world.headers(Role.MEMBER)
    set_limits(client, world, {"daily_spend_limit": 60})
    standing = new_request(client, world, None, kind="standing")["code"]
    first = paid(client, member, standing, amount=40)
    with nothing_changes(client, world):
        body = assert_problem(
            pay(client, member, standing, {"amount": 21}), 409, "daily_limit_exceeded"
        )
        assert body["limit"] == 60
        assert body["remaining"] == 20
    paid(client, member, standing, amount=20)
    with nothing_changes(client, world):
        assert_problem(pay(client, member, standing, {"amount": 1}), 409, "daily_limit_exceeded")
    refund = client.post(
        f"{API}/transactions/{first['transaction_id']}/refund",
        json={"amount": 15},
        headers=keeper(world),
    )
    assert refund.status_code == 201, refund.text
    paid(client, member, standing, amount=15)
    with nothing_changes(client, world):
        assert_problem(pay(client, member, standing, {"amount": 1}), 409, "daily_limit_exceeded")
    stranger = paid(client, world.stranger.headers, standing, amount=60)
    assert stranger["amount"] == 60, "the limit is per member account"

    real_now = clock.now
    at(monkeypatch, real_now() + timedelta(days=2))
    assert paid(client, member, new_request(client, world, 10)["code"])["amount"] == 10
    monkeypatch.setattr(clock, "now", real_now)
    set_limits(client, world, {"daily_spend_limit": None})
    assert paid(client, member, standing, amount=5)["amount"] == 5


def test_the_daily_limit_counts_all_of_a_members_accounts(client: TestClient, world: World) -> None:
    """The limit is a member's, summed over their member accounts in the currency; another
    member has their own."""
    member = world.headers(Role.MEMBER)
    second = world.account_of(Role.MEMBER, funded=True)
    set_limits(client, world, {"daily_spend_limit": 50})
    standing = new_request(client, world, None, kind="standing")["code"]
    paid(client, member, standing, amount=30)
    with nothing_changes(client, world):
        refused = pay(client, member, standing, {"amount": 21, "account_id": second.id})
        assert assert_problem(refused, 409, "daily_limit_exceeded")["remaining"] == 20
    assert paid(client, member, standing, amount=20, account_id=second.id)["amount"] == 20
    assert paid(client, world.stranger.headers, standing, amount=50)["amount"] == 50


def test_the_daily_limit_counts_todays_payments_at_any_moment_of_the_day(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the service clock at noon of some day, two payments made at that moment add up
    towards that day's limit.

    Shows a bug: ``services.payments.record_payment`` counts the day's spending from
    ``clock.now()``, but the payments it counts are stamped by ``services.ledger.post_entry``
    with ``models.utcnow()`` (the wall clock), so the service's notion of now and the journal's
    disagree and the second payment is let through."""
    noon = datetime(2031, 6, 10, 10, 0, tzinfo=UTC)  # noon in Brussels
    at(monkeypatch, noon)
    member = world.headers(Role.MEMBER)
    set_limits(client, world, {"daily_spend_limit": 50})
    standing = new_request(client, world, None, kind="standing")["code"]
    paid(client, member, standing, amount=30)
    assert_problem(pay(client, member, standing, {"amount": 30}), 409, "daily_limit_exceeded")


def reversed_payment(client: TestClient, world: World) -> Any:
    """The world's member's payment of 40, reversed by an administrator (the money went back)."""
    receipt = paid(client, world.headers(Role.MEMBER), new_request(client, world, 40)["code"])
    reversal = client.post(
        f"{API}/transactions/{receipt['transaction_id']}/reverse",
        json={"reason": "charged twice"},
        headers=world.admin.headers,
    )
    assert reversal.status_code == 201, reversal.text
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS
    return receipt


def test_a_reversed_payment_is_not_refundable(client: TestClient, world: World) -> None:
    """Shows a bug: ``services.ledger.reverse`` leaves the ``payments`` row as it was, so the
    receipt of a reversed payment still offers its whole amount as ``refundable`` while a refund
    of it is refused with ``already_reversed``."""
    receipt = reversed_payment(client, world)
    path = f"{API}/transactions/{receipt['transaction_id']}"
    refund = client.post(f"{path}/refund", headers=keeper(world))
    assert_problem(refund, 409, "already_reversed")
    view = ok(client.get(f"{path}/receipt", headers=keeper(world)))
    assert view["refundable"] == 0, view


def test_a_reversed_payment_does_not_count_towards_the_daily_limit(
    client: TestClient, world: World
) -> None:
    """The reversed 40 went back to the member: it is not part of the day's spending."""
    set_limits(client, world, {"daily_spend_limit": 50})
    reversed_payment(client, world)
    again = pay(client, world.headers(Role.MEMBER), new_request(client, world, 40)["code"])
    assert again.status_code == 201, again.text
