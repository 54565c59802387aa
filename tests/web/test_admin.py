"""The administrator's and auditor's pages: the dashboard with its figures and charts, accounts and
statements, redemptions and settlements, the audit status and signed checkpoints, users and
cards. Administrators act; auditors see the same pages without forms and every form of theirs is
refused; everyone else is refused; refusals are pages in plain words that change nothing."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support import Actor, Ledger
from tests.web.conftest import csrf_of, form_fields, signed_in
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import AccountView
from torekes.redemption import payouts, redemptions
from torekes.redemption.read_models import RedemptionView
from torekes.settings import Settings
from torekes.spending import payment_requests
from torekes.spending.payment_requests import PayCommand, RequestCommand

IBAN = "BE68539007547034"
EN = {"Accept-Language": "en"}
PAGES = [
    "/admin",
    "/admin/accounts",
    "/admin/redemptions",
    "/admin/audit",
    "/admin/users",
    "/admin/cards",
]


@dataclass
class World:
    ledger: Ledger
    settings: Settings
    admin: Actor
    auditor: Actor
    member: Actor
    keeper: Actor
    wallet: AccountView
    shop: AccountView

    def redemption(self, amount: int = 100) -> RedemptionView:
        return write(
            self.ledger.db,
            self.keeper.principal,
            lambda ctx: redemptions.request(ctx, self.shop.id, amount, "to the bank"),
        )


@pytest.fixture
def world(ledger: Ledger, settings: Settings) -> World:
    """TRK: a budget of 1000, 300 of it in a member's wallet, 400 at a shop with an IBAN."""
    ledger.currency("TRK")
    admin = ledger.user(Role.ADMIN, "beheer")
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    member = ledger.user(Role.MEMBER, "fatima")
    shop = ledger.account(AccountKind.SHOP, keeper)
    budget = ledger.budget(1000)
    wallet = ledger.account(AccountKind.MEMBER, member)
    ledger.transfer(budget.id, wallet.id, 300)
    ledger.transfer(budget.id, shop.id, 400)
    write(
        ledger.db,
        keeper.principal,
        lambda ctx: payouts.set_payout_details(ctx, shop.id, IBAN, "Bakkerij"),
    )
    return World(
        ledger,
        settings,
        admin,
        ledger.user(Role.AUDITOR, "controle"),
        member,
        keeper,
        wallet,
        shop,
    )


@pytest.fixture
def admin(world: World) -> Iterator[TestClient]:
    with signed_in(world.settings, "beheer") as client:
        yield client


@pytest.fixture
def auditor(world: World) -> Iterator[TestClient]:
    with signed_in(world.settings, "controle") as client:
        yield client


def _post(client: TestClient, page: str, action: str, **data: str) -> Any:
    """Submit a form the way a browser does: with the hidden fields of its form on the page it
    is on (its CSRF token and one-time key)."""
    fields = form_fields(client.get(page).text, action)
    return client.post(action, data={**fields, **data}, headers=EN, follow_redirects=False)


def _count(ledger: Ledger, model: Any, *where: Any) -> int:
    with ledger.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _status(ledger: Ledger, redemption_id: int) -> str:
    with ledger.db.read_session() as session:
        row = session.get(m.Redemption, redemption_id)
        assert row is not None
        return row.status


# --- who may look --------------------------------------------------------------------------------


