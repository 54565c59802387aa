"""Who may open which page, over every page the application serves: each role sees its own pages
and gets a refusal page (403) on the others, signed-out visitors are sent to sign in first, a
member never sees another member's account, and no form acts without its CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.web.demo_scene import Scene, build, page_routes
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.settings import Settings

# Pages each demo person may open; every other page refuses them.
ACTING = {
    "/activities/{activity_id}/close",
    "/activities/{activity_id}/claim-for",
    "/activities/{activity_id}/attendance",
}
COORDINATING = {
    "/projects",
    "/projects/{project_id}",
    "/projects/{project_id}/claims",
    "/activities/{activity_id}",
    "/activities/{activity_id}/close",
    "/activities/{activity_id}/claim-for",
    "/activities/{activity_id}/attendance",
}
ADMINISTERING = {
    "/admin",
    "/admin/accounts",
    "/admin/accounts/{account_id}",
    "/admin/accounts/{account_id}/statement.csv",
    "/admin/redemptions",
    "/admin/approvals",
    "/admin/settlements/{settlement_id}/export.csv",
    "/admin/settlements/{settlement_id}/pain.001.xml",
    "/admin/audit",
    "/admin/users",
    "/admin/users/{user_id}",
    "/admin/cards",
    "/admin/cards/{card_id}/print",
}
# A person's own history and receipts, also open to those who read everything: the scene's
# ``account_id`` is Jonas's wallet, and its ``transaction_id`` a payment whose payer and shop's
# keeper open its receipt too (see ``_parties``).
OWN = {"/history/{account_id}", "/receipts/{transaction_id}"}
# Anyone signed in holding a payment QR's code may see what it asks and whether it is paid (the
# code is the secret); everyone has a wallet of their own. ``/`` is a member's wallet, and leads
# every other role on to its own work (``LANDINGS``).
SIGNED_IN = {"/wallet", "/account", "/p/{code}", "/till/{code}/status"}
MAY_OPEN = {
    "fatima": SIGNED_IN | {"/", "/c", "/c/{code}"},
    "bakker": SIGNED_IN
    | {
        "/till",
        "/till/{code}",
        "/till/poster/{shop_id}",
        "/shop",
        "/shop/card",
        "/shop/redeem",
        "/counter/member",
    },
    "coord": SIGNED_IN | COORDINATING | {"/sheets/{batch_id}"},
    "admin": SIGNED_IN
    | COORDINATING
    | {"/sheets/{batch_id}", "/counter/member"}
    | ADMINISTERING
    | OWN,
    # Auditors read everything but the codes, which are bearer claims on tokens, and act on
    # nothing (closing an activity asks first, acting for a member is acting: their forms are not
    # for them either).
    "auditor": SIGNED_IN | (COORDINATING - ACTING) | ADMINISTERING | OWN,
}
# Pages about signing in and the language switch answer everyone with a page or a redirect.
ANYONE = {"/login", "/login/card", "/language/{code}"}
# A card payment's hand-over view and slip open only under the one-time key of the keeper's own
# payment form (``tests/web/test_shop.py`` checks that nobody else opens them).
ONE_TIME = {"/shop/card/paid/{key}", "/shop/card/paid/{key}/slip"}


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scene:
    return build(db, settings)


def _get_pages() -> list[str]:
    return [
        path for method, path in page_routes() if method == "GET" and path not in ANYONE | ONE_TIME
    ]


LANDINGS = {"bakker": "/till", "coord": "/projects", "admin": "/admin", "auditor": "/admin"}


def _parties(scene: Scene) -> set[str]:
    """The usernames of the scene's payment's payer and of its shop's keeper."""
    with scene.db.read_session() as session:
        payment = session.scalars(
            select(m.Payment).where(m.Payment.transaction_id == int(scene.params["transaction_id"]))
        ).one()
        owners = select(m.Account.owner_id).where(
            m.Account.id.in_([payment.payer_account_id, payment.shop_account_id])
        )
        return set(session.scalars(select(m.User.username).where(m.User.id.in_(owners))))


def test_every_page_is_in_the_access_table() -> None:
    known = set().union(*MAY_OPEN.values())
    assert set(_get_pages()) == known


@pytest.mark.parametrize("username", sorted(MAY_OPEN))
def test_each_role_opens_its_pages_and_is_refused_the_others(scene: Scene, username: str) -> None:
    wrong = []
    may_open = MAY_OPEN[username] | (
        {"/receipts/{transaction_id}"} if username in _parties(scene) else set()
    )
    with scene.browser(username) as browser:
        for template in _get_pages():
            response = browser.get(scene.path(template), follow_redirects=False)
            expected = 200 if template in may_open else 403
            if template == "/" and username in LANDINGS:
                expected = 303
                assert response.headers["location"] == LANDINGS[username]
            if response.status_code != expected:
                wrong.append((template, response.status_code, expected))
            if expected == 403 and template != "/till/{code}/status":
                assert "text/html" in response.headers["content-type"], template
    assert wrong == [], "\n".join(map(str, wrong))


def test_a_member_sees_nothing_of_another_members_account(scene: Scene) -> None:
    jonas_wallet = scene.params["account_id"]
    with scene.browser("fatima") as browser:
        wallet = browser.get("/")
        assert f'id="account-{jonas_wallet}"' not in wallet.text
        assert "Jonas" not in wallet.text
        for template in (
            "/admin/accounts/{account_id}",
            "/admin/accounts/{account_id}/statement.csv",
        ):
            refused = browser.get(scene.path(template))
            assert refused.status_code == 403
            assert "Jonas" not in refused.text


def test_signed_out_visitors_sign_in_first_and_come_back(scene: Scene) -> None:
    with scene.browser(None) as browser:
        for template in _get_pages():
            path = scene.path(template)
            response = browser.get(path, follow_redirects=False)
            if template == "/till/{code}/status":
                assert response.status_code == 401
                continue
            assert response.status_code == 303, template
            assert response.headers["location"] == f"/login?next={path}", template


def _counts(db: Database) -> dict[str, int]:
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
        counts = {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in tables
        }
        statuses = session.scalars(select(m.Redemption.status).order_by(m.Redemption.id)).all()
        counts["redemptions_settled"] = sum(status == "paid" for status in statuses)
        return counts


# The person for whom each form would otherwise work, so that only the token is missing.
def _actor_for(path: str) -> str | None:
    if path.startswith(("/login", "/language")):
        return None
    if path.startswith(("/till", "/shop")):
        return "bakker"
    if path.startswith(("/projects", "/activities")):
        return "coord"
    if path.startswith("/admin"):
        return "admin"
    return "fatima"


@pytest.mark.parametrize("token", ["", "f" * 64])
def test_no_form_acts_without_its_csrf_token(scene: Scene, token: str) -> None:
    posts = [path for method, path in page_routes() if method == "POST"]
    assert len(posts) > 20
    before = _counts(scene.db)
    for template in posts:
        with scene.browser(_actor_for(template)) as browser:
            browser.get("/")
            response = browser.post(scene.path(template), data={"csrf_token": token, "amount": "1"})
            assert response.status_code == 403, template
            assert "text/html" in response.headers["content-type"], template
    assert _counts(scene.db) == before
