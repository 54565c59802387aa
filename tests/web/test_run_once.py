"""Every page route that accepts a POST runs once per form: this test walks all of them on the
demo community. For each, the form as its page draws it is sent without its one-time key (refused
with a page, nothing written), then with it (something written), then once more, as a double tap
or a reload sends it (nothing more written). A new page route that accepts a POST fails this test
until it is walked here, or named in ``EXEMPT`` with its reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.web.conftest import post_forms
from tests.web.demo_scene import Scene, build, page_routes
from torekes.approvals import four_eyes
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import RewardKind
from torekes.earning import activities, claim_codes
from torekes.identity.users import UserCommand, add_user
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import accounts
from torekes.ledger.accounts import AccountCommand
from torekes.ledger.journal import IssuanceCommand
from torekes.operations import demo
from torekes.redemption import redemptions
from torekes.settings import Settings
from torekes.spending import cards

# Page routes that accept a POST and write nothing a repeat could double, each with its reason.
EXEMPT = {
    "/login": "signing in writes no ledger, only a session and the failed attempts it counts",
    "/login/card": "signing in with a card writes only a session and the attempts it counts",
    "/logout": "signing out revokes the session, which a repeat finds revoked already",
    "/language/{code}": "the language switch on a form's page writes nothing, only a cookie",
    "/shop/card": "the card payment's first step only draws the PIN page, its key carried on; "
    "the PIN page's form (/shop/card/pay) pays, once",
    "/counter/member": "the statement's first step only draws the PIN page, its key carried on; "
    "the PIN page's form (/counter/member/show) shows it, once",
    "/activities/{activity_id}/claim-for": "the first step of a claim for a member only draws "
    "the PIN page, its key carried on; the PIN page's form "
    "(/activities/{activity_id}/claim-for/record) records it",
}
# The first steps among them, with who sends each and where its PIN page posts: the PIN page
# writes under the first step's key (so the first step sent again by the back button leads to the
# same write), and a first step without its key is refused as any form that writes.
FIRST_STEPS = {
    "/shop/card": ("bakker", "/shop/card/pay"),
    "/counter/member": ("bakker", "/counter/member/show"),
    "/activities/{activity_id}/claim-for": ("coord", "/activities/{activity_id}/claim-for/record"),
}


@dataclass(frozen=True)
class Walk:
    """Who sends the form of a route, where its page is, and what they type into it."""

    who: str
    page: str | Callable[[TestClient, Scene], str]
    typed: dict[str, Any] | Callable[[str], dict[str, Any]] = field(default_factory=dict)


def _pin_page(browser: TestClient, scene: Scene) -> str:
    """The card payment's second step: the PIN page the card form leads to."""
    card_form = browser.get("/shop/card").text
    fields = _fields(card_form, "/shop/card")
    shop = re.search(r'name="shop" value="(\d+)"', card_form) or re.search(
        r'<option value="(\d+)"', card_form
    )
    assert shop is not None, card_form
    sent = {**fields, "shop": shop.group(1), "card": scene.params["card_number"], "amount": "1"}
    answer = browser.post("/shop/card", data=sent)
    assert answer.status_code == 200, answer.text
    return answer.text


def _member_pin_page(browser: TestClient, scene: Scene) -> str:
    """The PIN page the member statement's card form leads to."""
    card_form = browser.get("/counter/member").text
    sent = {**_fields(card_form, "/counter/member"), "card": scene.params["card_number"]}
    answer = browser.post("/counter/member", data=sent)
    assert answer.status_code == 200, answer.text
    return answer.text


def _claim_for_pin_page(browser: TestClient, scene: Scene) -> str:
    """The PIN page of a claim for the card holder at an open activity."""
    form = f"/activities/{scene.params['open_activity_id']}/claim-for"
    sent = {
        **_fields(browser.get(form).text, form),
        "card": scene.params["card_number"],
        "hours": "1",
    }
    answer = browser.post(form, data=sent)
    assert answer.status_code == 200, answer.text
    return answer.text