def test_an_admin_sees_the_dashboard_with_circulation_and_charts(
    world: World, admin: TestClient
) -> None:
    page = admin.get("/admin", headers=EN)
    assert page.status_code == 200, page.text
    assert '<link rel="stylesheet" href="/static/admin.css">' in page.text
    assert '<section class="admin-currency" aria-labelledby="currency-TRK">' in page.text
    figures = dict(re.findall(r'<dd data-figure="(\w+)">([^<]*)</dd>', page.text))
    assert figures == {
        "issued": "1,000",
        "budgets": "300",
        "member_wallets": "300",
        "shops": "400",
        "partners": "0",
        "pending_redemption": "0",
        "redeemed": "0",
        "in_circulation": "1,000",
        "euro_liability": "€ 100.00",
        # Members' and shops' 700 tokens at EUR 0.10; the budget's 300 are owed to no one.
        "euro_owed": "€ 70.00",
    }
    assert "Issued = in circulation + redeemed: holds." in page.text
    assert page.text.count('<figure class="admin-chart"') == 4
    assert page.text.count('role="img"') == 4
    for title in (
        "Tokens paid to volunteers",
        "Hours volunteered",
        "Payments at shops",
        "Redeemed",
    ):
        assert f"<figcaption>{title}</figcaption>" in page.text
    assert '<title id="chart-trk-paid-title">Tokens paid to volunteers</title>' in page.text
    assert page.text.count("<summary>The figures</summary>") == 4
    assert page.text.count('<tr><th scope="row">') == 4 * 12
    assert 'aria-current="page">Dashboard</a>' in page.text


def test_the_dashboard_speaks_dutch_by_default(world: World, admin: TestClient) -> None:
    page = admin.get("/admin")
    assert page.status_code == 200
    assert "Uitgegeven" in page.text
    assert "Uitbetaald aan vrijwilligers" in page.text
    assert "1.000" in page.text


def _this_month(page: str, chart: str) -> str:
    """The figure of the current month (the last row) in a chart's table of figures."""
    table = page.split(f'<figure class="admin-chart" id="{chart}">', 1)[1].split("</figure>")[0]
    rows: list[str] = re.findall(r'<tr><th scope="row">[^<]*</th><td>([^<]*)</td></tr>', table)
    assert len(rows) == 12
    return rows[-1]


def test_the_dashboard_counts_payments_and_redemptions_this_month(
    world: World, admin: TestClient
) -> None:
    settings = world.settings
    asked = write(
        world.ledger.db,
        world.keeper.principal,
        lambda ctx: payment_requests.create_request(
            ctx, settings, RequestCommand(world.shop.id, amount=120)
        ),
    )
    write(
        world.ledger.db,
        world.member.principal,
        lambda ctx: payment_requests.pay(ctx, settings, asked.code, PayCommand()),
    )
    paid = world.redemption(200)
    write(world.ledger.db, world.admin.principal, lambda ctx: redemptions.approve(ctx, paid.id))
    write(
        world.ledger.db,
        world.admin.principal,
        lambda ctx: redemptions.pay(ctx, paid.id, "BANK-1"),
    )
    world.redemption(150)
    page = admin.get("/admin", headers=EN).text
    figures = dict(re.findall(r'<dd data-figure="(\w+)">([^<]*)</dd>', page))
    assert (figures["pending_redemption"], figures["redeemed"]) == ("150", "200")
    assert (figures["in_circulation"], figures["issued"]) == ("800", "1,000")
    assert _this_month(page, "chart-trk-payments") == "120"
    assert _this_month(page, "chart-trk-redeemed") == "200"
    assert _this_month(page, "chart-trk-paid") == "0"


@pytest.mark.parametrize("path", PAGES)
def test_an_auditor_sees_every_page_without_a_form(
    world: World, auditor: TestClient, path: str
) -> None:
    page = auditor.get(path, headers=EN)
    assert page.status_code == 200, page.text
    assert "change nothing" in page.text
    actions = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert set(actions) <= {"/logout", "/admin/audit/checkpoint"}


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SHOPKEEPER, Role.COORDINATOR])
def test_other_roles_are_refused_with_a_page(world: World, role: Role) -> None:
    someone = world.ledger.user(role)
    with signed_in(world.settings, someone.principal.username) as client:
        for path in [*PAGES, f"/admin/accounts/{world.shop.id}"]:
            refused = client.get(path, headers=EN)
            assert refused.status_code == 403, path
            assert "Your account may not do this." in refused.text
        token = csrf_of(client.get("/").text)
        posted = client.post("/admin/users", data={"csrf_token": token, "username": "x"})
        assert posted.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(world: World, client: TestClient) -> None:
    for path in [*PAGES, "/admin/accounts?kind=shop"]:
        away = client.get(path, follow_redirects=False)
        assert away.status_code == 303
        assert away.headers["location"].startswith("/login?next=/admin")
    assert (
        client.get("/admin/accounts?kind=shop", follow_redirects=False).headers["location"]
        == "/login?next=/admin/accounts%3Fkind%3Dshop"
    )


