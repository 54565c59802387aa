"""Each role lands on its own work, and the pages around it work on the first try: the shop's QR
poster, typing a short code, the back button after paying or claiming, and project and dashboard
figures that say what they count and add up."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import csrf_of, hidden_fields
from tests.web.demo_scene import Scene, build
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.earning import claim_codes
from torekes.earning.read_models import CodeView
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts, journal
from torekes.operations import demo
from torekes.settings import Settings
from torekes.spending import payment_requests
from torekes.spending.payment_requests import RequestCommand

ENGLISH = {"Accept-Language": "en"}
LANDINGS = {
    "fatima": None,  # a member's wallet is the landing page itself
    "bakker": "/till",
    "coord": "/projects",
    "admin": "/admin",
    "auditor": "/admin",
}


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scene:
    return build(db, settings)


def _user(scene: Scene, username: str) -> Principal:
    with scene.db.read_session() as session:
        user = session.scalars(select(m.User).where(m.User.username == username)).one()
        return Principal(user.id, username, Role(user.role))


def _sign_in(browser: TestClient, username: str, next_path: str | None = None) -> str:
    """Sign in on the page; where the answer leads."""
    form = browser.get("/login" if next_path is None else f"/login?next={next_path}")
    sent = {**hidden_fields(form.text), "username": username}
    sent["password"] = demo.demo_password(username)
    answer = browser.post("/login", data=sent, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


@pytest.mark.parametrize("username", sorted(LANDINGS))
def test_each_role_lands_on_its_own_work_after_signing_in_and_on_home(
    scene: Scene, username: str
) -> None:
    with scene.browser(None) as browser:
        assert _sign_in(browser, username) == "/"
        home = browser.get("/", follow_redirects=False)
        landing = LANDINGS[username]
        if landing is None:
            assert home.status_code == 200
            assert "Mijn portemonnee" in home.text
        else:
            assert (home.status_code, home.headers["location"]) == (303, landing)
            assert browser.get(landing).status_code == 200
        # Everyone's own wallet stays reachable, linked from the menu.
        wallet = browser.get("/wallet")
        assert wallet.status_code == 200
        assert "Mijn portemonnee" in wallet.text
        assert f'href="{"/" if landing is None else "/wallet"}"' in wallet.text


def test_next_after_signing_in_wins_over_the_landing_page(scene: Scene) -> None:
    with scene.browser(None) as browser:
        assert _sign_in(browser, "admin", "/projects") == "/projects"
    with scene.browser(None) as browser:
        # Someone signed in already goes on to ``next`` too.
        _sign_in(browser, "coord")
        again = browser.get("/login?next=/wallet", follow_redirects=False)
        assert again.headers["location"] == "/wallet"


def _bakers_shop(scene: Scene) -> int:
    return int(scene.params["shop_id"])


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, ("Betaal hier met Torekes", "Scan deze code", "Afdrukken")),
        (ENGLISH, ("Pay here with Torekes", "Scan this code", "Print")),
    ],
)
def test_the_till_links_the_shops_qr_poster_to_print(
    scene: Scene, headers: dict[str, str], words: tuple[str, ...]
) -> None:
    shop_id = _bakers_shop(scene)
    standing = payment_requests.standing_request(
        scene.db, scene.settings, _user(scene, "bakker"), shop_id
    )
    assert standing is not None
    with scene.browser("bakker") as browser:
        till = browser.get("/till", headers=headers)
        assert f'href="/till/poster/{shop_id}"' in till.text
        poster = browser.get(f"/till/poster/{shop_id}", headers=headers)
    assert poster.status_code == 200
    assert "Bakkerij Rabot" in poster.text
    assert "<svg" in poster.text
    css = _shop_css(scene)
    assert "@media print" in css
    assert ".poster .qr { width: 13cm; }" in css
    for word in words:
        assert word in poster.text
    # The QR holds the standing request's own address: members type the amount there.
    assert standing.amount is None


def _shop_css(scene: Scene) -> str:
    with scene.browser(None) as browser:
        return browser.get("/static/shop.css").text


def test_a_shop_without_a_poster_makes_one_once(scene: Scene) -> None:
    bakker = _user(scene, "bakker")
    admin = _user(scene, "admin")
    command = accounts.AccountCommand("TRK", AccountKind.SHOP, "Second counter", bakker.user_id)
    made = write(scene.db, admin, lambda ctx: accounts.open_account(ctx, command).id)
    with scene.browser("bakker") as browser:
        page = browser.get(f"/till/poster/{made}")
        assert "Maak de QR-affiche" in page.text
        sent = hidden_fields(page.text)
        for _ in range(2):  # a double tap
            answer = browser.post(f"/till/poster/{made}", data=sent, follow_redirects=False)
            assert (answer.status_code, answer.headers["location"]) == (
                303,
                f"/till/poster/{made}",
            )
        shown = browser.get(f"/till/poster/{made}")
        assert "<svg" in shown.text
        # Another keeper's shop is not theirs to print.
        with scene.browser("fietser") as other:
            assert other.get(f"/till/poster/{made}").status_code == 403
    with scene.db.read_session() as session:
        count = select(func.count()).where(m.PaymentRequest.shop_account_id == made)
        assert session.scalar(count) == 1


def _unused_sheet_code(scene: Scene) -> CodeView:
    """A code of the demo's garden sheet that nobody has used."""
    operator = _user(scene, "admin")
    batch = claim_codes.get_batch(scene.db, scene.settings, operator, int(scene.params["batch_id"]))
    return next(code for code in batch.codes if code.uses == 0)