def _new_sheets_claim_page(browser: TestClient, scene: Scene) -> str:
    """The claim page of a code of the newest sheet (the demo's members have used the demo's
    poster code today already)."""
    with scene.db.read_session() as session:
        batch_id = session.scalar(select(func.max(m.CodeBatch.id)))
        admin = session.scalars(select(m.User).where(m.User.username == "admin")).one()
    assert batch_id is not None
    operator = Principal(admin.id, "admin", Role.ADMIN)
    code = claim_codes.get_batch(scene.db, scene.settings, operator, batch_id).codes[0]
    return browser.get(code.url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])).text


def _first_claim(page: str) -> dict[str, Any]:
    found = re.search(r'name="claim" value="(\d+)"', page)
    assert found is not None, page
    return {"decision": "approve", "claim": found.group(1)}


# In this order: unlocking the card comes before paying with it, paying before blocking it, and
# blocking before issuing its member a new one; approving before settling.
WALKS: dict[str, Walk] = {
    "/p/{code}": Walk("fatima", "/p/{code}", {"amount": "1"}),
    "/till": Walk("bakker", "/till", {"amount": "1"}),
    "/till/poster/{shop_id}": Walk("bakker", "/till/poster/{bare_shop_id}"),
    "/shop/payments/{transaction_id}/refund": Walk("bakker", "/shop", {"amount": "1"}),
    "/shop/redeem": Walk("bakker", "/shop/redeem", {"amount": "1"}),
    "/shop/redeem/payout": Walk(
        "bakker", "/shop/redeem", {"iban": "BE71096123456769", "payout_name": "Bakkerij"}
    ),
    "/projects/{project_id}/activities": Walk(
        "coord",
        "/projects/{project_id}",
        {"title": "Sweeping", "reward_kind": "fixed", "reward_amount": "5"},
    ),
    "/projects/{project_id}/claims": Walk("coord", "/projects/{project_id}/claims", _first_claim),
    "/activities/{activity_id}/sheets": Walk("coord", "/activities/{activity_id}", {"count": "2"}),
    "/c/{code}": Walk("fatima", _new_sheets_claim_page, {"hours": "1"}),
    "/activities/{activity_id}/pause": Walk("coord", "/activities/{activity_id}"),
    "/activities/{activity_id}/resume": Walk("coord", "/activities/{activity_id}"),
    "/activities/{activity_id}/close": Walk("coord", "/activities/{activity_id}/close"),
    "/admin/accounts/{account_id}/payout": Walk(
        "admin", "/admin/accounts/{shop_id}", {"iban": "BE68539007547034", "payout_name": "X"}
    ),
    "/admin/audit/checkpoint": Walk("auditor", "/admin/audit"),
    "/admin/cards/{card_id}/unlock": Walk("admin", "/admin/cards"),
    "/shop/card/pay": Walk("bakker", _pin_page, {"pin": demo.DEMO_CARD_PIN}),
    "/counter/member/show": Walk("bakker", _member_pin_page, {"pin": demo.DEMO_CARD_PIN}),
    "/activities/{activity_id}/claim-for/record": Walk(
        "coord", _claim_for_pin_page, {"pin": demo.DEMO_CARD_PIN}
    ),
    "/activities/{activity_id}/attendance": Walk(
        "coord", "/activities/{open_activity_id}/attendance", {"cards": "{card_number}"}
    ),
    "/admin/cards/{card_id}/block": Walk("admin", "/admin/cards", {"reason": "lost"}),
    "/admin/cards": Walk("admin", "/admin/cards", {"member_id": "{card_holder_id}", "pin": "4821"}),
    "/admin/users": Walk(
        "admin",
        "/admin/users",
        {
            "username": "nieuw",
            "display_name": "Nieuw",
            "role": "member",
            "password": "a-long-password",
        },
    ),
    "/admin/redemptions/{redemption_id}/approve": Walk("admin", "/admin/redemptions"),
    "/admin/redemptions/{redemption_id}/reject": Walk(
        "admin", "/admin/redemptions", {"reason": "no invoice"}
    ),
    "/admin/settlements": Walk("admin", "/admin/redemptions", {"currency": "TRK"}),
    "/admin/settlements/{settlement_id}/pay": Walk(
        "admin", "/admin/redemptions", {"payout_reference": "BANK-1"}
    ),
    "/admin/approvals/{request_id}/approve": Walk("admin", "/admin/approvals"),
    "/admin/approvals/{request_id}/reject": Walk(
        "admin", "/admin/approvals", {"reason": "not this year"}
    ),
    # After the card's new issue (its PIN 4821) and before its member changes the PIN.
    "/admin/cards/{card_id}/reset-pin": Walk("admin", "/admin/cards", {"pin": "1357"}),
    "/account/pin": Walk(
        demo.CARD_HOLDER,
        "/account",
        {"current_pin": "1357", "new_pin": "8642", "repeat_pin": "8642"},
    ),
    "/account/password": Walk(
        "jonas",
        "/account",
        {
            "current_password": demo.demo_password("jonas"),
            "new_password": "jonas-chose-a-new-one",
            "repeat_password": "jonas-chose-a-new-one",
        },
    ),
    "/admin/users/{user_id}/password": Walk(
        "admin", "/admin/users/{jonas_id}", {"password": "set-at-the-desk"}
    ),
    "/admin/users/{user_id}/deactivate": Walk("admin", "/admin/users/{jonas_id}"),
    "/admin/users/{user_id}/reactivate": Walk("admin", "/admin/users/{jonas_id}"),
}


