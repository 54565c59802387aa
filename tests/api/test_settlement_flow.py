"""A month of redemptions settled through the API: two shops' approved redemptions gathered into
one settlement, exported as CSV for the bookkeeper and as an ISO 20022 pain.001 file whose sums
match, then marked paid in one step; the redemption account grows by exactly what was settled."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.helpers import API, assert_problem
from torekes.app import create_app
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.redemption.bank_files import PAIN_NAMESPACE
from torekes.settings import Settings

ORGANISATION_IBAN = "BE68539007547034"
SHOP_IBANS = ("BE71096123456769", "NL91ABNA0417164300")
NS = {"p": PAIN_NAMESPACE}


@pytest.fixture
def bank_client(settings: Settings) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={"payout_iban": ORGANISATION_IBAN, "payout_name": "Buurtwerk Rabot vzw"}
    )
    with TestClient(create_app(configured)) as client:
        yield client


def redeem(
    client: TestClient, world: World, shop_id: int, keeper: dict[str, str], amount: int
) -> int:
    asked = client.post(
        f"{API}/redemptions", json={"account_id": shop_id, "amount": amount}, headers=keeper
    )
    assert asked.status_code == 201, asked.text
    redemption_id: int = asked.json()["id"]
    approved = client.post(
        f"{API}/redemptions/{redemption_id}/approve", headers=world.admin.headers
    )
    assert approved.status_code == 200, approved.text
    return redemption_id


def test_a_settlement_from_approval_to_bank_file_to_paid(
    bank_client: TestClient, world: World
) -> None:
    client, admin = bank_client, world.admin.headers
    first_keeper = world.actors[Role.SHOPKEEPER]
    second_keeper = world.ledger.user(Role.SHOPKEEPER)
    second_shop = world.ledger.account(AccountKind.SHOP, second_keeper)
    world.ledger.transfer(world.budget.id, second_shop.id, 100)
    shops = [
        (world.own[Role.SHOPKEEPER].id, first_keeper.headers),
        (second_shop.id, second_keeper.headers),
    ]
    for (shop_id, keeper), iban in zip(shops, SHOP_IBANS, strict=True):
        payout = client.put(
            f"{API}/accounts/{shop_id}/payout",
            json={"iban": iban, "payout_name": "Café Ça Va"},
            headers=keeper,
        )
        assert payout.status_code == 200, payout.text
    ids = [
        redeem(client, world, shops[0][0], shops[0][1], 40),
        redeem(client, world, shops[1][0], shops[1][1], 25),
    ]
    waiting = client.post(
        f"{API}/redemptions", json={"account_id": shops[0][0], "amount": 5}, headers=shops[0][1]
    )
    assert waiting.status_code == 201, waiting.text

    created = client.post(f"{API}/settlements", json={"currency": "TRK"}, headers=admin)
    assert created.status_code == 201, created.text
    settlement = created.json()
    assert settlement["redemption_ids"] == ids  # the one not approved stays out
    assert (settlement["amount"], settlement["euro_cents"]) == (65, 650)
    assert_problem(
        client.post(f"{API}/settlements", json={"currency": "TRK"}, headers=admin),
        409,
        "nothing_to_settle",
    )
    alone = client.post(
        f"{API}/redemptions/{ids[0]}/pay", json={"payout_reference": "x"}, headers=admin
    )
    assert_problem(alone, 409, "redemption_in_settlement")

    exported = client.get(
        f"{API}/settlements/{settlement['id']}/export.csv", headers=world.headers(Role.AUDITOR)
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(row["iban"], row["tokens"], row["euro"]) for row in rows] == [
        (SHOP_IBANS[0], "40", "4.00"),
        (SHOP_IBANS[1], "25", "2.50"),
    ]

    bank = client.get(f"{API}/settlements/{settlement['id']}/pain.001.xml", headers=admin)
    assert bank.status_code == 200, bank.text
    root = ET.fromstring(bank.content)  # noqa: S314 - the service's own output
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    assert header.findtext("p:MsgId", namespaces=NS) == settlement["message_id"]
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "6.50"
    payment = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert payment is not None
    assert payment.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == ORGANISATION_IBAN
    transfers = payment.findall("p:CdtTrfTxInf", NS)
    amounts = [Decimal(t.findtext("p:Amt/p:InstdAmt", namespaces=NS) or "") for t in transfers]
    assert sum(amounts) == Decimal("6.50")
    assert [t.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) for t in transfers] == list(
        SHOP_IBANS
    )
    assert {t.findtext("p:Cdtr/p:Nm", namespaces=NS) for t in transfers} == {"Cafe Ca Va"}

    paid = client.post(
        f"{API}/settlements/{settlement['id']}/pay",
        json={"payout_reference": "KBC batch 2026-11"},
        headers=admin,
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    for redemption_id in ids:
        row = client.get(f"{API}/redemptions/{redemption_id}", headers=admin).json()
        assert (row["status"], row["payout_reference"]) == ("paid", "KBC batch 2026-11")
    assert_problem(
        client.post(
            f"{API}/settlements/{settlement['id']}/pay",
            json={"payout_reference": "again"},
            headers=admin,
        ),
        409,
        "settlement_already_paid",
    )
    redeemed = client.get(
        f"{API}/accounts/{world.currency.redemption_account_id}", headers=admin
    ).json()
    assert redeemed["balance"] == 65
    assert client.get(f"{API}/audit/verify", headers=admin).json()["ok"] is True


def test_the_bank_file_needs_the_organisations_account(client: TestClient, world: World) -> None:
    shop = world.own[Role.SHOPKEEPER]
    keeper = world.headers(Role.SHOPKEEPER)
    client.put(
        f"{API}/accounts/{shop.id}/payout",
        json={"iban": SHOP_IBANS[0], "payout_name": "Shop"},
        headers=keeper,
    )
    redeem(client, world, shop.id, keeper, 10)
    settlement = client.post(
        f"{API}/settlements", json={"currency": "TRK"}, headers=world.admin.headers
    ).json()
    refused = client.get(
        f"{API}/settlements/{settlement['id']}/pain.001.xml", headers=world.admin.headers
    )
    assert_problem(refused, 409, "payout_account_not_configured")


def test_a_settlement_of_several_redemptions_is_paid_with_an_idempotency_key(
    client: TestClient, world: World
) -> None:
    """A write that posts several transactions keeps its Idempotency-Key contract: paid once, and
    the same request again replays the first answer without paying anything twice."""
    admin = world.admin.headers
    shop = world.own[Role.SHOPKEEPER]
    keeper = world.headers(Role.SHOPKEEPER)
    payout = {"iban": SHOP_IBANS[0], "payout_name": "Shop"}
    assert client.put(f"{API}/accounts/{shop.id}/payout", json=payout, headers=keeper).is_success
    ids = [redeem(client, world, shop.id, keeper, amount) for amount in (10, 15, 20)]
    settlement = client.post(f"{API}/settlements", json={"currency": "TRK"}, headers=admin).json()
    assert settlement["redemption_ids"] == ids
    keyed = {**admin, "Idempotency-Key": "pay-settlement-1"}
    body = {"payout_reference": "KBC batch 2026-12"}

    paid = client.post(f"{API}/settlements/{settlement['id']}/pay", json=body, headers=keyed)
    again = client.post(f"{API}/settlements/{settlement['id']}/pay", json=body, headers=keyed)

    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert (again.status_code, again.json()) == (200, paid.json())
    redeemed = client.get(
        f"{API}/accounts/{world.currency.redemption_account_id}", headers=admin
    ).json()
    assert redeemed["balance"] == 45
    assert client.get(f"{API}/audit/verify", headers=admin).json()["ok"] is True
