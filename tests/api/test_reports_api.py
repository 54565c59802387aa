"""The reports through the API: circulation and euro liability now and as of any sequence number or
moment, projects and shops per month, account statements, JSON or CSV, and bad input.

The clock is moved, not slept on: ``FakeClock`` moves ``torekes.kit.clock.now`` (redemption
steps, rates, claims) and ``torekes.db.models.utcnow`` (the journal's ``created_at``, API tokens)
together, and the world is built under it, so every transaction of a test lands on a date the test
chose. Tokens are made to outlive the months a test walks through. Months are counted in Brussels
(``TOREKES_TIMEZONE``'s default): 23:30 UTC on the last day of February is already March there.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    BUDGET_FUNDS,
    OWN_FUNDS,
    PROJECT_FUNDS,
    REWARD,
    World,
    new_activity,
    new_batch,
)
from tests.api.helpers import API, HttpResponse, assert_invalid, assert_problem
from tests.apps import app_for
from tests.integration.spending_support import FakeClock
from tests.support import Actor
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import RewardKind
from torekes.settings import Settings

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
IBAN = "BE71 0961 2345 6769"
CSV_TYPE = "text/csv; charset=utf-8"
WORLD_MEMBER_ACCOUNTS = 5  # admin, auditor, coordinator, member, stranger: OWN_FUNDS each


def at(day: str) -> datetime:
    """``2026-02-10T10:00`` as a UTC moment."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@dataclass
class Scene:
    world: World
    clock: FakeClock

    def headers(self, role: Role) -> dict[str, str]:
        return self.world.headers(role)

    @property
    def admin(self) -> dict[str, str]:
        return self.world.admin.headers

    def member(self) -> Actor:
        """A further member with a member account, made at the clock's moment."""
        actor = self.world.ledger.user(Role.MEMBER)
        self.world.ledger.account(AccountKind.MEMBER, actor)
        return actor


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """API tokens outlive the months these tests move the clock through."""
    return settings.model_copy(update={"token_lifetime_days": 3650})


