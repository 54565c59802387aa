"""The demo community as a scene for page tests that visit every page: the ids and codes each
page's path needs, and a browser signed in as any of the demo people."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fastapi.routing import APIRoute, APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import BaseRoute

from tests.apps import app_for
from tests.web.conftest import BASE, csrf_of
from torekes.app import build_app
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.kit.unit_of_work import write
from torekes.operations import demo
from torekes.redemption import redemptions, settlements
from torekes.settings import Settings
from torekes.spending import payment_requests


def page_routes() -> list[tuple[str, str]]:
    """Every (method, path) the pages serve: the application's routes that ``torekes.web``
    answers, found through the routers it includes (pages are included without a prefix)."""
    app = build_app()
    return sorted(
        (method, route.path)
        for route in _flattened(app.router.routes)
        if route.endpoint.__module__.startswith("torekes.web.")
        for method in route.methods or ()
    )


def _flattened(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif isinstance(included := getattr(route, "original_router", None), APIRouter):
            yield from _flattened(included.routes)


@dataclass(frozen=True)
class Scene:
    settings: Settings
    db: Database
    params: dict[str, str]

    def path(self, template: str) -> str:
        if template.startswith("/c/"):
            return template.format(**{**self.params, "code": self.params["claim_code"]})
        return template.format(**self.params)

    def browser(self, username: str | None) -> TestClient:
        """A browser signed in as a demo person (use it as a context manager)."""
        client = TestClient(app_for(self.settings), base_url=BASE)
        if username is not None:
            form = client.get("/login")
            response = client.post(
                "/login",
                data={
                    "username": username,
                    "password": demo.demo_password(username),
                    "csrf_token": csrf_of(form.text),
                },
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text
        return client


def build(db: Database, settings: Settings) -> Scene:
    """The demo community, one settlement of an approved redemption, and each path's values.
    ``account_id`` is another member's wallet: pages must not show it to a member."""
    settings = settings.model_copy(
        update={"payout_name": "Torekes vzw", "payout_iban": "BE68539007547034"}
    )
    community = demo.load(db, settings)
    assert community is not None
    with db.read_session() as session:
        user_ids = {user.username: user.id for user in session.scalars(select(m.User))}
        jonas_wallet = session.scalars(
            select(m.Account.id).where(m.Account.owner_id == user_ids["jonas"])
        ).first()
        project_id = session.scalars(select(m.Project.id)).first()
        activity_id = session.scalars(select(m.Activity.id).order_by(m.Activity.id)).first()
        batch_id = session.scalars(select(m.CodeBatch.id).order_by(m.CodeBatch.id)).first()
        card_id = session.scalars(select(m.MemberCard.id)).first()
        payment = session.scalars(select(m.Payment.transaction_id)).first()
        waiting = session.scalars(
            select(m.Redemption.id).where(m.Redemption.status == "requested")
        ).first()
    admin = Principal(user_ids["admin"], "admin", Role.ADMIN)
    assert waiting is not None
    write(db, admin, lambda ctx: redemptions.approve(ctx, waiting))
    settlement = write(db, admin, lambda ctx: settlements.create(ctx, "TRK"))
    bakker = Principal(user_ids["bakker"], "bakker", Role.SHOPKEEPER)
    standing = payment_requests.list_requests(db, settings, bakker, None, None, None, 1).items[0]
    params = {
        "account_id": str(jonas_wallet),
        "user_id": str(user_ids["jonas"]),
        "project_id": str(project_id),
        "activity_id": str(activity_id),
        "batch_id": str(batch_id),
        "card_id": str(card_id),
        "transaction_id": str(payment),
        "redemption_id": str(waiting),
        "settlement_id": str(settlement.id),
        "request_id": "1",  # the CSRF check refuses before any request is looked up
        # A form's one-time key under which nobody paid (the hand-over view after a card payment
        # opens only under the keeper's own; ``tests/web/test_shop.py`` walks a real one).
        "key": "no-payment-under-this-key",
        "code": standing.code,
        "shop_id": str(standing.shop_account_id),
        "claim_code": community.claim_url.rsplit("/c/", 1)[1],
    }
    return Scene(settings, db, params)
