"""Payment requests through the API: a shop asks for an amount (or prints a standing QR where
the member types it), a member opens and pays it once, the shop cancels it or it expires, and the
shop watches it turn paid with a long poll; the QR images; and a retried payment charged once.

Every refusal is an RFC 9457 problem with its stable ``code`` and changes nothing: not the ledger,
not a request's status, not the payments. Expiry moves ``torekes.kit.clock`` instead of
sleeping. The helpers at the top are shared with ``test_spending_cards.py`` and
``test_spending_money.py``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import png  # type: ignore[import-untyped]
import pytest
import qrcode
from fastapi.testclient import TestClient

from tests.api.conftest import OWN_FUNDS, World
from tests.api.helpers import (
    API,
    HttpResponse,
    LedgerSnapshot,
    assert_invalid,
    assert_problem,
    snapshot,
)
from tests.support import Actor
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit import clock
from torekes.ledger.read_models import AccountView
from torekes.spending import payment_requests
from torekes.spending.read_models import PaymentRequestPublicView

REQUEST_CODE = re.compile(r"^[A-Za-z0-9_-]{27}$")  # 27 base64url characters: 162 bits
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MODULE_PIXELS = 8
MISSING = 123_456
HUGE = 10**15 + 1  # one over the largest amount a posting may carry
DEFAULT_LIFETIME = timedelta(minutes=10)


# --- helpers shared with the other spending tests -----------------------------------------------


def ok(response: HttpResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: moment)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def keeper(world: World) -> dict[str, str]:
    return world.headers(Role.SHOPKEEPER)


def shop_of(world: World) -> AccountView:
    return world.own[Role.SHOPKEEPER]


def other_shop(world: World, currency: str = "TRK") -> tuple[Actor, AccountView]:
    """A further shopkeeper and the (empty) shop account they keep."""
    shopkeeper = world.ledger.user(Role.SHOPKEEPER)
    return shopkeeper, world.ledger.account(AccountKind.SHOP, shopkeeper, currency)


def funded_member(world: World, amount: int = OWN_FUNDS) -> tuple[Actor, AccountView]:
    """A further member with one member account holding ``amount`` from the world's budget."""
    member = world.ledger.user(Role.MEMBER)
    account = world.ledger.account(AccountKind.MEMBER, member)
    if amount:
        world.ledger.transfer(world.budget.id, account.id, amount)
    return member, account


def new_request(
    client: TestClient,
    world: World,
    amount: int | None = 30,
    shop_id: int | None = None,
    headers: dict[str, str] | None = None,
    **more: Any,
) -> Any:
    """A payment request made through the API (by the world's shopkeeper at their shop unless
    told otherwise); ``amount=None`` leaves the amount out."""
    body: dict[str, Any] = {"shop_account_id": shop_id or shop_of(world).id, **more}
    if amount is not None:
        body["amount"] = amount
    response = client.post(f"{API}/payment-requests", json=body, headers=headers or keeper(world))
    return ok(response, 201)


def pay(
    client: TestClient,
    headers: dict[str, str],
    code: str,
    body: dict[str, Any] | None = None,
    key: str | None = None,
) -> HttpResponse:
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    path = f"{API}/payment-requests/{code}/pay"
    if body is None:
        return client.post(path, headers=headers)
    return client.post(path, json=body, headers=headers)


def paid(client: TestClient, headers: dict[str, str], code: str, **body: Any) -> Any:
    return ok(pay(client, headers, code, body or None), 201)


def balance(client: TestClient, world: World, account_id: int) -> int:
    return int(
        ok(client.get(f"{API}/accounts/{account_id}", headers=world.admin.headers))["balance"]
    )


def request_status(client: TestClient, world: World, code: str) -> str:
    view = ok(client.get(f"{API}/payment-requests/{code}", headers=world.admin.headers))
    return str(view["status"])