def test_every_page_route_that_accepts_a_post_is_walked_or_exempt() -> None:
    posts = {path for method, path in page_routes() if method == "POST"}
    assert posts == set(WALKS) | set(EXEMPT)
    assert not set(WALKS) & set(EXEMPT)
    assert set(FIRST_STEPS) <= set(EXEMPT)


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scene:
    """The demo community with what each walk needs: two redemptions asked for (one to approve,
    one to reject), the card holder's card locked (to unlock), two issuances filed by a second
    administrator for the demo's to decide (one to approve, one to reject), and the ids the pages
    need."""
    found = build(db, settings)
    with db.read_session() as session:
        people = {user.username: user for user in session.scalars(select(m.User))}
        shop = session.scalars(
            select(m.Account).where(
                m.Account.owner_id == people["bakker"].id, m.Account.kind == "shop"
            )
        ).first()
        card = session.scalars(select(m.MemberCard)).one()
    assert shop is not None
    bakker = Principal(people["bakker"].id, "bakker", Role.SHOPKEEPER)
    shop_id = shop.id
    write(db, bakker, lambda ctx: redemptions.request(ctx, shop_id, 10, "first"))
    write(db, bakker, lambda ctx: redemptions.request(ctx, shop_id, 10, "second"))
    _file_two_issuances(db)
    admin = Principal(people["admin"].id, "admin", Role.ADMIN)
    second_shop = AccountCommand("TRK", AccountKind.SHOP, "Second counter", people["bakker"].id)
    bare = write(db, admin, lambda ctx: accounts.open_account(ctx, second_shop))
    with db.write_session() as session:
        session.execute(update(m.MemberCard).values(pin_failures=5))
        session.commit()
    params = {
        **found.params,
        "shop_id": str(shop.id),
        "bare_shop_id": str(bare.id),  # a shop without a QR poster yet
        "card_number": cards.number_of(found.settings, card),
        "card_holder_id": str(people[demo.CARD_HOLDER].id),
        "jonas_id": str(people["jonas"].id),
        "open_activity_id": str(_open_activity(db, people["coord"].id)),
    }
    return Scene(found.settings, found.db, params)


def _open_activity(db: Database, coordinator_id: int) -> int:
    """An activity of the demo's project without limits, to record claims for a member at."""
    with db.read_session() as session:
        project_id = session.scalars(select(m.Project.id)).first()
    assert project_id is not None
    command = activities.ActivityCommand(
        title="Watering", description="", reward_kind=RewardKind.FIXED, reward_amount=5
    )
    coordinator = Principal(coordinator_id, "coord", Role.COORDINATOR)
    made = write(db, coordinator, lambda ctx: activities.create_activity(ctx, project_id, command))
    return made.id


def _file_two_issuances(db: Database) -> None:
    second = UserCommand("admin2", "Second admin", Role.ADMIN, "a-long-password")
    made = write(db, Principal(0, "operator", Role.ADMIN), lambda ctx: add_user(ctx, second))
    filer = Principal(made.id, "admin2", Role.ADMIN)
    with db.read_session() as session:
        budget_id = session.scalars(select(m.Account.id).where(m.Account.kind == "budget")).first()
    assert budget_id is not None
    for memo in ("to approve", "to reject"):
        command = IssuanceCommand(budget_id, 10, memo)

        def file(ctx: WriteContext, command: IssuanceCommand = command) -> None:
            four_eyes.issue(ctx, command, Decimal(0))

        write(db, filer, file)