@pytest.mark.parametrize("typed", ["exact", "lower case with spaces"])
def test_a_member_types_a_short_code_and_claims_it(scene: Scene, typed: str) -> None:
    code = _unused_sheet_code(scene)
    sent = code.short_code if typed == "exact" else code.short_code.lower().replace("-", " ")
    with scene.browser("fatima") as browser:
        wallet = browser.get("/")
        assert 'href="/c"' in wallet.text
        form = browser.get("/c")
        assert "Korte code" in form.text
        found = browser.get("/c", params={"code": sent}, follow_redirects=False)
        assert found.status_code == 303
        claim_page = browser.get(found.headers["location"])
        assert claim_page.status_code == 200
        assert "Garden work" in claim_page.text
        assert 'href="/c"' in claim_page.text
        action = re.search(r'<form method="post" action="(/c/[^"]+)"', claim_page.text)
        assert action is not None
        fields = {**hidden_fields(claim_page.text), "hours": "2"}
        claimed = browser.post(action.group(1), data=fields)
        assert claimed.status_code == 201, claimed.text
    with scene.db.read_session() as session:
        assert session.get(m.ClaimCode, code.id).uses == 1  # type: ignore[union-attr]


def test_a_mistyped_short_code_is_refused_keeping_it_and_counted_as_a_guess(
    scene: Scene,
) -> None:
    strict = Scene(scene.settings.model_copy(update={"code_max_misses": 2}), scene.db, scene.params)
    real = _unused_sheet_code(scene).short_code
    with strict.browser("fatima") as browser:
        for _ in range(2):
            wrong = browser.get("/c", params={"code": "AAAA-BBBB-CCCC"})
            assert wrong.status_code == 404
            assert "Er is geen code met deze tekens" in wrong.text
            assert 'value="AAAA-BBBB-CCCC"' in wrong.text
        # The limit on guessing counts these misses as it counts /c/{code}'s: now even the
        # right code waits.
        limited = browser.get("/c", params={"code": real})
        assert limited.status_code == 429
        assert "Retry-After" in limited.headers
        assert browser.get(f"/c/{real}").status_code == 429


def _pay(browser: TestClient, code: str) -> TestClient:
    page = browser.get(f"/p/{code}")
    assert page.status_code == 200, page.text
    paid = browser.post(f"/p/{code}", data=hidden_fields(page.text))
    assert paid.status_code == 201, paid.text
    return browser


def test_back_on_a_paid_request_shows_paid_with_the_receipt(scene: Scene) -> None:
    bakker = _user(scene, "bakker")
    command = RequestCommand(_bakers_shop(scene), amount=7, memo="Bread")
    request = write(
        scene.db,
        bakker,
        lambda ctx: payment_requests.create_request(ctx, scene.settings, command),
    )
    with scene.browser("fatima") as browser:
        first = browser.get(f"/p/{request.code}")
        _pay(browser, request.code)
        back = browser.get(f"/p/{request.code}")
        assert back.status_code == 200
        assert "Betaald" in back.text
        assert "Bonnummer" in back.text
        assert "Dat kan niet" not in back.text
        # The old form sent again (another key: the page was drawn before paying) shows it too.
        again = browser.post(f"/p/{request.code}", data=hidden_fields(first.text))
        assert again.status_code in (200, 201)
        assert "Betaald" in again.text
        english = browser.get(f"/p/{request.code}", headers=ENGLISH)
        assert "Paid" in english.text
        assert "Receipt number" in english.text
    with scene.browser("jonas") as stranger:
        told = stranger.get(f"/p/{request.code}")
        assert told.status_code == 409
        assert "al betaald" in told.text
        assert "Bonnummer" not in told.text