def listing(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    """Every item of a paged listing."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        query = {"limit": 500, **params, **({} if cursor is None else {"cursor": cursor})}
        page = ok(client.get(f"{API}{path}", headers=headers, params=query))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def spending_state(
    client: TestClient, world: World, with_cards: bool = True
) -> tuple[LedgerSnapshot, str, str, str, str]:
    """The ledger, every payment request, card and payment, and the currencies with their limits,
    as an administrator reads them. ``with_cards=False`` leaves the cards out (their PIN
    counters are what a wrong PIN may change)."""
    headers = world.admin.headers

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True)

    cards = listing(client, "/cards", headers) if with_cards else []
    return (
        snapshot(client, headers),
        dump(listing(client, "/payment-requests", headers)),
        dump(cards),
        dump(listing(client, "/payments", headers)),
        dump(ok(client.get(f"{API}/currencies", headers=headers))),
    )


@contextmanager
def nothing_changes(client: TestClient, world: World, with_cards: bool = True) -> Iterator[None]:
    before = spending_state(client, world, with_cards)
    yield
    assert spending_state(client, world, with_cards) == before


def qr_modules(image: bytes) -> list[list[bool]]:
    """The dark modules of a PNG QR code drawn with eight pixels a module."""
    width, height, rows, _info = png.Reader(bytes=image).asRGB8()
    pixels = [list(row) for row in rows]
    assert width == height
    assert width % MODULE_PIXELS == 0
    middle = MODULE_PIXELS // 2
    return [
        [pixels[y + middle][3 * (x + middle)] == 0 for x in range(0, width, MODULE_PIXELS)]
        for y in range(0, height, MODULE_PIXELS)
    ]


def expected_modules(url: str) -> list[list[bool]]:
    """The modules of ``url`` as a QR code with error correction M and a four-module quiet
    zone, as the README promises."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


def assert_png_holds(image: bytes, url: str) -> None:
    assert image.startswith(PNG_SIGNATURE)
    assert qr_modules(image) == expected_modules(url)


def assert_svg(image: bytes) -> None:
    root = ET.fromstring(image)  # noqa: S314 - the service's own output
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    assert any(element.tag.endswith("path") for element in root.iter())


def zbar_decode(image: bytes, tmp_path: Path) -> str:
    """What ``zbarimg`` reads in a PNG; outside CI, skips the calling test when zbarimg is not
    installed."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        if os.environ.get("CI"):
            pytest.fail("zbarimg is not installed; .ci/run installs zbar-tools")
        pytest.skip("zbarimg is not installed")
    path = tmp_path / "qr.png"
    path.write_bytes(image)
    result = subprocess.run(
        [zbarimg, "--quiet", "--raw", str(path)], capture_output=True, check=True, text=True
    )
    return result.stdout.strip()


def set_limits(client: TestClient, world: World, body: dict[str, Any]) -> Any:
    response = client.put(
        f"{API}/currencies/TRK/spending-limits", json=body, headers=world.admin.headers
    )
    return ok(response)


# --- payment requests ---------------------------------------------------------------------------


def test_a_shop_creates_a_request_and_lists_it(client: TestClient, world: World) -> None:
    shop = shop_of(world)
    request = new_request(client, world, 30, memo="Two loaves")
    assert request["kind"] == "one_off"
    assert request["status"] == "open"
    assert request["shop_account_id"] == shop.id
    assert request["shop_name"] == shop.name
    assert request["currency"] == "TRK"
    assert request["amount"] == 30
    assert request["memo"] == "Two loaves"
    assert REQUEST_CODE.match(request["code"]), request["code"]
    assert request["url"] == f"{world.ledger.settings.public_base_url}/p/{request['code']}"
    assert moment(request["expires_at"]) - moment(request["created_at"]) == DEFAULT_LIFETIME
    assert request["resolved_at"] is None
    assert request["transaction_id"] is None

    short = new_request(client, world, 5, expires_in=30)
    assert moment(short["expires_at"]) - moment(short["created_at"]) == timedelta(seconds=30)
    longest = new_request(client, world, 5, expires_in=86_400)
    assert moment(longest["expires_at"]) - moment(longest["created_at"]) == timedelta(days=1)
    assert len({request["code"], short["code"], longest["code"]}) == 3

    _other_keeper, elsewhere = other_shop(world)
    new_request(client, world, 7, shop_id=elsewhere.id, headers=world.admin.headers)
    mine = listing(client, "/payment-requests", keeper(world))
    assert [item["id"] for item in mine] == [longest["id"], short["id"], request["id"]]
    assert mine[-1] == request
    everyone = listing(client, "/payment-requests", world.headers(Role.AUDITOR))
    assert len(everyone) == 4
    by_shop = listing(client, "/payment-requests", world.admin.headers, shop_account_id=shop.id)
    assert [item["id"] for item in by_shop] == [item["id"] for item in mine]
    page = ok(client.get(f"{API}/payment-requests", headers=keeper(world), params={"limit": 2}))
    assert [item["id"] for item in page["items"]] == [longest["id"], short["id"]]
    rest = ok(
        client.get(
            f"{API}/payment-requests",
            headers=keeper(world),
            params={"limit": 2, "cursor": page["next_cursor"]},
        )
    )
    assert [item["id"] for item in rest["items"]] == [request["id"]]
    assert rest["next_cursor"] is None


def test_a_member_opens_a_request_and_pays_it(client: TestClient, world: World) -> None:
    member = world.headers(Role.MEMBER)
    request = new_request(client, world, 30, memo="Bread")
    opened = ok(client.get(f"{API}/payment-requests/{request['code']}", headers=member))
    assert opened == {
        "kind": "one_off",
        "shop_account_id": shop_of(world).id,
        "shop_name": shop_of(world).name,
        "currency": "TRK",
        "amount": 30,
        "memo": "Bread",
        "status": "open",
        "expires_at": request["expires_at"],
        "transaction_id": None,
    }

    receipt = paid(client, member, request["code"])
    assert receipt["kind"] == "payment"
    assert receipt["channel"] == "request"
    assert receipt["amount"] == 30
    assert receipt["memo"] == "Bread"
    assert receipt["payment_request_id"] == request["id"]
    assert receipt["payer"]["account_id"] == world.own[Role.MEMBER].id
    assert receipt["payer"]["balance_after"] == OWN_FUNDS - 30
    assert receipt["shop"]["balance_after"] is None
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS - 30
    assert balance(client, world, shop_of(world).id) == OWN_FUNDS + 30

    transaction_id = receipt["transaction_id"]
    for headers in (member, keeper(world), world.headers(Role.AUDITOR), world.admin.headers):
        seen = ok(client.get(f"{API}/payment-requests/{request['code']}", headers=headers))
        assert seen["status"] == "paid"
        assert seen["transaction_id"] == transaction_id
    for headers in (world.stranger.headers, world.headers(Role.COORDINATOR)):
        seen = ok(client.get(f"{API}/payment-requests/{request['code']}", headers=headers))
        assert seen["status"] == "paid"
        assert seen["transaction_id"] is None, "only the shop, the payer and auditors see it"
    listed = listing(client, "/payment-requests", keeper(world), status="paid")
    assert [item["id"] for item in listed] == [request["id"]]
    assert listed[0]["transaction_id"] == transaction_id
    assert listed[0]["resolved_at"] is not None
    assert ok(client.get(f"{API}/audit/verify", headers=world.admin.headers))["ok"] is True


def test_a_member_may_confirm_the_amount_and_name_the_account(
    client: TestClient, world: World
) -> None:
    member = world.actors[Role.MEMBER]
    second = world.account_of(Role.MEMBER, funded=True)
    request = new_request(client, world, 25)
    receipt = paid(client, member.headers, request["code"], amount=25, account_id=second.id)
    assert receipt["payer"]["account_id"] == second.id
    assert balance(client, world, second.id) == OWN_FUNDS - 25
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS


def test_a_shop_pays_another_shop_from_its_shop_account(client: TestClient, world: World) -> None:
    _supplier, supplier_shop = other_shop(world)
    request = new_request(client, world, 40, shop_id=supplier_shop.id, headers=world.admin.headers)
    receipt = paid(client, keeper(world), request["code"], account_id=shop_of(world).id)
    assert receipt["payer"]["account_id"] == shop_of(world).id
    assert receipt["payer"]["balance_after"] == OWN_FUNDS - 40
    assert balance(client, world, supplier_shop.id) == 40


def test_refused_payments_change_nothing(client: TestClient, world: World) -> None:
    """Each refusal of the issue's list, and the others a payer can run into: a clear problem
    with its own code; no balance, journal, request or payment changes."""
    member = world.headers(Role.MEMBER)
    shopkeeper = keeper(world)
    too_big = new_request(client, world, OWN_FUNDS + 1)
    cancelled = new_request(client, world, 10)
    ok(client.post(f"{API}/payment-requests/{cancelled['code']}/cancel", headers=shopkeeper))
    already_paid = new_request(client, world, 10)
    paid(client, world.stranger.headers, already_paid["code"])
    second_shop = world.ledger.account(AccountKind.SHOP, world.actors[Role.SHOPKEEPER])
    world.ledger.currency("EUX")
    _eux_keeper, eux_shop = other_shop(world, "EUX")
    eux = new_request(client, world, 10, shop_id=eux_shop.id, headers=world.admin.headers)
    standing = new_request(client, world, None, kind="standing")
    frozen_member, frozen_account = funded_member(world)
    world.set_status(frozen_account.id, "freeze")
    open_request = new_request(client, world, 30)
    code = open_request["code"]

    with nothing_changes(client, world):
        attempts: list[tuple[str, HttpResponse, int, str]] = [
            ("funds", pay(client, member, too_big["code"]), 409, "insufficient_funds"),
            ("cancelled", pay(client, member, cancelled["code"]), 409, "payment_request_cancelled"),
            ("paid", pay(client, member, already_paid["code"]), 409, "payment_request_paid"),
            (
                "self",
                pay(client, shopkeeper, code, {"account_id": shop_of(world).id}),
                409,
                "self_payment",
            ),
            (
                "own other shop",
                pay(client, shopkeeper, code, {"account_id": second_shop.id}),
                409,
                "self_payment",
            ),
            (
                "currency",
                pay(client, member, eux["code"], {"account_id": world.own[Role.MEMBER].id}),
                409,
                "currency_mismatch",
            ),
            ("no account in EUX", pay(client, member, eux["code"]), 409, "no_member_account"),
            ("shop names no account", pay(client, shopkeeper, code), 409, "no_member_account"),
            ("amount", pay(client, member, code, {"amount": 31}), 422, "amount_not_expected"),
            ("standing", pay(client, member, standing["code"]), 422, "amount_required"),
            (
                "standing, empty body",
                pay(client, member, standing["code"], {}),
                422,
                "amount_required",
            ),
            (
                "stranger's account",
                pay(client, member, code, {"account_id": world.stranger_account.id}),
                403,
                "not_account_owner",
            ),
            (
                "budget",
                pay(client, member, code, {"account_id": world.budget.id}),
                403,
                "not_account_owner",
            ),
            (
                "missing account",
                pay(client, member, code, {"account_id": MISSING}),
                404,
                "account_not_found",
            ),
            ("frozen", pay(client, frozen_member.headers, code), 409, "account_frozen"),
            ("admin", pay(client, world.admin.headers, code), 403, "role_not_allowed"),
            ("auditor", pay(client, world.headers(Role.AUDITOR), code), 403, "role_not_allowed"),
            ("unknown", pay(client, member, "x" * 27), 404, "payment_request_not_found"),
            ("longest", pay(client, member, "x" * 100), 404, "payment_request_not_found"),
        ]
    failures = {}
    for label, response, status, expected in attempts:
        try:
            body = assert_problem(response, status, expected)
            assert body["instance"].startswith(f"{API}/payment-requests/"), body
        except AssertionError as error:
            failures[label] = str(error)[:400]
    assert failures == {}
    assert request_status(client, world, code) == "open"
    assert request_status(client, world, too_big["code"]) == "open"
    assert paid(client, member, code)["amount"] == 30


def test_bad_pay_input_is_a_validation_error(client: TestClient, world: World) -> None:
    member = world.headers(Role.MEMBER)
    standing = new_request(client, world, None, kind="standing")["code"]
    one_off = new_request(client, world, 30)["code"]
    cases: list[tuple[str, Any, str]] = [
        (standing, {"amount": 0}, "body.amount"),
        (standing, {"amount": -5}, "body.amount"),
        (standing, {"amount": HUGE}, "body.amount"),
        (standing, {"amount": 2**63}, "body.amount"),
        (standing, {"amount": "5"}, "body.amount"),
        (standing, {"amount": 5.5}, "body.amount"),
        (standing, {"amount": 5.0}, "body.amount"),
        (standing, {"amount": True}, "body.amount"),
        (standing, {"amount": None, "tip": 1}, "body.tip"),
        (one_off, {"account_id": 0}, "body.account_id"),
        (one_off, {"account_id": "1"}, "body.account_id"),
        (one_off, {"account_id": 2**31}, "body.account_id"),
        (one_off, [30], "body"),
    ]
    with nothing_changes(client, world):
        for code, body, field in cases:
            response = client.post(f"{API}/payment-requests/{code}/pay", json=body, headers=member)
            assert_invalid(response, field)
        for method, suffix in [
            ("GET", ""),
            ("POST", "/pay"),
            ("POST", "/cancel"),
            ("GET", "/qr.svg"),
        ]:
            for length in (101, 5000):
                path = f"{API}/payment-requests/{'x' * length}{suffix}"
                assert_invalid(client.request(method, path, headers=member), "path.code")
    assert request_status(client, world, one_off) == "open"


def test_bad_request_input_is_refused(client: TestClient, world: World) -> None:
    shopkeeper = keeper(world)
    shop = shop_of(world).id
    invalid: list[tuple[dict[str, Any], str]] = [
        ({"shop_account_id": shop, "amount": 0}, "body.amount"),
        ({"shop_account_id": shop, "amount": -1}, "body.amount"),
        ({"shop_account_id": shop, "amount": HUGE}, "body.amount"),
        ({"shop_account_id": shop, "amount": 10**30}, "body.amount"),
        ({"shop_account_id": shop, "amount": "30"}, "body.amount"),
        ({"shop_account_id": shop, "amount": 30.5}, "body.amount"),
        ({"shop_account_id": shop, "amount": False}, "body.amount"),
        ({"shop_account_id": shop, "amount": 30, "price": 30}, "body.price"),
        ({"shop_account_id": shop, "amount": 30, "expires_in": 29}, "body.expires_in"),
        ({"shop_account_id": shop, "amount": 30, "expires_in": 0}, "body.expires_in"),
        ({"shop_account_id": shop, "amount": 30, "expires_in": -600}, "body.expires_in"),
        ({"shop_account_id": shop, "amount": 30, "expires_in": 86_401}, "body.expires_in"),
        ({"shop_account_id": shop, "amount": 30, "expires_in": "600"}, "body.expires_in"),
        ({"shop_account_id": shop, "amount": 30, "expires_in": 600.5}, "body.expires_in"),
        ({"shop_account_id": shop, "amount": 30, "memo": "m" * 201}, "body.memo"),
        ({"shop_account_id": shop, "amount": 30, "memo": "nul\x00"}, "body.memo"),
        ({"shop_account_id": shop, "amount": 30, "kind": "weekly"}, "body.kind"),
        ({"shop_account_id": 0, "amount": 30}, "body.shop_account_id"),
        ({"shop_account_id": str(shop), "amount": 30}, "body.shop_account_id"),
        ({"shop_account_id": 2**31, "amount": 30}, "body.shop_account_id"),
        ({"amount": 30}, "body.shop_account_id"),
    ]
    _elsewhere_keeper, elsewhere = other_shop(world)
    frozen = world.ledger.account(AccountKind.SHOP, world.actors[Role.SHOPKEEPER])
    world.set_status(frozen.id, "freeze")
    refused: list[tuple[dict[str, Any], int, str]] = [
        ({"shop_account_id": shop}, 422, "amount_required"),
        ({"shop_account_id": shop, "kind": "one_off", "amount": None}, 422, "amount_required"),
        ({"shop_account_id": shop, "kind": "standing", "amount": 5}, 422, "amount_not_expected"),
        (
            {"shop_account_id": shop, "kind": "standing", "expires_in": 600},
            422,
            "invalid_expiry",
        ),
        ({"shop_account_id": MISSING, "amount": 5}, 404, "account_not_found"),
        (
            {"shop_account_id": world.own[Role.MEMBER].id, "amount": 5},
            409,
            "account_kind_not_allowed",
        ),
        ({"shop_account_id": elsewhere.id, "amount": 5}, 403, "not_account_owner"),
        ({"shop_account_id": frozen.id, "amount": 5}, 409, "account_frozen"),
    ]
    with nothing_changes(client, world):
        for body, field in invalid:
            response = client.post(f"{API}/payment-requests", json=body, headers=shopkeeper)
            assert_invalid(response, field)
        for body, status, code in refused:
            response = client.post(f"{API}/payment-requests", json=body, headers=shopkeeper)
            assert_problem(response, status, code)
        not_a_shop = client.post(
            f"{API}/payment-requests",
            json={"shop_account_id": world.own[Role.MEMBER].id, "amount": 5},
            headers=world.admin.headers,
        )
        assert_problem(not_a_shop, 409, "account_kind_not_allowed")
        for role in (Role.MEMBER, Role.AUDITOR, Role.COORDINATOR):
            response = client.post(
                f"{API}/payment-requests",
                json={"shop_account_id": shop, "amount": 5},
                headers=world.headers(role),
            )
            assert_problem(response, 403, "role_not_allowed")
    assert listing(client, "/payment-requests", world.admin.headers) == []


def test_an_expired_request_cannot_be_paid_or_cancelled(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = world.headers(Role.MEMBER)
    request = new_request(client, world, 30, expires_in=60)
    code = request["code"]
    expires = moment(request["expires_at"])

    at(monkeypatch, expires)
    with nothing_changes(client, world):
        assert request_status(client, world, code) == "expired"
        assert_problem(pay(client, member, code), 409, "payment_request_expired")
        cancel = client.post(f"{API}/payment-requests/{code}/cancel", headers=keeper(world))
        assert_problem(cancel, 409, "payment_request_expired")
    expired = listing(client, "/payment-requests", keeper(world), status="expired")
    assert [item["id"] for item in expired] == [request["id"]]
    assert listing(client, "/payment-requests", keeper(world), status="open") == []

    at(monkeypatch, expires + timedelta(days=400))
    assert_problem(pay(client, member, code), 409, "payment_request_expired")
    at(monkeypatch, expires - timedelta(microseconds=1))
    assert request_status(client, world, code) == "open"
    assert paid(client, member, code)["amount"] == 30
    assert request_status(client, world, code) == "paid"
    at(monkeypatch, expires + timedelta(hours=1))
    assert request_status(client, world, code) == "paid", "a paid request never expires"


def test_cancelling_a_request(client: TestClient, world: World) -> None:
    member = world.headers(Role.MEMBER)
    request = new_request(client, world, 30)
    code = request["code"]
    cancelled = ok(client.post(f"{API}/payment-requests/{code}/cancel", headers=keeper(world)))
    assert cancelled["status"] == "cancelled"
    assert cancelled["resolved_at"] is not None
    assert cancelled["transaction_id"] is None
    with nothing_changes(client, world):
        assert_problem(pay(client, member, code), 409, "payment_request_cancelled")
        again = client.post(f"{API}/payment-requests/{code}/cancel", headers=keeper(world))
        assert_problem(again, 409, "payment_request_cancelled")

    settled = new_request(client, world, 10)
    paid(client, member, settled["code"])
    with nothing_changes(client, world):
        late = client.post(
            f"{API}/payment-requests/{settled['code']}/cancel", headers=keeper(world)
        )
        assert_problem(late, 409, "payment_request_paid")
        missing = client.post(f"{API}/payment-requests/{'x' * 27}/cancel", headers=keeper(world))
        assert_problem(missing, 404, "payment_request_not_found")
    assert request_status(client, world, settled["code"]) == "paid"

    by_admin = new_request(client, world, 10)
    response = client.post(
        f"{API}/payment-requests/{by_admin['code']}/cancel", headers=world.admin.headers
    )
    assert ok(response)["status"] == "cancelled"
    listed = listing(client, "/payment-requests", keeper(world))
    assert {item["id"]: item["status"] for item in listed} == {
        request["id"]: "cancelled",
        settled["id"]: "paid",
        by_admin["id"]: "cancelled",
    }
    cancelled_ones = listing(client, "/payment-requests", keeper(world), status="cancelled")
    assert [item["id"] for item in cancelled_ones] == [by_admin["id"], request["id"]]


def test_a_standing_qr_takes_amounts_until_retired(client: TestClient, world: World) -> None:
    member = world.headers(Role.MEMBER)
    standing = new_request(client, world, None, kind="standing", memo="At the till")
    assert standing["kind"] == "standing"
    assert standing["amount"] is None
    assert standing["expires_at"] is None
    code = standing["code"]
    opened = ok(client.get(f"{API}/payment-requests/{code}", headers=member))
    assert opened["amount"] is None
    assert opened["status"] == "open"

    first = paid(client, member, code, amount=7)
    second = paid(client, world.stranger.headers, code, amount=9)
    third = paid(client, member, code, amount=11)
    assert [receipt["channel"] for receipt in (first, second, third)] == ["standing"] * 3
    assert first["memo"] == "At the till"
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS - 18
    assert balance(client, world, shop_of(world).id) == OWN_FUNDS + 27
    assert request_status(client, world, code) == "open"
    payments = listing(client, "/payments", keeper(world), channel="standing")
    assert [p["amount"] for p in payments] == [11, 9, 7]
    assert {p["payment_request_id"] for p in payments} == {standing["id"]}

    with nothing_changes(client, world):
        assert_problem(pay(client, member, code), 422, "amount_required")
        assert_problem(pay(client, member, code, {"amount": OWN_FUNDS}), 409, "insufficient_funds")
    retired = ok(client.post(f"{API}/payment-requests/{code}/cancel", headers=keeper(world)))
    assert retired["status"] == "cancelled"
    with nothing_changes(client, world):
        assert_problem(pay(client, member, code, {"amount": 1}), 409, "payment_request_cancelled")


# --- the long poll ------------------------------------------------------------------------------


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], threading.Event]:
    """Record each status a long poll reads; the event is set at its first read."""
    statuses: list[str] = []
    first_read = threading.Event()
    original = payment_requests.open_request

    def observed(*args: Any) -> PaymentRequestPublicView:
        view = original(*args)
        statuses.append(view.status)
        first_read.set()
        return view

    monkeypatch.setattr(payment_requests, "open_request", observed)
    return statuses, first_read


def test_a_long_poll_answers_once_the_request_is_paid(
    client: TestClient, world: World, reads: tuple[list[str], threading.Event]
) -> None:
    statuses, first_read = reads
    request = new_request(client, world, 30)
    code = request["code"]

    def watch() -> HttpResponse:
        return client.get(
            f"{API}/payment-requests/{code}", params={"wait": 10}, headers=keeper(world)
        )

    def pay_once_watched() -> HttpResponse:
        assert first_read.wait(30), "the long poll never read the request"
        return pay(client, world.headers(Role.MEMBER), code)

    with ThreadPoolExecutor(max_workers=2) as pool:
        watched = pool.submit(watch)
        paying = pool.submit(pay_once_watched)
        receipt = ok(paying.result(), 201)
        answer = ok(watched.result())
    assert statuses[0] == "open", "the poll began before the payment"
    assert answer["status"] == "paid"
    assert answer["transaction_id"] == receipt["transaction_id"]


def test_a_long_poll_answers_once_the_request_is_cancelled(
    client: TestClient, world: World, reads: tuple[list[str], threading.Event]
) -> None:
    statuses, first_read = reads
    code = new_request(client, world, 30)["code"]

    def watch() -> HttpResponse:
        return client.get(
            f"{API}/payment-requests/{code}",
            params={"wait": 10},
            headers=world.headers(Role.MEMBER),
        )

    def cancel() -> HttpResponse:
        assert first_read.wait(30), "the long poll never read the request"
        return client.post(f"{API}/payment-requests/{code}/cancel", headers=keeper(world))

    with ThreadPoolExecutor(max_workers=2) as pool:
        watched = pool.submit(watch)
        ok(pool.submit(cancel).result())
        answer = ok(watched.result())
    assert statuses[0] == "open"
    assert answer["status"] == "cancelled"


def test_without_a_wait_an_open_request_is_answered_at_once(
    client: TestClient,
    world: World,
    reads: tuple[list[str], threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statuses, _first_read = reads
    request = new_request(client, world, 30)
    answer = ok(client.get(f"{API}/payment-requests/{request['code']}", headers=keeper(world)))
    assert answer["status"] == "open"
    zero = client.get(
        f"{API}/payment-requests/{request['code']}", params={"wait": 0}, headers=keeper(world)
    )
    assert ok(zero)["status"] == "open"
    assert statuses == ["open", "open"], "one read each, no waiting"

    at(monkeypatch, moment(request["expires_at"]))
    expired = client.get(
        f"{API}/payment-requests/{request['code']}", params={"wait": 10}, headers=keeper(world)
    )
    assert ok(expired)["status"] == "expired"
    assert statuses == ["open", "open", "expired"], "a request no longer open ends the wait"


@pytest.mark.parametrize("wait", ["-1", "61", "1e9", "nan", "inf", "soon", ""])
def test_a_bad_wait_is_a_validation_error(client: TestClient, world: World, wait: str) -> None:
    code = new_request(client, world, 30)["code"]
    response = client.get(
        f"{API}/payment-requests/{code}", params={"wait": wait}, headers=keeper(world)
    )
    assert_invalid(response, "query.wait")


# --- QR images ----------------------------------------------------------------------------------


def test_the_request_qr_as_svg_and_png(client: TestClient, world: World) -> None:
    request = new_request(client, world, 30)
    base = f"{API}/payment-requests/{request['code']}"
    svg = client.get(f"{base}/qr.svg", headers=keeper(world))
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert_svg(svg.content)
    image = client.get(f"{base}/qr.png", headers=world.headers(Role.AUDITOR))
    assert image.status_code == 200, image.text
    assert image.headers["content-type"] == "image/png"
    assert_png_holds(image.content, request["url"])
    other = new_request(client, world, 30)
    other_image = client.get(
        f"{API}/payment-requests/{other['code']}/qr.png", headers=keeper(world)
    )
    assert other_image.content != image.content

    assert_invalid(client.get(f"{base}/qr.gif", headers=keeper(world)), "path.image_format")
    assert_problem(
        client.get(f"{API}/payment-requests/{'x' * 27}/qr.png", headers=keeper(world)),
        404,
        "payment_request_not_found",
    )


def test_the_request_qr_decodes_to_its_url(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    """An independent QR reader (zbarimg, when installed) reads the request's URL back."""
    request = new_request(client, world, 30)
    image = client.get(f"{API}/payment-requests/{request['code']}/qr.png", headers=keeper(world))
    assert image.status_code == 200, image.text
    assert zbar_decode(image.content, tmp_path) == request["url"]


# --- Idempotency-Key ----------------------------------------------------------------------------


def test_a_retried_payment_is_charged_once(client: TestClient, world: World) -> None:
    member = world.headers(Role.MEMBER)
    request = new_request(client, world, 30)
    other = new_request(client, world, 30)
    code = request["code"]
    first = pay(client, member, code, key="pay-0001")
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = spending_state(client, world)
    again = pay(client, member, code, key="pay-0001")
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert spending_state(client, world) == after_first
    assert balance(client, world, world.own[Role.MEMBER].id) == OWN_FUNDS - 30
    payments = listing(client, "/payments", member)
    assert [p["transaction_id"] for p in payments] == [first.json()["transaction_id"]]

    reused = pay(client, member, code, {"amount": 30}, key="pay-0001")
    assert_problem(reused, 409, "idempotency_key_reused")
    elsewhere = pay(client, member, other["code"], key="pay-0001")
    assert_problem(elsewhere, 409, "idempotency_key_reused")
    assert_problem(pay(client, member, code), 409, "payment_request_paid")
    assert spending_state(client, world) == after_first
    assert request_status(client, world, other["code"]) == "open"


def test_a_refused_payment_stays_refused_for_its_key(client: TestClient, world: World) -> None:
    member, account = funded_member(world, 10)
    request = new_request(client, world, 30)
    refused = pay(client, member.headers, request["code"], key="try-again")
    assert_problem(refused, 409, "insufficient_funds")
    world.ledger.transfer(world.budget.id, account.id, 20)
    again = pay(client, member.headers, request["code"], key="try-again")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == refused.json()
    assert balance(client, world, account.id) == 30
    accepted = pay(client, member.headers, request["code"], key="a-new-try")
    assert accepted.status_code == 201, accepted.text
    assert balance(client, world, account.id) == 0