def test_every_form_of_an_auditor_is_refused_and_changes_nothing(
    world: World, auditor: TestClient
) -> None:
    asked = world.redemption()
    token = csrf_of(auditor.get("/admin").text)
    posts = {
        f"/admin/redemptions/{asked.id}/approve": {},
        f"/admin/redemptions/{asked.id}/reject": {"reason": "no"},
        "/admin/settlements": {"currency": "TRK"},
        "/admin/users": {
            "username": "nieuw",
            "display_name": "Nieuw",
            "role": "admin",
            "password": "a-long-password",
        },
        "/admin/cards": {"member_id": str(world.member.id), "pin": "4821"},
        f"/admin/accounts/{world.shop.id}/payout": {"iban": IBAN, "payout_name": "X"},
    }
    events = _count(world.ledger, m.AuditEvent)
    for action, data in posts.items():
        refused = auditor.post(action, data={"csrf_token": token, **data}, headers=EN)
        assert refused.status_code == 403, action
        assert "Your account may not do this." in refused.text
    assert _status(world.ledger, asked.id) == "requested"
    assert _count(world.ledger, m.AuditEvent) == events
    assert _count(world.ledger, m.User, m.User.username == "nieuw") == 0


@pytest.mark.parametrize(
    "action",
    [
        "/admin/users",
        "/admin/cards",
        "/admin/settlements",
        "/admin/audit/checkpoint",
        "/admin/redemptions/1/approve",
        "/admin/settlements/1/pay",
        "/admin/cards/1/block",
    ],
)
def test_every_form_needs_its_csrf_token(world: World, admin: TestClient, action: str) -> None:
    admin.get("/admin")
    events = _count(world.ledger, m.AuditEvent)
    refused = admin.post(action, data={"csrf_token": "0" * 64, "currency": "TRK"})
    assert refused.status_code == 403
    assert _count(world.ledger, m.AuditEvent) == events


# --- accounts ------------------------------------------------------------------------------------


def test_accounts_are_listed_by_kind_and_currency_a_page_at_a_time(
    world: World, admin: TestClient
) -> None:
    shops = admin.get("/admin/accounts?kind=shop&currency=TRK", headers=EN)
    assert shops.status_code == 200
    assert f'href="/admin/accounts/{world.shop.id}"' in shops.text
    assert f'href="/admin/accounts/{world.wallet.id}"' not in shops.text
    for _ in range(55):
        world.ledger.account(AccountKind.MEMBER)
    first = admin.get("/admin/accounts?kind=member", headers=EN)
    found = re.search(r'cursor=(\d+)">Next page', first.text)
    assert found is not None
    second = admin.get(f"/admin/accounts?kind=member&cursor={found.group(1)}", headers=EN)
    assert second.status_code == 200
    assert "Next page" not in second.text


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("kind=bank", 422, "Choose a kind of account from the list."),
        ("currency=XYZ", 404, "This currency is not known."),
        ("cursor=abc", 422, "This page of the list does not exist."),
    ],
)
def test_a_bad_filter_is_a_page_in_plain_words(
    world: World, admin: TestClient, query: str, status: int, words: str
) -> None:
    refused = admin.get(f"/admin/accounts?{query}", headers=EN)
    assert refused.status_code == status
    assert words in refused.text