def _state(db: Database) -> dict[str, Any]:
    """What a form could write: the rows of every table a page writes to, and the states and
    details a page changes in place (not the idempotency records, nor the attempts counted)."""
    tables = (
        m.Transaction,
        m.AuditEvent,
        m.Claim,
        m.Activity,
        m.CodeBatch,
        m.PaymentRequest,
        m.MemberCard,
        m.User,
        m.Redemption,
        m.Settlement,
        m.Refund,
    )
    with db.read_session() as session:
        state: dict[str, Any] = {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in tables
        }
        for column in (
            m.Activity.status,
            m.MemberCard.status,
            m.MemberCard.pin_failures,
            m.Redemption.status,
            m.ApprovalRequest.status,
            m.User.is_active,
            m.User.password_hash,
            m.MemberCard.pin_hash,
            m.Account.iban,
        ):
            state[str(column)] = session.scalars(select(column).order_by(column.class_.id)).all()
        return state


def _fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's first form that posts to ``action``, a route's template
    (its ``{...}`` parts stand for any value)."""
    pattern = re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(action)) + "$")
    for found, fields in post_forms(page):
        if pattern.match(found):
            return fields
    raise AssertionError(f"no form posting to {action} on the page:\n{page}")


def _action(page: str, template: str) -> str:
    pattern = re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$")
    return next(found for found, _ in post_forms(page) if pattern.match(found))


def test_every_page_that_writes_runs_once_per_form(scene: Scene) -> None:
    for route, walk in WALKS.items():
        with scene.browser(walk.who) as browser:
            page = (
                walk.page(browser, scene)
                if callable(walk.page)
                else browser.get(walk.page.format(**scene.params)).text
            )
            action = _action(page, route)
            fields = _fields(page, route)
            assert fields.get("key"), f"{route}: its form carries no one-time key"
            typed = walk.typed(page) if callable(walk.typed) else walk.typed
            sent = {**fields, **{k: str(v).format(**scene.params) for k, v in typed.items()}}

            before = _state(scene.db)
            keyless = browser.post(action, data={k: v for k, v in sent.items() if k != "key"})
            assert 400 <= keyless.status_code < 500, (route, keyless.status_code)
            assert "text/html" in keyless.headers["content-type"], route
            assert _state(scene.db) == before, f"{route}: wrote without its key"

            first = browser.post(action, data=sent, follow_redirects=False)
            assert first.status_code < 400, (route, first.status_code, first.text)
            written = _state(scene.db)
            assert written != before, f"{route}: the form wrote nothing"

            again = browser.post(action, data=sent, follow_redirects=False)
            assert again.status_code < 400, (route, again.status_code, again.text)
            assert _state(scene.db) == written, f"{route}: the same form wrote twice"


def test_a_first_step_carries_its_key_to_the_pin_page_and_needs_it(scene: Scene) -> None:
    for route, (who, pays) in FIRST_STEPS.items():
        with scene.browser(who) as browser:
            action = route.format(activity_id=scene.params["open_activity_id"])
            form = browser.get(action).text
            fields = _fields(form, route)
            assert fields.get("key"), f"{route}: its form carries no one-time key"
            sent = {**fields, "card": scene.params["card_number"], "amount": "1", "hours": "1"}
            shop = re.search(r'name="shop" value="(\d+)"', form) or re.search(
                r'<option value="(\d+)"', form
            )
            if shop is not None:
                sent["shop"] = shop.group(1)
            drawn = browser.post(action, data=sent)
            assert drawn.status_code == 200, (route, drawn.text)
            assert _fields(drawn.text, pays)["key"] == fields["key"], route
            before = _state(scene.db)
            keyless = browser.post(action, data={k: v for k, v in sent.items() if k != "key"})
            assert keyless.status_code == 422, (route, keyless.status_code)
            assert "text/html" in keyless.headers["content-type"], route
            assert 'id="pin-form"' not in keyless.text, route
            assert _state(scene.db) == before, route