def test_back_on_a_used_code_of_ones_own_claim_shows_the_claim(scene: Scene) -> None:
    code = _unused_sheet_code(scene)
    with scene.browser("jonas") as browser:
        page = browser.get(f"/c/{code.code}")
        claimed = browser.post(f"/c/{code.code}", data={**hidden_fields(page.text), "hours": "1"})
        assert claimed.status_code == 201
        back = browser.get(f"/c/{code.code}")
        assert back.status_code == 200
        assert "Al door jou geclaimd" in back.text
        assert "Garden work" in back.text
        by_short = browser.get(f"/c/{code.short_code}", headers=ENGLISH)
        assert "Already claimed by you" in by_short.text
    with scene.browser("fatima") as other:
        refused = other.get(f"/c/{code.code}")
        assert refused.status_code == 409
        assert "Al door jou geclaimd" not in refused.text


def _figures(page: str) -> dict[str, int]:
    found = re.findall(r'<dd class="(\w+)" data-figure="(-?\d+)">', page)
    return {name: int(value) for name, value in found}


def _project_figures_add_up(scene: Scene, browser: TestClient) -> dict[str, int]:
    page = browser.get(f"/projects/{scene.params['project_id']}", headers=ENGLISH)
    assert page.status_code == 200
    for label in ("Funded", "Paid out to volunteers", "Other movements", "Left (funded"):
        assert label in page.text
    figures = _figures(page.text)
    start = figures.get("start", 0)
    assert start + figures["funded"] + figures["paid"] + figures["other"] == figures["left"]
    with scene.db.read_session() as session:
        project = session.get(m.Project, int(scene.params["project_id"]))
        assert project is not None
        budget = session.get(m.Account, project.budget_account_id)
        assert budget is not None
        assert figures["left"] == budget.balance
    return figures


def test_the_project_page_figures_add_up_on_the_demo_and_after_transfers(scene: Scene) -> None:
    with scene.browser("coord") as browser:
        before = _project_figures_add_up(scene, browser)
        # The demo's welcome bonuses left the budget as transfers: other movements.
        assert before["other"] == -300
        with scene.db.read_session() as session:
            project = session.get(m.Project, int(scene.params["project_id"]))
            assert project is not None
            budget_id = project.budget_account_id
        admin = _user(scene, "admin")
        out = journal.TransferCommand(budget_id, int(scene.params["account_id"]), 40, "Bonus")
        moved = write(scene.db, admin, lambda ctx: journal.transfer(ctx, out))
        after_transfer = _project_figures_add_up(scene, browser)
        assert after_transfer["other"] == -340
        write(scene.db, admin, lambda ctx: journal.reverse(ctx, moved.id, "by mistake"))
        after_reversal = _project_figures_add_up(scene, browser)
        assert after_reversal["other"] == -300
        assert after_reversal["left"] == before["left"]


def test_the_dashboard_says_what_the_euro_figures_count(scene: Scene) -> None:
    with scene.browser("admin") as browser:
        page = browser.get("/admin", headers=ENGLISH).text
    assert "every token not yet redeemed, budgets included" in page
    assert "tokens held by members, shops and partners" in page
    figures = dict(re.findall(r'<dd data-figure="(\w+)">([^<]*)</dd>', page))
    with scene.db.read_session() as session:
        outside = session.scalar(
            select(func.sum(m.Account.balance)).where(
                m.Account.kind.in_(["member", "shop", "partner"])
            )
        )
    # The demo's one approved redemption (10 tokens) counts at its fixed euro amount, which is
    # the rate's: every token held outside at EUR 0.10.
    owed = Decimal(outside or 0) * Decimal("0.10")
    assert figures["euro_owed"] == f"€ {owed:,.2f}"
    assert csrf_of(page)