def test_an_account_shows_its_statement_with_running_balances_and_downloads_it(
    world: World, admin: TestClient
) -> None:
    page = admin.get(f"/admin/accounts/{world.wallet.id}", headers=EN)
    assert page.status_code == 200
    assert "+300" in page.text
    assert "Payout details" not in page.text
    csv = admin.get(f"/admin/accounts/{world.wallet.id}/statement.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert f'filename="statement-{world.wallet.id}.csv"' in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0] == "seq,transaction_id,created_at,kind,memo,counterparty,amount,balance_after"
    assert lines[1].split(",")[3] == "opening_balance"
    assert lines[2].endswith(",300,300")
    missing = admin.get("/admin/accounts/999999", headers=EN)
    assert missing.status_code == 404
    assert "This account is not known." in missing.text


def test_a_bad_iban_is_refused_and_a_good_one_is_kept(world: World, admin: TestClient) -> None:
    page = f"/admin/accounts/{world.shop.id}"
    assert "Payout details" in admin.get(page, headers=EN).text
    action = f"{page}/payout"
    bad = _post(admin, page, action, iban="BE00 1234", payout_name="Bakkerij Jansens")
    assert bad.status_code == 422
    assert "That IBAN is not valid." in bad.text or "That did not work." in bad.text
    no_name = _post(admin, page, action, iban="NL91ABNA0417164300", payout_name=" ")
    assert no_name.status_code == 422
    with world.ledger.db.read_session() as session:
        account = session.get(m.Account, world.shop.id)
        assert account is not None
        assert (account.iban, account.payout_name) == (IBAN, "Bakkerij")
    good = _post(admin, page, action, iban="NL91 ABNA 0417 1643 00", payout_name="Jansens")
    assert (good.status_code, good.headers["location"]) == (303, page)
    with world.ledger.db.read_session() as session:
        account = session.get(m.Account, world.shop.id)
        assert account is not None
        assert (account.iban, account.payout_name) == ("NL91ABNA0417164300", "Jansens")


# --- redemptions and settlements -----------------------------------------------------------------


def test_a_redemption_is_approved_once_settled_exported_and_paid(
    world: World, admin: TestClient
) -> None:
    asked = world.redemption(200)
    home = "/admin/redemptions"
    listed = admin.get(home, headers=EN)
    assert f'id="redemption-{asked.id}"' in listed.text
    approve = f"{home}/{asked.id}/approve"
    assert _post(admin, home, approve).status_code == 303
    twice = _post(admin, home, approve)
    assert twice.status_code == 409
    assert "This redemption has already been approved." in twice.text
    assert _status(world.ledger, asked.id) == "approved"

    made = _post(admin, home, "/admin/settlements", currency="TRK")
    assert made.status_code == 303
    settlement_id = int(made.headers["location"].rsplit("-", 1)[1])
    again = _post(admin, home, "/admin/settlements", currency="TRK")
    assert again.status_code == 409
    assert "no approved redemption of this currency left" in again.text
    assert _count(world.ledger, m.Settlement) == 1

    csv = admin.get(f"/admin/settlements/{settlement_id}/export.csv")
    assert csv.status_code == 200
    assert IBAN in csv.text
    no_bank = admin.get(f"/admin/settlements/{settlement_id}/pain.001.xml", headers=EN)
    assert no_bank.status_code == 409
    assert "TOREKES_PAYOUT_IBAN" in no_bank.text

    pay = f"/admin/settlements/{settlement_id}/pay"
    assert _post(admin, home, pay, payout_reference="  ").status_code == 422
    assert _status(world.ledger, asked.id) == "approved"
    assert _post(admin, home, pay, payout_reference="BANK-42").status_code == 303
    assert _status(world.ledger, asked.id) == "paid"
    paid_again = _post(admin, home, pay, payout_reference="BANK-43")
    assert paid_again.status_code == 409
    page = admin.get(home, headers=EN)
    assert "BANK-42" in page.text
    assert "BANK-43" not in page.text


def test_the_bank_file_downloads_when_the_paying_account_is_set(
    world: World, settings: Settings
) -> None:
    asked = world.redemption(100)
    configured = settings.model_copy(
        update={"payout_iban": "NL91ABNA0417164300", "payout_name": "Torekes vzw"}
    )
    with signed_in(configured, "beheer") as client:
        home = "/admin/redemptions"
        _post(client, home, f"{home}/{asked.id}/approve")
        made = _post(client, home, "/admin/settlements", currency="TRK")
        settlement_id = made.headers["location"].rsplit("-", 1)[1]
        xml = client.get(f"/admin/settlements/{settlement_id}/pain.001.xml")
        assert xml.status_code == 200
        assert xml.headers["content-type"] == "application/xml"
        assert "pain.001.001.03" in xml.text
        assert IBAN in xml.text


def test_a_redemption_is_rejected_with_a_reason_once(world: World, admin: TestClient) -> None:
    asked = world.redemption(50)
    home = "/admin/redemptions"
    reject = f"{home}/{asked.id}/reject"
    assert _post(admin, home, reject, reason="Geen factuur").status_code == 303
    again = _post(admin, home, reject)
    assert again.status_code == 409
    assert "already been rejected" in again.text
    with world.ledger.db.read_session() as session:
        row = session.get(m.Redemption, asked.id)
        assert row is not None
        assert (row.status, row.reject_reason) == ("rejected", "Geen factuur")
    missing = _post(admin, home, f"{home}/999999/approve")
    assert missing.status_code == 404


# --- the audit -----------------------------------------------------------------------------------


def test_the_audit_shows_an_intact_ledger_with_its_chain_heads(
    world: World, admin: TestClient
) -> None:
    page = admin.get("/admin/audit", headers=EN)
    assert page.status_code == 200
    assert "The ledger is intact." in page.text
    with world.ledger.db.read_session() as session:
        currency = session.scalar(select(m.Currency).where(m.Currency.code == "TRK"))
        assert currency is not None
        assert currency.last_hash in page.text
    assert "No checkpoint has been signed yet." in page.text


def test_an_auditor_signs_a_checkpoint_which_is_recorded_and_shown(
    world: World, auditor: TestClient
) -> None:
    downloaded = _post(auditor, "/admin/audit", "/admin/audit/checkpoint")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/json"
    assert "attachment" in downloaded.headers["content-disposition"]
    signed = json.loads(downloaded.text)
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(signed["public_key"]))
    canonical = json.dumps(
        signed["checkpoint"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    key.verify(base64.b64decode(signed["signature"]), canonical)
    with world.ledger.db.read_session() as session:
        event = session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "checkpoint.signed")
        ).one()
        assert event.actor_id == world.auditor.id
        assert event.after is not None
        assert event.after["currencies"] == [
            {key: head[key] for key in ("currency", "seq", "hash")}
            for head in signed["checkpoint"]["currencies"]
        ]
    page = auditor.get("/admin/audit", headers=EN)
    assert "No checkpoint has been signed yet." not in page.text
    assert signed["checkpoint"]["currencies"][0]["hash"] in page.text
    assert signed["key_id"] in page.text