@pytest.fixture
def scene(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Scene:
    """The world, built with the clock at ``START`` (so its entries are dated 5 January 2026)."""
    clock = FakeClock(monkeypatch, START)
    world = cast(World, request.getfixturevalue("world"))
    return Scene(world, clock)


# --- helpers ------------------------------------------------------------------------------------


def ok(response: HttpResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    return ok(client.get(f"{API}{path}", headers=headers, params=params))


def post(
    client: TestClient, path: str, headers: dict[str, str], body: Any = None, status: int = 200
) -> Any:
    return ok(client.post(f"{API}{path}", headers=headers, json=body), status)


def csv_rows(response: HttpResponse) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV_TYPE, response.headers
    assert response.headers["content-disposition"].startswith("attachment; filename="), (
        response.headers
    )
    assert "\r\n" in response.text
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


def last_seq(client: TestClient, scene: Scene, code: str = "TRK") -> int:
    currencies = get(client, "/currencies", scene.admin)
    return int(next(item["last_seq"] for item in currencies if item["code"] == code))


def transfer(
    client: TestClient,
    headers: dict[str, str],
    source: int,
    target: int,
    amount: int,
    memo: str = "",
) -> int:
    body = {"from_account_id": source, "to_account_id": target, "amount": amount, "memo": memo}
    return int(post(client, "/transfers", headers, body, 201)["seq"])


def pay_at(
    client: TestClient, scene: Scene, shop_id: int, payer: dict[str, str], amount: int, **more: Any
) -> dict[str, Any]:
    """A one-off request at the shop (made by an administrator), paid by ``payer``."""
    body = {"shop_account_id": shop_id, "amount": amount, "memo": "Bread"}
    code = post(client, "/payment-requests", scene.admin, body, 201)["code"]
    receipt: dict[str, Any] = post(client, f"/payment-requests/{code}/pay", payer, more, 201)
    return receipt


def ask_redemption(client: TestClient, scene: Scene, shop_id: int, amount: int) -> int:
    body = {"account_id": shop_id, "amount": amount}
    return int(post(client, "/redemptions", scene.headers(Role.SHOPKEEPER), body, 201)["id"])


def set_payout(client: TestClient, scene: Scene, shop_id: int) -> None:
    body = {"iban": IBAN, "payout_name": "Bakkerij Rabot"}
    response = client.put(
        f"{API}/accounts/{shop_id}/payout", json=body, headers=scene.headers(Role.SHOPKEEPER)
    )
    ok(response)


def set_rate(client: TestClient, scene: Scene, rate: str, code: str = "TRK") -> None:
    response = client.put(
        f"{API}/currencies/{code}/euro-rate", json={"rate": rate}, headers=scene.admin
    )
    ok(response)


def picked(report: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: report[name] for name in names}


# --- circulation --------------------------------------------------------------------------------

BASE = {
    "issued": BUDGET_FUNDS,
    "budgets": BUDGET_FUNDS - (WORLD_MEMBER_ACCOUNTS + 1) * OWN_FUNDS,
    "member_wallets": WORLD_MEMBER_ACCOUNTS * OWN_FUNDS,
    "shops": OWN_FUNDS,
    "partners": 0,
    "redeemed": 0,
}
MONEY = (
    "pending_redemption",
    "approved_unpaid",
    "approved_unpaid_euro_cents",
    "euro_rate",
    "euro_liability_cents",
)


def test_circulation_and_euro_liability_through_a_redemption(
    client: TestClient, scene: Scene
) -> None:
    """60 tokens are asked, approved at EUR 0.10 (600 cents), the rate goes to 0.12, then they
    are paid; 30 more are asked and rejected. At each step the report, now and as of any earlier
    sequence number or moment, says where the tokens were and what they were worth then."""
    world, clock = scene.world, scene.clock
    auditor = scene.headers(Role.AUDITOR)
    shop = world.own[Role.SHOPKEEPER].id
    seq_world = last_seq(client, scene)

    def circulation(as_of: str | None = None) -> dict[str, Any]:
        params = {"currency": "TRK"} if as_of is None else {"currency": "TRK", "as_of": as_of}
        report: dict[str, Any] = get(client, "/reports/circulation", auditor, **params)
        assert report["identity_holds"] is True, report
        assert report["issued"] == report["in_circulation"] + report["redeemed"], report
        in_wallets = ("budgets", "member_wallets", "shops", "partners")
        assert report["in_circulation"] == sum(report[name] for name in in_wallets), report
        assert (report["currency"], report["decimals"]) == ("TRK", 0)
        return report

    def money(pending: int, approved: int, cents: int, rate: str, liability: int) -> dict[str, Any]:
        return dict(zip(MONEY, (pending, approved, cents, rate, liability), strict=True))

    before = circulation()
    assert picked(before, *BASE) == BASE
    assert picked(before, *MONEY) == money(0, 0, 0, "0.10000000", BUDGET_FUNDS * 10)
    assert before["as_of_seq"] == seq_world

    clock.set(at("2026-01-06T10:00"))
    set_payout(client, scene, shop)
    first = ask_redemption(client, scene, shop, 60)
    asked = circulation()
    assert picked(asked, *BASE) == BASE  # held, still on the shop's account
    assert picked(asked, *MONEY) == money(60, 0, 0, "0.10000000", 100_000)

    clock.set(at("2026-01-07T10:00"))
    approved = post(client, f"/redemptions/{first}/approve", scene.admin)
    assert approved["euro_cents"] == 600
    # 60 approved at 600 cents, the other 9940 at EUR 0.10.
    assert picked(circulation(), *MONEY) == money(60, 60, 600, "0.10000000", 600 + 99_400)

    clock.set(at("2026-01-08T10:00"))
    set_rate(client, scene, "0.12")
    # The approved 60 keep their 600 cents; the other 9940 are now worth 12 cents each.
    assert picked(circulation(), *MONEY) == money(60, 60, 600, "0.12000000", 600 + 119_280)

    clock.set(at("2026-01-09T10:00"))
    seq_transfer = transfer(client, scene.admin, world.budget.id, world.stranger_account.id, 5)

    clock.set(at("2026-01-10T10:00"))
    post(client, f"/redemptions/{first}/pay", scene.admin, {"payout_reference": "SEPA 1"})
    seq_paid = last_seq(client, scene)
    assert seq_paid == seq_transfer + 1
    after_pay = {
        **BASE,
        "budgets": BASE["budgets"] - 5,
        "member_wallets": BASE["member_wallets"] + 5,
        "shops": OWN_FUNDS - 60,
        "redeemed": 60,
    }
    paid = circulation()
    assert picked(paid, *after_pay) == after_pay
    assert paid["in_circulation"] == BUDGET_FUNDS - 60
    assert picked(paid, *MONEY) == money(0, 0, 0, "0.12000000", 9940 * 12)

    clock.set(at("2026-01-11T10:00"))
    second = ask_redemption(client, scene, shop, 30)
    clock.set(at("2026-01-12T10:00"))
    post(client, f"/redemptions/{second}/reject", scene.admin, {"reason": "not this month"})
    clock.set(at("2026-01-13T10:00"))
    now = circulation()
    assert picked(now, *MONEY) == money(0, 0, 0, "0.12000000", 9940 * 12)
    assert now["as_of_seq"] == seq_paid
    assert datetime.fromisoformat(now["as_of"]) == at("2026-01-13T10:00")

    # As of sequence numbers: the moment is that transaction's.
    world_end = circulation(str(seq_world))
    assert world_end["as_of_seq"] == seq_world
    assert datetime.fromisoformat(world_end["as_of"]) == START
    assert picked(world_end, *BASE) == BASE
    assert picked(world_end, *MONEY) == money(0, 0, 0, "0.10000000", 100_000)
    after_transfer = circulation(str(seq_transfer))
    assert datetime.fromisoformat(after_transfer["as_of"]) == at("2026-01-09T10:00")
    assert (after_transfer["budgets"], after_transfer["member_wallets"]) == (
        BASE["budgets"] - 5,
        BASE["member_wallets"] + 5,
    )
    assert (after_transfer["shops"], after_transfer["redeemed"]) == (OWN_FUNDS, 0)
    assert picked(after_transfer, *MONEY) == money(60, 60, 600, "0.12000000", 600 + 119_280)
    paid_then = circulation(str(seq_paid))
    assert picked(paid_then, *after_pay) == after_pay
    assert picked(paid_then, *MONEY) == money(0, 0, 0, "0.12000000", 119_280)
    beyond = circulation("999999")
    assert beyond["as_of_seq"] == seq_paid

    # As of moments, in any offset: between the steps, no transaction happened.
    expected_at = {
        "2026-01-06T12:00:00Z": money(60, 0, 0, "0.10000000", 100_000),
        "2026-01-07T12:00:00+00:00": money(60, 60, 600, "0.10000000", 100_000),
        # 11:00 UTC: an hour after the rate changed.
        "2026-01-08T12:00:00+01:00": money(60, 60, 600, "0.12000000", 119_880),
        # 09:30 UTC: half an hour before it changed.
        "2026-01-08T10:30:00+01:00": money(60, 60, 600, "0.10000000", 100_000),
        "2026-01-11T12:00:00Z": money(30, 0, 0, "0.12000000", 119_280),
        "2026-01-12T12:00:00Z": money(0, 0, 0, "0.12000000", 119_280),
    }
    for moment, expected in expected_at.items():
        report = circulation(moment)
        assert picked(report, *MONEY) == expected, moment
        assert datetime.fromisoformat(report["as_of"]) == datetime.fromisoformat(moment), moment
    assert circulation("2026-01-08T12:00:00+01:00")["as_of_seq"] == seq_world
    assert circulation("2026-01-11T12:00:00Z")["as_of_seq"] == seq_paid
    nothing_yet = circulation("2025-12-31T12:00:00Z")
    assert nothing_yet["as_of_seq"] == 0
    assert (nothing_yet["issued"], nothing_yet["in_circulation"]) == (0, 0)
    assert nothing_yet["euro_liability_cents"] == 0

    # The same figures as CSV: one row, amounts in whole units, euros with cents.
    rows = csv_rows(
        client.get(
            f"{API}/reports/circulation",
            params={"currency": "TRK", "as_of": str(seq_transfer), "format": "csv"},
            headers=auditor,
        )
    )
    assert len(rows) == 1
    assert picked(
        rows[0],
        "currency",
        "as_of_seq",
        "issued",
        "budgets",
        "shops",
        "pending_redemption",
        "redeemed",
        "identity_holds",
        "euro_rate",
        "approved_unpaid",
        "approved_unpaid_euro",
        "euro_liability",
    ) == {
        "currency": "TRK",
        "as_of_seq": str(seq_transfer),
        "issued": "10000",
        "budgets": str(BASE["budgets"] - 5),
        "shops": "100",
        "pending_redemption": "60",
        "redeemed": "0",
        "identity_holds": "true",
        "euro_rate": "0.12000000",
        "approved_unpaid": "60",
        "approved_unpaid_euro": "6.00",
        "euro_liability": "1198.80",
    }
    assert datetime.fromisoformat(rows[0]["as_of"]) == at("2026-01-09T10:00")


def test_circulation_before_the_first_entry_shows_the_first_rate(
    client: TestClient, world: World
) -> None:
    """As of sequence number 0 the report stands at the currency's creation, when its first
    rate (EUR 0.10) was in force; a rate set since must not be shown as that moment's. (The real
    clock here: the currency's creation time is not moved by ``FakeClock``.)"""
    rate = client.put(
        f"{API}/currencies/TRK/euro-rate", json={"rate": "0.12"}, headers=world.admin.headers
    )
    ok(rate)
    history = get(client, "/currencies/TRK/rates", world.admin.headers)
    first = min(history, key=lambda item: item["valid_from"])
    assert first["rate"] == "0.10000000"
    report = get(client, "/reports/circulation", world.admin.headers, currency="TRK", as_of="0")
    assert (report["as_of_seq"], report["issued"], report["euro_liability_cents"]) == (0, 0, 0)
    assert datetime.fromisoformat(report["as_of"]) == world.currency.created_at
    assert report["euro_rate"] == "0.10000000"


# --- projects -----------------------------------------------------------------------------------

PROJECT_FIELDS = (
    "month",
    "budget_start",
    "funded",
    "tokens_paid",
    "other",
    "budget_left",
    "claims",
    "hours",
    "volunteers",
    "first_time_volunteers",
)


def project_row(*values: Any) -> dict[str, Any]:
    row = dict(zip(PROJECT_FIELDS, values, strict=True))
    row["hours"] = Decimal(row["hours"])
    return row


def project_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [*report["months"], report["total"]]
    return [{**picked(row, *PROJECT_FIELDS), "hours": Decimal(row["hours"])} for row in rows]


def claim_hours(client: TestClient, headers: dict[str, str], code: str, hours: str) -> Any:
    return post(client, "/claims", headers, {"code": code, "hours": hours}, 201)


def _project_history(client: TestClient, scene: Scene) -> None:
    """January: funded 1000 (the world), the member's claim approved (10, no hours).
    February: the member 2.5 h (25), the stranger 1.5 h (15, a first time), 500 issued to the
    budget, 100 moved out of it. March: a newcomer 1 h at 00:30 on 1 March in Brussels (still
    February in UTC), the member 3 h (30), the stranger's February reward reversed (+15), and the
    stranger's claim on the approval activity left pending. April: that claim approved (10)."""
    world, clock = scene.world, scene.clock
    project = world.earning.project
    member, stranger = scene.headers(Role.MEMBER), world.stranger.headers
    coordinator = scene.headers(Role.COORDINATOR)

    clock.set(at("2026-01-20T10:00"))
    post(client, f"/claims/{world.earning.pending.id}/approve", coordinator)
    hourly = new_activity(
        world.ledger,
        project.id,
        reward_kind=RewardKind.PER_HOUR,
        reward_amount=10,
        max_hours=Decimal(8),
        requires_approval=False,
    )
    codes = [code.code for code in new_batch(world.ledger, hourly.id, count=4).codes]

    clock.set(at("2026-02-10T10:00"))
    assert claim_hours(client, member, codes[0], "2.5")["amount"] == 25
    clock.set(at("2026-02-11T10:00"))
    stranger_claim = claim_hours(client, stranger, codes[1], "1.5")
    assert stranger_claim["status"] == "paid"
    clock.set(at("2026-02-12T10:00"))
    body = {"to_account_id": project.budget_account_id, "amount": 500}
    post(client, "/issuances", scene.admin, body, 201)
    clock.set(at("2026-02-13T10:00"))
    transfer(client, scene.admin, project.budget_account_id, world.budget.id, 100)

    clock.set(at("2026-02-28T23:30"))  # 1 March, 00:30 in Brussels
    newcomer = scene.member()
    claim_hours(client, newcomer.headers, codes[2], "1")
    clock.set(at("2026-03-05T10:00"))
    claim_hours(client, member, codes[3], "3")
    clock.set(at("2026-03-06T10:00"))
    reversal = {"reason": "claimed by mistake"}
    post(
        client,
        f"/transactions/{stranger_claim['transaction_id']}/reverse",
        scene.admin,
        reversal,
        201,
    )
    clock.set(at("2026-03-07T10:00"))
    pending = post(client, "/claims", stranger, {"code": world.earning.batch.codes[1].code}, 201)
    assert pending["status"] == "pending"

    clock.set(at("2026-04-02T10:00"))
    post(client, f"/claims/{pending['id']}/approve", coordinator)
    clock.set(at("2026-05-20T10:00"))


def test_project_report_per_month(client: TestClient, scene: Scene) -> None:
    _project_history(client, scene)
    project = scene.world.earning.project
    params = {"from": "2026-01", "to": "2026-04"}
    reports = get(client, "/reports/projects", scene.headers(Role.COORDINATOR), **params)
    assert len(reports) == 1
    report = reports[0]
    assert picked(report, "project_id", "project", "currency", "decimals", "budget_account_id") == {
        "project_id": project.id,
        "project": project.name,
        "currency": "TRK",
        "decimals": 0,
        "budget_account_id": project.budget_account_id,
    }
    assert project_rows(report) == [
        project_row("2026-01", 0, PROJECT_FUNDS, REWARD, 0, 990, 1, "0", 1, 1),
        project_row("2026-02", 990, 500, 40, -100, 1350, 2, "4", 2, 1),
        project_row("2026-03", 1350, 0, 40, 15, 1325, 2, "4", 2, 1),
        project_row("2026-04", 1325, 0, 10, 0, 1315, 1, "0", 1, 0),
        project_row("2026-01..2026-04", 0, 1500, 100, -85, 1315, 6, "8", 3, 3),
    ]
    for row in report["months"]:
        assert row["budget_left"] == (
            row["budget_start"] + row["funded"] - row["tokens_paid"] + row["other"]
        )
    budget = get(client, f"/accounts/{project.budget_account_id}", scene.admin)
    assert budget["balance"] == 1315
    # Administrators and auditors see the same, by project_id too.
    for headers in (scene.admin, scene.headers(Role.AUDITOR)):
        same = get(client, "/reports/projects", headers, project_id=project.id, **params)
        assert same == reports


def test_first_time_volunteers_count_from_their_first_claim_ever(
    client: TestClient, scene: Scene
) -> None:
    """From February on, the member (first paid in January) is never a first-timer."""
    _project_history(client, scene)
    params = {"from": "2026-02", "to": "2026-03"}
    report = get(client, "/reports/projects", scene.admin, **params)[0]
    assert project_rows(report) == [
        project_row("2026-02", 990, 500, 40, -100, 1350, 2, "4", 2, 1),
        project_row("2026-03", 1350, 0, 40, 15, 1325, 2, "4", 2, 1),
        project_row("2026-02..2026-03", 990, 500, 80, -85, 1325, 4, "8", 3, 2),
    ]
    quiet = get(client, "/reports/projects", scene.admin, **{"from": "2025-11", "to": "2025-12"})
    assert project_rows(quiet[0]) == [
        project_row("2025-11", 0, 0, 0, 0, 0, 0, "0", 0, 0),
        project_row("2025-12", 0, 0, 0, 0, 0, 0, "0", 0, 0),
        project_row("2025-11..2025-12", 0, 0, 0, 0, 0, 0, "0", 0, 0),
    ]


def test_project_report_defaults_to_the_last_twelve_months(
    client: TestClient, scene: Scene
) -> None:
    _project_history(client, scene)  # the clock ends on 20 May 2026
    report = get(client, "/reports/projects", scene.admin)[0]
    months = [row["month"] for row in report["months"]]
    assert months == [f"2025-{m:02d}" for m in range(6, 13)] + [
        f"2026-{m:02d}" for m in range(1, 6)
    ]
    assert report["total"]["month"] == "2025-06..2026-05"
    assert report["total"]["budget_left"] == 1315
    assert report["total"]["first_time_volunteers"] == 3
    ending = get(client, "/reports/projects", scene.admin, to="2026-02")[0]
    assert ending["total"]["month"] == "2025-03..2026-02"


def test_project_report_as_csv(client: TestClient, scene: Scene) -> None:
    _project_history(client, scene)
    project = scene.world.earning.project
    response = client.get(
        f"{API}/reports/projects",
        params={"from": "2026-02", "to": "2026-03", "format": "csv"},
        headers=scene.headers(Role.COORDINATOR),
    )
    rows = csv_rows(response)
    assert response.headers["content-disposition"] == 'attachment; filename="projects.csv"'
    assert [row["month"] for row in rows] == ["2026-02", "2026-03", "2026-02..2026-03"]
    assert {row["project_id"] for row in rows} == {str(project.id)}
    assert {row["project"] for row in rows} == {project.name}
    assert picked(rows[0], "budget_start", "funded", "tokens_paid", "other", "budget_left") == {
        "budget_start": "990",
        "funded": "500",
        "tokens_paid": "40",
        "other": "-100",
        "budget_left": "1350",
    }
    assert Decimal(rows[0]["hours"]) == Decimal(4)
    assert (rows[2]["volunteers"], rows[2]["first_time_volunteers"]) == ("3", "2")


# --- shops --------------------------------------------------------------------------------------

SHOP_FIELDS = (
    "month",
    "balance_start",
    "payments",
    "payments_count",
    "refunds",
    "refunds_count",
    "redeemed",
    "redemptions_count",
    "redeemed_euro_cents",
    "other",
    "balance_end",
    "pending_redemption",
)


def shop_row(*values: Any) -> dict[str, Any]:
    return dict(zip(SHOP_FIELDS, values, strict=True))


def test_shop_report_per_month(client: TestClient, scene: Scene) -> None:
    """January: the world's 100 in. February: paid 30 and 20, 5 of the 20 refunded, the shop
    pays 10 at another shop, 50 asked to redeem. March: the 50 approved and paid at EUR 0.10,
    10 asked and rejected, 7 asked. April: a payment of 4 at 00:30 on 1 April in Brussels (still
    31 March in UTC, summer time), the 7 paid."""
    world, clock = scene.world, scene.clock
    shop = world.own[Role.SHOPKEEPER].id
    keeper = scene.headers(Role.SHOPKEEPER)
    other_keeper = world.ledger.user(Role.SHOPKEEPER)
    other_shop = world.ledger.account(AccountKind.SHOP, other_keeper).id

    clock.set(at("2026-02-03T10:00"))
    pay_at(client, scene, shop, scene.headers(Role.MEMBER), 30)
    clock.set(at("2026-02-04T10:00"))
    stranger_paid = pay_at(client, scene, shop, world.stranger.headers, 20)
    clock.set(at("2026-02-05T10:00"))
    refund = {"amount": 5, "reason": "stale bread"}
    post(client, f"/transactions/{stranger_paid['transaction_id']}/refund", keeper, refund, 201)
    clock.set(at("2026-02-06T10:00"))
    pay_at(client, scene, other_shop, keeper, 10, account_id=shop)
    clock.set(at("2026-02-25T10:00"))
    set_payout(client, scene, shop)
    fifty = ask_redemption(client, scene, shop, 50)

    clock.set(at("2026-03-03T10:00"))
    post(client, f"/redemptions/{fifty}/approve", scene.admin)
    clock.set(at("2026-03-04T10:00"))
    post(client, f"/redemptions/{fifty}/pay", scene.admin, {"payout_reference": "SEPA 1"})
    clock.set(at("2026-03-10T10:00"))
    ten = ask_redemption(client, scene, shop, 10)
    clock.set(at("2026-03-11T10:00"))
    post(client, f"/redemptions/{ten}/reject", scene.admin, {"reason": "not now"})
    clock.set(at("2026-03-20T10:00"))
    seven = ask_redemption(client, scene, shop, 7)

    clock.set(at("2026-03-31T22:30"))  # 1 April, 00:30 in Brussels (UTC+2)
    pay_at(client, scene, shop, scene.headers(Role.MEMBER), 4)
    clock.set(at("2026-04-02T10:00"))
    post(client, f"/redemptions/{seven}/approve", scene.admin)
    post(client, f"/redemptions/{seven}/pay", scene.admin, {"payout_reference": "SEPA 2"})
    clock.set(at("2026-05-02T10:00"))

    params = {"from": "2026-01", "to": "2026-04"}
    reports = get(client, "/reports/shops", keeper, **params)
    assert [report["account_id"] for report in reports] == [shop]
    report = reports[0]
    assert picked(report, "kind", "currency", "decimals", "name") == {
        "kind": "shop",
        "currency": "TRK",
        "decimals": 0,
        "name": world.own[Role.SHOPKEEPER].name,
    }
    assert [picked(row, *SHOP_FIELDS) for row in report["months"]] == [
        shop_row("2026-01", 0, 0, 0, 0, 0, 0, 0, 0, OWN_FUNDS, 100, 0),
        shop_row("2026-02", 100, 50, 2, 5, 1, 0, 0, 0, -10, 135, 50),
        shop_row("2026-03", 135, 0, 0, 0, 0, 50, 1, 500, 0, 85, 7),
        shop_row("2026-04", 85, 4, 1, 0, 0, 7, 1, 70, 0, 82, 0),
    ]
    for row in report["months"]:
        assert row["balance_end"] == (
            row["balance_start"] + row["payments"] - row["refunds"] - row["redeemed"] + row["other"]
        )
    assert get(client, f"/accounts/{shop}", keeper)["balance"] == 82

    # The administrator sees both shops; the other one received the 10 in February.
    both = get(client, "/reports/shops", scene.admin, **params)
    assert [item["account_id"] for item in both] == [shop, other_shop]
    assert both[0] == report
    february = both[1]["months"][1]
    assert picked(february, "payments", "payments_count", "balance_end") == {
        "payments": 10,
        "payments_count": 1,
        "balance_end": 10,
    }
    one = get(client, "/reports/shops", scene.headers(Role.AUDITOR), account_id=shop, **params)
    assert one == [report]

    rows = csv_rows(
        client.get(f"{API}/reports/shops", params={**params, "format": "csv"}, headers=keeper)
    )
    assert [row["month"] for row in rows] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert picked(rows[2], "balance_start", "redeemed", "redeemed_euro", "pending_redemption") == {
        "balance_start": "135",
        "redeemed": "50",
        "redeemed_euro": "5.00",
        "pending_redemption": "7",
    }
    assert rows[1]["other"] == "-10"  # a number, not text: no apostrophe


def test_shop_months_begin_at_local_midnight_and_hold_what_happens_then(
    client: TestClient, scene: Scene
) -> None:
    """What happens at the very first moment of a month in Brussels belongs to that month: 10
    asked at 00:00 on 1 February was not pending at the end of January; 20 paid at 00:00 on
    1 March was still pending at the end of February and is redeemed in March, like a payment of
    7 at that moment; 5 rejected at 00:00 on 1 April (summer time) was pending at the end of
    March."""
    world, clock = scene.world, scene.clock
    shop = world.own[Role.SHOPKEEPER].id
    clock.set(at("2026-01-20T10:00"))
    set_payout(client, scene, shop)
    twenty = ask_redemption(client, scene, shop, 20)
    clock.set(at("2026-01-21T10:00"))
    post(client, f"/redemptions/{twenty}/approve", scene.admin)
    clock.set(at("2026-01-22T10:00"))
    five = ask_redemption(client, scene, shop, 5)
    clock.set(at("2026-01-31T23:00"))  # 1 February, 00:00 in Brussels
    ask_redemption(client, scene, shop, 10)
    clock.set(at("2026-02-28T23:00"))  # 1 March, 00:00 in Brussels
    post(client, f"/redemptions/{twenty}/pay", scene.admin, {"payout_reference": "SEPA"})
    pay_at(client, scene, shop, scene.headers(Role.MEMBER), 7)
    clock.set(at("2026-03-31T22:00"))  # 1 April, 00:00 in Brussels (UTC+2)
    post(client, f"/redemptions/{five}/reject", scene.admin, {"reason": "no"})
    clock.set(at("2026-05-02T10:00"))

    params = {"account_id": shop, "from": "2026-01", "to": "2026-04"}
    report = get(client, "/reports/shops", scene.admin, **params)[0]
    assert [picked(row, *SHOP_FIELDS) for row in report["months"]] == [
        shop_row("2026-01", 0, 0, 0, 0, 0, 0, 0, 0, OWN_FUNDS, 100, 25),
        shop_row("2026-02", 100, 0, 0, 0, 0, 0, 0, 0, 0, 100, 35),
        shop_row("2026-03", 100, 7, 1, 0, 0, 20, 1, 200, 0, 87, 15),
        shop_row("2026-04", 87, 0, 0, 0, 0, 0, 0, 0, 0, 87, 10),
    ]


# --- statements ---------------------------------------------------------------------------------


def test_statement_with_running_balances(client: TestClient, scene: Scene) -> None:
    """The member's account: 100 from the world's budget in January, 30 to the stranger on
    1 February 10:00 with a memo a spreadsheet would run, 20 paid at the shop on 15 February,
    50 more from the budget on 1 March 10:00."""
    world, clock = scene.world, scene.clock
    account = world.own[Role.MEMBER]
    member = scene.headers(Role.MEMBER)
    formula = '=HYPERLINK("http://evil.example","click")'

    clock.set(at("2026-02-01T10:00"))
    transfer(client, member, account.id, world.stranger_account.id, 30, formula)
    clock.set(at("2026-02-15T10:00"))
    pay_at(client, scene, world.own[Role.SHOPKEEPER].id, member, 20)
    clock.set(at("2026-03-01T10:00"))
    transfer(client, scene.admin, world.budget.id, account.id, 50, "+ top up")

    whole = get(client, f"/accounts/{account.id}/statement", member)
    assert picked(whole, "account_id", "name", "kind", "currency", "decimals") == {
        "account_id": account.id,
        "name": account.name,
        "kind": "member",
        "currency": "TRK",
        "decimals": 0,
    }
    assert (whole["since"], whole["until"]) == (None, None)
    assert (whole["opening_balance"], whole["closing_balance"]) == (0, 100)
    lines = [
        (e["kind"], e["memo"], e["counterparties"], e["amount"], e["balance_after"])
        for e in whole["entries"]
    ]
    shop_name = world.own[Role.SHOPKEEPER].name
    assert lines == [
        ("transfer", "test transfer", [world.budget.name], 100, 100),
        ("transfer", formula, [world.stranger_account.name], -30, 70),
        ("payment", "Bread", [shop_name], -20, 50),
        ("transfer", "+ top up", [world.budget.name], 50, 100),
    ]
    seqs = [entry["seq"] for entry in whole["entries"]]
    assert seqs == sorted(seqs)
    moments = [datetime.fromisoformat(entry["created_at"]) for entry in whole["entries"]]
    assert moments == [
        START,
        at("2026-02-01T10:00"),
        at("2026-02-15T10:00"),
        at("2026-03-01T10:00"),
    ]
    for entry in whole["entries"]:
        transaction = get(client, f"/transactions/{entry['transaction_id']}", member)
        assert transaction["seq"] == entry["seq"]

    # ``since`` is included, ``until`` is not; the opening balance is the one just before.
    window = get(
        client,
        f"/accounts/{account.id}/statement",
        member,
        since="2026-02-01T10:00:00Z",
        until="2026-03-01T11:00:00+01:00",
    )
    assert (window["opening_balance"], window["closing_balance"]) == (100, 50)
    assert [e["amount"] for e in window["entries"]] == [-30, -20]
    assert datetime.fromisoformat(window["since"]) == at("2026-02-01T10:00")
    assert datetime.fromisoformat(window["until"]) == at("2026-03-01T10:00")
    later = get(
        client, f"/accounts/{account.id}/statement", member, since="2026-02-01T10:00:00.000001Z"
    )
    assert (later["opening_balance"], later["closing_balance"]) == (70, 100)
    assert [e["amount"] for e in later["entries"]] == [-20, 50]
    until_only = get(
        client, f"/accounts/{account.id}/statement", member, until="2026-02-15T10:00:00Z"
    )
    assert (until_only["opening_balance"], until_only["closing_balance"]) == (0, 70)
    empty = get(
        client,
        f"/accounts/{account.id}/statement",
        member,
        since="2026-02-20T00:00:00Z",
        until="2026-02-20T00:00:00Z",
    )
    assert (empty["opening_balance"], empty["closing_balance"], empty["entries"]) == (50, 50, [])

    # As CSV: the opening balance first, the memos a person typed made harmless.
    response = client.get(
        f"{API}/accounts/{account.id}/statement",
        params={"since": "2026-02-01T00:00:00+01:00", "format": "csv"},
        headers=member,
    )
    assert response.headers["content-disposition"] == (
        f'attachment; filename="statement-{account.id}.csv"'
    )
    assert response.text.splitlines()[0] == (
        "seq,transaction_id,created_at,kind,memo,counterparty,amount,balance_after"
    )
    rows = csv_rows(response)
    assert [
        (r["kind"], r["memo"], r["counterparty"], r["amount"], r["balance_after"]) for r in rows
    ] == [
        ("opening_balance", "", "", "", "100"),
        ("transfer", "'" + formula, world.stranger_account.name, "-30", "70"),
        ("payment", "Bread", shop_name, "-20", "50"),
        ("transfer", "'+ top up", world.budget.name, "50", "100"),
    ]
    assert datetime.fromisoformat(rows[0]["created_at"]) == at("2026-01-31T23:00")
    assert (rows[0]["seq"], rows[0]["transaction_id"]) == ("", "")
    assert [int(r["seq"]) for r in rows[1:]] == seqs[1:]
    assert datetime.fromisoformat(rows[1]["created_at"]) == at("2026-02-01T10:00")


def test_statement_lists_every_counterparty(client: TestClient, scene: Scene) -> None:
    """A general entry from the budget to two accounts names both on the budget's statement."""
    world = scene.world
    body = {
        "currency": "TRK",
        "kind": "adjustment",
        "postings": [
            {"account_id": world.budget.id, "amount": -15},
            {"account_id": world.own[Role.MEMBER].id, "amount": 10},
            {"account_id": world.stranger_account.id, "amount": 5},
        ],
        "memo": "correction",
    }
    post(client, "/transactions", scene.admin, body, 201)
    statement = get(client, f"/accounts/{world.budget.id}/statement", scene.headers(Role.AUDITOR))
    last = statement["entries"][-1]
    assert last["counterparties"] == [world.own[Role.MEMBER].name, world.stranger_account.name]
    assert (last["amount"], last["balance_after"]) == (-15, statement["closing_balance"])
    budget = get(client, f"/accounts/{world.budget.id}", scene.admin)
    assert statement["closing_balance"] == budget["balance"]
    rows = csv_rows(
        client.get(
            f"{API}/accounts/{world.budget.id}/statement",
            params={"format": "csv"},
            headers=scene.admin,
        )
    )
    assert rows[-1]["counterparty"] == (
        f"{world.own[Role.MEMBER].name}; {world.stranger_account.name}"
    )
    assert rows[0]["created_at"] == ""  # no ``since``: the opening balance of an empty past


# --- CSV or JSON --------------------------------------------------------------------------------


def _report_paths(scene: Scene) -> dict[str, tuple[str, dict[str, str]]]:
    world = scene.world
    return {
        "circulation": ("/reports/circulation", {"currency": "TRK"}),
        "projects": ("/reports/projects", {}),
        "shops": ("/reports/shops", {}),
        "statement": (f"/accounts/{world.own[Role.MEMBER].id}/statement", {}),
    }


NEGOTIATION: list[tuple[dict[str, str], dict[str, str], bool]] = [
    ({}, {}, False),
    ({"format": "csv"}, {}, True),
    ({"format": "json"}, {}, False),
    ({}, {"Accept": "text/csv"}, True),
    ({}, {"Accept": "text/csv; charset=utf-8"}, True),
    ({}, {"Accept": "application/json"}, False),
    ({}, {"Accept": "*/*"}, False),
    ({}, {"Accept": "text/csv;q=0.5, application/json"}, False),
    ({}, {"Accept": "application/json;q=0.4, text/csv;q=0.9"}, True),
    ({}, {"Accept": "text/csv;q=0.5, */*;q=0.8"}, False),
    ({}, {"Accept": "text/html, text/csv;q=0.2"}, True),
    ({}, {"Accept": "text/csv;q=0"}, False),
    ({"format": "json"}, {"Accept": "text/csv"}, False),
    ({"format": "csv"}, {"Accept": "application/json"}, True),
]


@pytest.mark.parametrize("name", ["circulation", "projects", "shops", "statement"])
def test_csv_or_json(client: TestClient, scene: Scene, name: str) -> None:
    path, base = _report_paths(scene)[name]
    for params, headers, wants_csv in NEGOTIATION:
        response = client.get(
            f"{API}{path}", params={**base, **params}, headers={**scene.admin, **headers}
        )
        label = (name, params, headers)
        assert response.status_code == 200, (label, response.text)
        if wants_csv:
            assert response.headers["content-type"] == CSV_TYPE, label
            assert response.text.endswith("\r\n"), label
            header = response.text.split("\r\n")[0]
            assert header.startswith(("currency,", "project_id,", "account_id,", "seq,")), label
        else:
            assert response.headers["content-type"] == "application/json", label
            assert isinstance(response.json(), dict | list), label


def test_csv_amounts_are_whole_units_with_the_currency_decimals(
    client: TestClient, scene: Scene
) -> None:
    """In a currency with two decimals, 1250 minor units are 12.50 in CSV; JSON keeps 1250."""
    world = scene.world
    ledger = world.ledger
    ledger.currency("CNT", decimals=2)
    budget = ledger.budget(2000, currency="CNT")
    shop = ledger.account(AccountKind.SHOP, world.actors[Role.SHOPKEEPER], currency="CNT")
    ledger.transfer(budget.id, shop.id, 1250)
    admin = scene.admin

    circulation = client.get(
        f"{API}/reports/circulation", params={"currency": "CNT", "format": "csv"}, headers=admin
    )
    row = csv_rows(circulation)[0]
    assert picked(row, "issued", "budgets", "shops", "redeemed", "euro_rate", "euro_liability") == {
        "issued": "20.00",
        "budgets": "7.50",
        "shops": "12.50",
        "redeemed": "0.00",
        "euro_rate": "0.10000000",
        "euro_liability": "2.00",  # 20 whole units at EUR 0.10
    }
    as_json = get(client, "/reports/circulation", admin, currency="CNT")
    assert (as_json["issued"], as_json["shops"], as_json["euro_liability_cents"]) == (
        2000,
        1250,
        200,
    )

    statement = csv_rows(
        client.get(f"{API}/accounts/{shop.id}/statement", params={"format": "csv"}, headers=admin)
    )
    assert [(r["amount"], r["balance_after"]) for r in statement] == [
        ("", "0.00"),
        ("12.50", "12.50"),
    ]
    assert get(client, f"/accounts/{shop.id}/statement", admin)["entries"][0]["amount"] == 1250

    shops = csv_rows(
        client.get(
            f"{API}/reports/shops",
            params={"currency": "CNT", "from": "2026-01", "to": "2026-01", "format": "csv"},
            headers=admin,
        )
    )
    assert [(r["account_id"], r["currency"]) for r in shops] == [(str(shop.id), "CNT")]
    assert picked(shops[0], "balance_start", "other", "balance_end", "redeemed_euro") == {
        "balance_start": "0.00",
        "other": "12.50",
        "balance_end": "12.50",
        "redeemed_euro": "0.00",
    }
    only_trk = get(client, "/reports/shops", admin, currency="TRK")
    assert shop.id not in {report["account_id"] for report in only_trk}


# --- bad input ----------------------------------------------------------------------------------

MONTH_REPORTS = ["projects", "shops"]


@pytest.mark.parametrize("name", MONTH_REPORTS)
def test_bad_periods(client: TestClient, scene: Scene, name: str) -> None:
    path = f"{API}/reports/{name}"
    admin = scene.admin

    def refused(**params: str) -> HttpResponse:
        return client.get(path, params=params, headers=admin)

    assert_problem(refused(**{"from": "2026-03", "to": "2026-02"}), 422, "invalid_period")
    assert_problem(refused(**{"from": "2016-11", "to": "2026-11"}), 422, "invalid_period")  # 121
    assert_problem(refused(**{"from": "2016-01"}), 422, "invalid_period")  # to: now, 2026-01
    assert_problem(refused(to="2026-13"), 422, "invalid_period")
    assert_problem(refused(**{"from": "2026-00"}), 422, "invalid_period")
    assert_problem(refused(**{"from": "0000-01"}), 422, "invalid_period")
    assert_problem(refused(**{"from": "2026-03", "format": "csv"}), 422, "invalid_period")
    for month in ("2026-1", "26-01", "2026/01", "2026-01-01", "January", ""):
        if month:
            assert_invalid(refused(**{"from": month}), "query.from")
        assert_invalid(refused(to=month or "x"), "query.to")
    assert_invalid(refused(format="xml"), "query.format")
    assert_invalid(refused(currency="trk"), "query.currency")
    assert_problem(refused(currency="NOPE"), 404, "currency_not_found")
    # Exactly 120 months is allowed.
    exactly = client.get(path, params={"from": "2016-12", "to": "2026-11"}, headers=admin)
    assert exactly.status_code == 200, exactly.text
    if name == "projects":
        months = exactly.json()[0]["months"]
        assert (len(months), months[0]["month"], months[-1]["month"]) == (120, "2016-12", "2026-11")


@pytest.mark.parametrize("name", MONTH_REPORTS)
@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_months_at_the_ends_of_the_calendar_are_refused_not_a_500(
    settings: Settings, scene: Scene, name: str, month: str
) -> None:
    """The month after December 9999 and the UTC start of January 1 in Brussels lie outside
    what Python's datetime can hold: the report must refuse such a period, not fail."""
    with TestClient(app_for(settings), raise_server_exceptions=False) as plain:
        response = plain.get(
            f"{API}/reports/{name}",
            params={"from": month, "to": month},
            headers=scene.admin,
        )
        assert_problem(response, 422, "invalid_period")


@pytest.mark.parametrize(
    "bound",
    [{"since": "0001-01-01T00:00:00+01:00"}, {"until": "9999-12-31T23:59:59-01:00"}],
)
def test_statement_bounds_beyond_the_calendar_in_utc_are_refused_not_a_500(
    settings: Settings, world: World, bound: dict[str, str]
) -> None:
    """Valid timestamps with an offset whose UTC moment falls outside what Python's datetime
    holds (before year 1, after year 9999) are bad input, not a server error."""
    with TestClient(app_for(settings), raise_server_exceptions=False) as plain:
        response = plain.get(
            f"{API}/accounts/{world.own[Role.MEMBER].id}/statement",
            params=bound,
            headers=world.admin.headers,
        )
        assert_problem(response, 422, "validation_error", "invalid_period")


def test_bad_report_input(client: TestClient, scene: Scene) -> None:
    world = scene.world
    admin = scene.admin

    def get_raw(path: str, **params: Any) -> HttpResponse:
        return client.get(f"{API}{path}", params=params, headers=admin)

    assert_problem(get_raw("/reports/circulation", currency="NOPE"), 404, "currency_not_found")
    assert_invalid(get_raw("/reports/circulation"), "query.currency")
    assert_problem(
        get_raw("/reports/circulation", currency="TRK", as_of="2026-01-01T00:00:00"),
        422,
        "invalid_as_of",
    )
    assert_problem(
        get_raw("/reports/circulation", currency="TRK", as_of="yesterday"), 422, "invalid_as_of"
    )
    assert_problem(get_raw("/accounts/999999/statement"), 404, "account_not_found")
    assert_problem(get_raw("/accounts/999999/statement", format="csv"), 404, "account_not_found")
    statement = f"/accounts/{world.own[Role.MEMBER].id}/statement"
    assert_problem(
        get_raw(statement, since="2026-02-01T00:00:00Z", until="2026-01-31T00:00:00Z"),
        422,
        "invalid_period",
    )
    assert_invalid(get_raw(statement, since="2026-02-01T00:00:00"), "query.since")
    assert_invalid(get_raw(statement, until="soon"), "query.until")
    assert_problem(get_raw("/reports/shops", account_id=999999), 404, "account_not_found")
    for kind_of in (world.own[Role.MEMBER].id, world.budget.id, world.currency.issuance_account_id):
        assert_problem(
            get_raw("/reports/shops", account_id=kind_of), 409, "account_kind_not_allowed"
        )
    # A member asking about their own member account learns it is not a shop.
    own = client.get(
        f"{API}/reports/shops",
        params={"account_id": world.own[Role.MEMBER].id},
        headers=scene.headers(Role.MEMBER),
    )
    assert_problem(own, 409, "account_kind_not_allowed")
    assert_problem(get_raw("/reports/projects", project_id=999999), 404, "project_not_found")
    assert_invalid(get_raw("/reports/projects", project_id=0), "query.project_id")
    assert_invalid(get_raw("/reports/shops", account_id="x"), "query.account_id")