def test_the_api_records_its_checkpoints_in_the_audit_trail_too(
    world: World, client: TestClient
) -> None:
    response = client.get(
        "/api/v1/audit/verify", params={"checkpoint": "true"}, headers=world.admin.headers
    )
    assert response.status_code == 200
    assert response.json()["checkpoint"]["signature"]
    events = _count(world.ledger, m.AuditEvent, m.AuditEvent.action == "checkpoint.signed")
    assert events == 1
    plain = client.get("/api/v1/audit/verify", headers=world.admin.headers)
    assert plain.status_code == 200
    assert _count(world.ledger, m.AuditEvent, m.AuditEvent.action == "checkpoint.signed") == 1


# --- users and cards -----------------------------------------------------------------------------


def test_an_admin_makes_a_user_once(world: World, admin: TestClient) -> None:
    home = "/admin/users"
    form = {
        "username": "jan",
        "display_name": "Jan Peeters",
        "role": "member",
        "password": "a-long-password",
    }
    sent = {**form_fields(admin.get(home).text, home), **form}
    made = admin.post(home, data=sent, headers=EN, follow_redirects=False)
    assert made.status_code == 303
    shown = admin.get(made.headers["location"], headers=EN)
    assert "Jan Peeters can now sign in as jan" in shown.text
    # The same form sent again (a double tap, a reload) leads to the same page, making nobody.
    repeat = admin.post(home, data=sent, headers=EN, follow_redirects=False)
    assert (repeat.status_code, repeat.headers["location"]) == (303, made.headers["location"])
    twice = _post(admin, home, home, **form)
    assert twice.status_code == 409
    assert "That username is taken." in twice.text
    assert _count(world.ledger, m.User, m.User.username == "jan") == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"password": "short"}, 422),
        ({"username": "has space"}, 422),
        ({"role": "king"}, 422),
        ({"display_name": " "}, 422),
    ],
)
def test_a_user_form_filled_in_wrongly_makes_nobody(
    world: World, admin: TestClient, change: dict[str, str], status: int
) -> None:
    form = {
        "username": "piet",
        "display_name": "Piet",
        "role": "member",
        "password": "a-long-password",
        **change,
    }
    users = _count(world.ledger, m.User)
    refused = _post(admin, "/admin/users", "/admin/users", **form)
    assert refused.status_code == status
    assert '<p class="problem" role="alert">' in refused.text
    assert _count(world.ledger, m.User) == users


def test_a_card_is_issued_once_with_its_pin_shown_once_then_printed_and_blocked(
    world: World, admin: TestClient
) -> None:
    home = "/admin/cards"
    weak = _post(admin, home, home, member_id=str(world.member.id), pin="12")
    assert weak.status_code == 422
    assert "A PIN has 4 to 6 digits." in weak.text
    assert _count(world.ledger, m.MemberCard) == 0
    not_member = _post(admin, home, home, member_id=str(world.keeper.id), pin="4821")
    assert not_member.status_code == 409
    sent = {**form_fields(admin.get(home).text, home), "member_id": str(world.member.id)}
    issued = admin.post(home, data=sent, headers=EN)
    assert issued.status_code == 201
    assert issued.headers["cache-control"] == "no-store"
    pin = re.search(r'<dd class="admin-pin">(\d{6})</dd>', issued.text)
    assert pin is not None
    assert "it is not shown again" in issued.text
    again = _post(admin, home, home, member_id=str(world.member.id), pin="4821")
    assert again.status_code == 409
    assert _count(world.ledger, m.MemberCard) == 1
    with world.ledger.db.read_session() as session:
        card = session.scalars(select(m.MemberCard)).one()
    # The same form sent again leads to the card issued the first time, never to a PIN.
    repeat = admin.post(home, data=sent, headers=EN, follow_redirects=False)
    assert (repeat.status_code, repeat.headers["location"]) == (303, f"{home}#card-{card.id}")
    assert _count(world.ledger, m.MemberCard) == 1
    listing = admin.get(home, headers=EN)
    assert pin.group(1) not in listing.text
    printed = admin.get(f"/admin/cards/{card.id}/print")
    assert printed.status_code == 200
    assert "<svg" in printed.text
    assert "Fatima" in printed.text
    not_locked = _post(admin, home, f"{home}/{card.id}/unlock")
    assert not_locked.status_code == 409
    blocked = _post(admin, home, f"{home}/{card.id}/block", reason="lost")
    assert blocked.status_code == 303
    twice = _post(admin, home, f"{home}/{card.id}/block", reason="lost")
    assert twice.status_code == 409
    with world.ledger.db.read_session() as session:
        assert session.scalars(select(m.MemberCard.status)).one() == "blocked"


def test_a_bad_member_number_is_refused(world: World, admin: TestClient) -> None:
    for typed in ("", "abc", "-1", "99999999999"):
        refused = _post(admin, "/admin/cards", "/admin/cards", member_id=typed, pin="4821")
        assert refused.status_code == 422, typed
    unknown = _post(admin, "/admin/cards", "/admin/cards", member_id="999999", pin="4821")
    assert unknown.status_code == 404
