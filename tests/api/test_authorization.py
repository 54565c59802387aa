"""Who may and who may not call each route.

Every route of the API appears in ``CASES`` (``test_every_route_is_covered`` fails when a new one
does not): for each, a request without a token, with a garbage token and with a revoked token gets
401, each role in ``allowed`` succeeds, and every other role gets 403. Administrators do
everything; auditors read everything and write nothing; everyone else reads and moves money only
from the accounts they own.

Earning: coordinators act only in the projects they coordinate (the world's coordinator runs the
world's project; ``world.outsider``, a coordinator of no project, is refused with
``not_project_coordinator`` on every ``scoped`` route); members claim and see their own claims;
nobody else claims. The plain claim codes (a batch, its sheet, its QR images) are bearer secrets
worth tokens: only the project's coordinators and administrators see them, not auditors.

Spending: a shop's keeper (a shopkeeper owning the shop account) and administrators create and
cancel its payment requests, charge cards there and refund its payments; a shopkeeper naming a
shop they do not keep is refused with ``not_account_owner``. Anyone signed in may open a request
by its code; its QR image is for the shop's keeper, administrators and auditors. Members pay from
their own accounts, shopkeepers from their own shop (at another shop). Cards are issued, unlocked
and replaced by administrators; a card is blocked by an administrator or its own member, and read
(printed, its QR) by administrators, auditors and its member. A receipt is for the payer's owner,
the shop's owner, administrators and auditors. Spending limits are set by administrators.

Reports: circulation and euro liability are for administrators and auditors. The project report
shows administrators and auditors every project and a coordinator the projects they coordinate;
naming a project (``project_id``) anyone else is refused with ``not_project_coordinator``, members
and shopkeepers included, while the list without one is simply empty for them. The shop report
shows administrators and auditors every shop and partner and a shopkeeper their own; naming an
account they do not own is refused with ``not_account_owner``, and the list without one is empty
for everybody who owns no shop. A statement is for whoever may read the account: its owner,
administrators and auditors. Asking for CSV changes none of this.

Audit: signed checkpoints (made by verify, the public key, checking one) are for administrators
and auditors. Four eyes: administrators and auditors read approval requests; administrators other
than the requester approve them, and any administrator rejects them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.helpers import (
    API,
    HttpResponse,
    assert_problem,
    earning_snapshot,
    snapshot,
)
from tests.support import PASSWORD, Actor
from torekes.approvals import four_eyes
from torekes.approvals.four_eyes import ApprovalView
from torekes.audit import checkpoints, verification
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.cards import CardStatus
from torekes.earning import projects
from torekes.earning.projects import ProjectCommand
from torekes.identity import lifecycle
from torekes.kit.unit_of_work import write
from torekes.ledger.journal import IssuanceCommand
from torekes.ledger.read_models import AccountView
from torekes.redemption import payouts, redemptions, settlements
from torekes.redemption.read_models import RedemptionView, SettlementView
from torekes.spending import cards, payment_requests
from torekes.spending.cards import ChargeCommand
from torekes.spending.payment_requests import PayCommand, RequestCommand
from torekes.spending.read_models import CardView, PaymentRequestView, ReceiptView

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
READERS = frozenset({Role.ADMIN, Role.AUDITOR})
MOVERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.SHOPKEEPER, Role.MEMBER})
DENIED = ("role_not_allowed", "not_account_owner")
NOT_OWNER = ("not_account_owner",)
ROLE = ("role_not_allowed",)
PROJECT_READERS = frozenset({Role.ADMIN, Role.AUDITOR, Role.COORDINATOR})
PROJECT_WRITERS = frozenset({Role.ADMIN, Role.COORDINATOR})
MEMBERS = frozenset({Role.MEMBER})
NOT_COORDINATOR = ("not_project_coordinator", "role_not_allowed")

# Routes outside /api/v1 that anybody may call.
PUBLIC_ROUTES = {("GET", "/healthz"), ("GET", "/readyz")}


@dataclass(frozen=True)
class Call:
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    route: str  # the OpenAPI path template
    build: Callable[[World, Role], Call]
    allowed: frozenset[Role]
    success: int = 200
    denied_codes: tuple[str, ...] = DENIED
    public: bool = False  # needs no bearer token (signing in)
    writes: bool = False
    scoped: bool = False  # acts inside the world's project: refused to another's coordinator
    expect: Callable[[HttpResponse], object] | None = None  # checks a permitted call's response
    # The exact refusal some roles must get, where it is narrower than ``denied_codes``.
    denied_for: dict[Role, tuple[str, ...]] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def _fixed(path: str, **kwargs: Any) -> Callable[[World, Role], Call]:
    return lambda _world, _role: Call(path, kwargs)


def _new_user(world: World, role: Role) -> Call:
    body = {
        "username": f"new-{role.value}",
        "display_name": "New User",
        "role": "member",
        "password": "a-long-enough-password",
    }
    return Call(f"{API}/users", {"json": body})


def _new_account(world: World, role: Role) -> Call:
    body = {
        "currency": "TRK",
        "kind": "member",
        "name": "Another",
        "owner_id": world.actors[role].id,
    }
    return Call(f"{API}/accounts", {"json": body})


def _account_path(suffix: str, own: bool) -> Callable[[World, Role], Call]:
    def build(world: World, role: Role) -> Call:
        account = world.own[role] if own else world.stranger_account
        return Call(f"{API}/accounts/{account.id}{suffix}")

    return build


def _freeze(world: World, role: Role) -> Call:
    return Call(f"{API}/accounts/{world.own[role].id}/freeze")


def _unfreeze(world: World, role: Role) -> Call:
    account = world.account_of(role)
    world.set_status(account.id, "freeze")
    return Call(f"{API}/accounts/{account.id}/unfreeze")


def _close(world: World, role: Role) -> Call:
    return Call(f"{API}/accounts/{world.account_of(role).id}/close")


def _issue(world: World, _role: Role) -> Call:
    return Call(f"{API}/issuances", {"json": {"to_account_id": world.budget.id, "amount": 10}})


def _transfer(own: bool) -> Callable[[World, Role], Call]:
    def build(world: World, role: Role) -> Call:
        if own:
            source, target = world.own[role], world.stranger_account
        else:
            source, target = world.stranger_account, world.own[role]
        body = {"from_account_id": source.id, "to_account_id": target.id, "amount": 10}
        return Call(f"{API}/transfers", {"json": body})

    return build


def _entry(world: World, role: Role) -> Call:
    body = {
        "currency": "TRK",
        "kind": "adjustment",
        "postings": [
            {"account_id": world.budget.id, "amount": -15},
            {"account_id": world.own[role].id, "amount": 10},
            {"account_id": world.stranger_account.id, "amount": 5},
        ],
        "memo": "correction",
    }
    return Call(f"{API}/transactions", {"json": body})


def _transaction(own: bool) -> Callable[[World, Role], Call]:
    def build(world: World, role: Role) -> Call:
        transaction_id = world.own_tx[role] if own else world.stranger_tx
        return Call(f"{API}/transactions/{transaction_id}")

    return build


def _reverse(world: World, role: Role) -> Call:
    return Call(f"{API}/transactions/{world.own_tx[role]}/reverse", {"json": {"reason": "mistake"}})


def _sign_in(world: World, role: Role) -> Call:
    form = {"username": world.actors[role].principal.username, "password": PASSWORD}
    return Call(f"{API}/auth/token", {"data": form})


# --- earning ------------------------------------------------------------------------------------


def _project(suffix: str = "") -> Callable[[World, Role], Call]:
    return lambda world, _role: Call(f"{API}/projects/{world.earning.project.id}{suffix}")


def _activity(suffix: str = "") -> Callable[[World, Role], Call]:
    return lambda world, _role: Call(f"{API}/activities/{world.earning.activity.id}{suffix}")


def _batch(suffix: str = "") -> Callable[[World, Role], Call]:
    return lambda world, _role: Call(f"{API}/code-batches/{world.earning.batch.id}{suffix}")


def _code(suffix: str) -> Callable[[World, Role], Call]:
    """The world batch's last code: unused, so revoking it changes nothing else."""
    return lambda world, _role: Call(f"{API}/claim-codes/{world.earning.batch.codes[2].id}{suffix}")


def _new_project(world: World, _role: Role) -> Call:
    body = {
        "name": "Street cleaning",
        "currency": "TRK",
        "coordinator_ids": [world.actors[Role.COORDINATOR].id],
    }
    return Call(f"{API}/projects", {"json": body})


def _add_coordinator(world: World, _role: Role) -> Call:
    body = {"user_id": world.ledger.user(Role.COORDINATOR).id}
    return Call(f"{API}/projects/{world.earning.project.id}/coordinators", {"json": body})


def _new_activity(world: World, _role: Role) -> Call:
    body = {"title": "Sweeping", "reward_kind": "fixed", "reward_amount": 5}
    return Call(f"{API}/projects/{world.earning.project.id}/activities", {"json": body})


def _status_change(action: str, start: str | None) -> Callable[[World, Role], Call]:
    """``action`` on a fresh activity in the state ``start`` (active when ``None``)."""

    def build(world: World, _role: Role) -> Call:
        return Call(f"{API}/activities/{world.new_activity(start).id}/{action}")

    return build


def _new_batch(world: World, _role: Role) -> Call:
    body = {"kind": "single", "count": 2}
    return Call(f"{API}/activities/{world.earning.activity.id}/code-batches", {"json": body})


def _claim(world: World, _role: Role) -> Call:
    return Call(f"{API}/claims", {"json": {"code": world.new_code().code}})


def _decide(action: str) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        claim_id = world.new_pending_claim().id
        body = {"reason": "not seen there"} if action == "reject" else None
        return Call(f"{API}/claims/{claim_id}/{action}", {} if body is None else {"json": body})

    return build


def _decide_many(action: str) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        claim_ids = [world.new_pending_claim().id, world.new_pending_claim().id]
        return Call(f"{API}/claims/{action}", {"json": {"claim_ids": claim_ids}})

    return build


def _all_resolved(status: str) -> Callable[[HttpResponse], object]:
    def check(response: HttpResponse) -> None:
        outcomes = response.json()
        assert len(outcomes) == 2, outcomes
        assert all(o["ok"] and o["status"] == status for o in outcomes), outcomes

    return check


# --- spending -----------------------------------------------------------------------------------

PIN = "4711"
WRONG_PIN = "1174"
PAYER_FUNDS = 50
SHOP_ONLY = frozenset({Role.ADMIN, Role.SHOPKEEPER})
PAYERS = frozenset({Role.MEMBER, Role.SHOPKEEPER})
RECEIPT_READERS = frozenset({Role.ADMIN, Role.AUDITOR, Role.SHOPKEEPER, Role.MEMBER})
MEMBER_READERS = frozenset({Role.ADMIN, Role.AUDITOR, Role.MEMBER})  # and the member it concerns
CARD_BLOCKERS = frozenset({Role.ADMIN, Role.MEMBER})
SHOP_READERS = frozenset({Role.ADMIN, Role.AUDITOR, Role.SHOPKEEPER})
KEEPER_NOT_OWNER: dict[Role, tuple[str, ...]] = {Role.SHOPKEEPER: NOT_OWNER}
PAYER_NOT_OWNER: dict[Role, tuple[str, ...]] = {Role.MEMBER: NOT_OWNER, Role.SHOPKEEPER: NOT_OWNER}


def _world_shop(world: World) -> AccountView:
    return world.own[Role.SHOPKEEPER]


def _other_shop(world: World) -> AccountView:
    """A shop account kept by another shopkeeper than the world's."""
    return world.ledger.account(AccountKind.SHOP, world.ledger.user(Role.SHOPKEEPER))


def _new_request(world: World, shop: AccountView | None = None) -> PaymentRequestView:
    """A fresh open one-off request for 5 at ``shop`` (the world's shop unless named)."""
    command = RequestCommand((shop or _world_shop(world)).id, amount=5, memo="Bread")
    return write(
        world.ledger.db,
        world.admin.principal,
        lambda ctx: payment_requests.create_request(ctx, world.ledger.settings, command),
    )


def _funded_member(world: World) -> Actor:
    """A further member with a member account holding ``PAYER_FUNDS``."""
    member = world.ledger.user(Role.MEMBER)
    account = world.ledger.account(AccountKind.MEMBER, member)
    world.ledger.transfer(world.budget.id, account.id, PAYER_FUNDS)
    return member


def _payment(world: World, payer: Actor, shop: AccountView | None = None) -> ReceiptView:
    """A payment of 5 by ``payer`` (from their first member account) into ``shop``."""
    request = _new_request(world, shop)
    return write(
        world.ledger.db,
        payer.principal,
        lambda ctx: payment_requests.pay(ctx, world.ledger.settings, request.code, PayCommand()),
    )


def _card(world: World, holder: Actor) -> CardView:
    """A fresh active card of ``holder`` with ``PIN``; any active card they had is blocked."""
    db, settings, admin = world.ledger.db, world.ledger.settings, world.admin.principal
    active = cards.list_cards(db, settings, admin, holder.id, CardStatus.ACTIVE, None, 10)
    for old in active.items:
        write(db, admin, partial(cards.block_card, settings=settings, card_id=old.id, reason=""))
    return write(db, admin, lambda ctx: cards.issue_card(ctx, settings, holder.id, PIN))


def _locked_card(world: World) -> CardView:
    """A card locked by five wrong PINs, tried by an administrator at a shop of its own (so no
    shop reaches its limit of wrong PINs)."""
    card = _card(world, _funded_member(world))
    admin = world.admin.principal
    db, settings = world.ledger.db, world.ledger.settings
    command = ChargeCommand(_other_shop(world).id, card.number, WRONG_PIN, 1)
    for _attempt in range(5):
        with pytest.raises(errors.WrongPin):
            cards.charge(db, settings, admin, command, lambda op: write(db, admin, op))
    return card


def _request_path(suffix: str, own_shop: bool = True) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        request = _new_request(world, None if own_shop else _other_shop(world))
        return Call(f"{API}/payment-requests/{request.code}{suffix}")

    return build


def _create_request(own_shop: bool) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        shop = _world_shop(world) if own_shop else _other_shop(world)
        body = {"shop_account_id": shop.id, "amount": 5, "memo": "Bread"}
        return Call(f"{API}/payment-requests", {"json": body})

    return build


def _list_requests(own_shop: bool) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        shop = _world_shop(world) if own_shop else _other_shop(world)
        _new_request(world, shop)
        return Call(f"{API}/payment-requests", {"params": {"shop_account_id": shop.id}})

    return build


def _pay(own_account: bool) -> Callable[[World, Role], Call]:
    """Pay a fresh request at a shop nobody in the world keeps, from the caller's own account
    (a member account, or the shopkeeper's shop) or from the stranger's."""

    def build(world: World, role: Role) -> Call:
        request = _new_request(world, _other_shop(world))
        account = world.own[role] if own_account else world.stranger_account
        body = {"account_id": account.id}
        return Call(f"{API}/payment-requests/{request.code}/pay", {"json": body})

    return build


def _issue_card(world: World, _role: Role) -> Call:
    body = {"member_id": world.ledger.user(Role.MEMBER).id, "pin": PIN}
    return Call(f"{API}/cards", {"json": body})


def _card_path(suffix: str, whose: str = "member") -> Callable[[World, Role], Call]:
    """A fresh card of the world's member (``member``), of the stranger, or locked."""

    def build(world: World, _role: Role) -> Call:
        if whose == "locked":
            card = _locked_card(world)
        else:
            card = _card(world, world.actors[Role.MEMBER] if whose == "member" else world.stranger)
        return Call(f"{API}/cards/{card.id}{suffix}")

    return build


def _replace_card(world: World, _role: Role) -> Call:
    card = _card(world, _funded_member(world))
    return Call(f"{API}/cards/{card.id}/replace", {"json": {"pin": "2580", "reason": "lost"}})


def _fresh_user(
    suffix: str, deactivated: bool = False, **kwargs: Any
) -> Callable[[World, Role], Call]:
    """A new member, deactivated first when asked, at ``/users/{id}{suffix}``."""

    def build(world: World, _role: Role) -> Call:
        user = world.ledger.user(Role.MEMBER)
        if deactivated:
            write(
                world.ledger.db,
                world.admin.principal,
                lambda ctx: lifecycle.deactivate_user(ctx, user.id),
            )
        return Call(f"{API}/users/{user.id}{suffix}", kwargs)

    return build


def _own_password_change(world: World, role: Role) -> Call:
    body = {"current_password": PASSWORD, "new_password": "another-password"}
    return Call(f"{API}/me/password", {"json": body})


def _pin_change(world: World, _role: Role) -> Call:
    card = _card(world, world.actors[Role.MEMBER])
    body = {"current_pin": PIN, "new_pin": "13579"}
    return Call(f"{API}/cards/{card.id}/pin", {"json": body})


def _pin_reset(world: World, _role: Role) -> Call:
    card = _card(world, _funded_member(world))
    return Call(f"{API}/cards/{card.id}/reset-pin", {"json": {"pin": "13579"}})


def _charge(own_shop: bool) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        card = _card(world, _funded_member(world))
        shop = _world_shop(world) if own_shop else _other_shop(world)
        body = {"shop_account_id": shop.id, "card": card.number, "pin": PIN, "amount": 5}
        return Call(f"{API}/card-payments", {"json": body})

    return build


def _member_statement(world: World, _role: Role) -> Call:
    card = _card(world, _funded_member(world))
    return Call(f"{API}/members/statement", {"json": {"card": card.number, "pin": PIN}})


def _claim_for_member(world: World, _role: Role) -> Call:
    card = _card(world, _funded_member(world))
    body = {"card": card.number, "pin": PIN, "activity_id": world.earning.activity.id}
    return Call(f"{API}/claims/on-behalf", {"json": body})


def _attendance(world: World, _role: Role) -> Call:
    card = _card(world, _funded_member(world))
    body = {"cards": [card.number], "activity_id": world.earning.activity.id}
    return Call(f"{API}/claims/attendance", {"json": body})


def _refund(own_shop: bool) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        shop = _world_shop(world) if own_shop else _other_shop(world)
        payment = _payment(world, _funded_member(world), shop)
        body = {"amount": 2, "reason": "stale"}
        return Call(f"{API}/transactions/{payment.transaction_id}/refund", {"json": body})

    return build


def _receipt(own: bool) -> Callable[[World, Role], Call]:
    """The receipt of the world's member's payment at the world's shop, or of the stranger's
    payment at another shop."""

    def build(world: World, _role: Role) -> Call:
        if own:
            payment = _payment(world, world.actors[Role.MEMBER])
        else:
            payment = _payment(world, world.stranger, _other_shop(world))
        return Call(f"{API}/transactions/{payment.transaction_id}/receipt")

    return build


def _payments_of(parameter: str) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        _payment(world, world.actors[Role.MEMBER])
        account = world.own[Role.SHOPKEEPER if parameter == "shop_account_id" else Role.MEMBER]
        return Call(f"{API}/payments", {"params": {parameter: account.id}})

    return build


IBAN = "BE71096123456769"


def _with_payout(world: World, shop: AccountView) -> AccountView:
    write(
        world.ledger.db,
        world.admin.principal,
        lambda ctx: payouts.set_payout_details(ctx, shop.id, IBAN, "Shop"),
    )
    return shop


def _redemption(world: World, approved: bool = False) -> RedemptionView:
    """A fresh redemption of 3 by the world's shop, requested (or approved)."""
    shop = _with_payout(world, _world_shop(world))
    admin = world.admin.principal
    row = write(world.ledger.db, admin, lambda ctx: redemptions.request(ctx, shop.id, 3, ""))
    if approved:
        row = write(world.ledger.db, admin, lambda ctx: redemptions.approve(ctx, row.id))
    return row


def _set_payout(own_shop: bool) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        shop = _world_shop(world) if own_shop else _other_shop(world)
        body = {"iban": "NL91 ABNA 0417 1643 00", "payout_name": "The shop"}
        return Call(f"{API}/accounts/{shop.id}/payout", {"json": body})

    return build


def _set_redeemable(world: World, _role: Role) -> Call:
    partner = world.ledger.account(AccountKind.PARTNER, world.ledger.user(Role.SHOPKEEPER))
    return Call(f"{API}/accounts/{partner.id}/redeemable", {"json": {"redeemable": True}})


def _request_redemption(own_shop: bool) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        shop = _world_shop(world) if own_shop else _other_shop(world)
        if not own_shop:
            world.ledger.transfer(world.budget.id, shop.id, 10)
        _with_payout(world, shop)
        return Call(f"{API}/redemptions", {"json": {"account_id": shop.id, "amount": 2}})

    return build


def _redemption_path(suffix: str, approved: bool = False) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        row = _redemption(world, approved)
        body = {"payout_reference": "SEPA 1"} if suffix == "/pay" else None
        return Call(f"{API}/redemptions/{row.id}{suffix}", {} if body is None else {"json": body})

    return build


def _settlement_of_one(world: World) -> SettlementView:
    _redemption(world, approved=True)
    return write(world.ledger.db, world.admin.principal, lambda ctx: settlements.create(ctx, "TRK"))


def _settle(world: World, _role: Role) -> Call:
    _redemption(world, approved=True)
    return Call(f"{API}/settlements", {"json": {"currency": "TRK"}})


def _settlement_path(suffix: str) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        settlement = _settlement_of_one(world)
        body = {"json": {"payout_reference": "SEPA 1"}} if suffix == "/pay" else {}
        return Call(f"{API}/settlements/{settlement.id}{suffix}", body)

    return build


def _no_payout_account(response: HttpResponse) -> None:
    # The matrix's installation has no payout account configured, so the bank file is refused
    # after the role check; the file itself is tested in test_settlement_flow.
    assert response.json()["code"] == "payout_account_not_configured"


def _has_items(response: HttpResponse) -> None:
    assert response.json()["items"], response.json()


def _receipt_shows_own_side(response: HttpResponse) -> None:
    body = response.json()
    assert body["kind"] == "payment", body
    assert body["amount"] == 5, body
    assert body["payer"]["balance_after"] is not None or body["shop"]["balance_after"] is not None


SPENDING_CASES = [
    Case(
        "create payment request",
        "POST",
        "/api/v1/payment-requests",
        _create_request(own_shop=True),
        SHOP_ONLY,
        201,
        ROLE,
        writes=True,
    ),
    Case(
        "create a request at another's shop",
        "POST",
        "/api/v1/payment-requests",
        _create_request(own_shop=False),
        ADMIN,
        201,
        DENIED,
        writes=True,
        denied_for=KEEPER_NOT_OWNER,
    ),
    Case(
        "list own shops' payment requests",
        "GET",
        "/api/v1/payment-requests",
        _fixed(f"{API}/payment-requests"),
        SHOP_READERS,
        200,
        ROLE,
    ),
    Case(
        "list a shop's payment requests",
        "GET",
        "/api/v1/payment-requests",
        _list_requests(own_shop=True),
        SHOP_READERS,
        200,
        NOT_OWNER,
        expect=_has_items,
    ),
    Case(
        "list another shop's payment requests",
        "GET",
        "/api/v1/payment-requests",
        _list_requests(own_shop=False),
        READERS,
        200,
        NOT_OWNER,
        expect=_has_items,
    ),
    Case(
        "open payment request",
        "GET",
        "/api/v1/payment-requests/{code}",
        _request_path(""),
        ALL,
    ),
    Case(
        "payment request QR as SVG",
        "GET",
        "/api/v1/payment-requests/{code}/qr.{image_format}",
        _request_path("/qr.svg"),
        SHOP_READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "payment request QR as PNG",
        "GET",
        "/api/v1/payment-requests/{code}/qr.{image_format}",
        _request_path("/qr.png"),
        SHOP_READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "QR of another shop's payment request",
        "GET",
        "/api/v1/payment-requests/{code}/qr.{image_format}",
        _request_path("/qr.svg", own_shop=False),
        READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "pay a payment request",
        "POST",
        "/api/v1/payment-requests/{code}/pay",
        _pay(own_account=True),
        PAYERS,
        201,
        ROLE,
        writes=True,
    ),
    Case(
        "pay a payment request from a stranger's account",
        "POST",
        "/api/v1/payment-requests/{code}/pay",
        _pay(own_account=False),
        frozenset(),
        201,
        DENIED,
        writes=True,
        denied_for=PAYER_NOT_OWNER,
    ),
    Case(
        "cancel payment request",
        "POST",
        "/api/v1/payment-requests/{code}/cancel",
        _request_path("/cancel"),
        SHOP_ONLY,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "cancel another shop's payment request",
        "POST",
        "/api/v1/payment-requests/{code}/cancel",
        _request_path("/cancel", own_shop=False),
        ADMIN,
        200,
        DENIED,
        writes=True,
        denied_for=KEEPER_NOT_OWNER,
    ),
    Case("issue card", "POST", "/api/v1/cards", _issue_card, ADMIN, 201, ROLE, writes=True),
    Case("list own cards", "GET", "/api/v1/cards", _fixed(f"{API}/cards"), ALL),
    Case(
        "list a member's cards",
        "GET",
        "/api/v1/cards",
        lambda world, _role: Call(
            f"{API}/cards", {"params": {"member_id": world.actors[Role.MEMBER].id}}
        ),
        MEMBER_READERS,
        200,
        ROLE,
    ),
    Case("read card", "GET", "/api/v1/cards/{card_id}", _card_path(""), MEMBER_READERS, 200, ROLE),
    Case(
        "read another member's card",
        "GET",
        "/api/v1/cards/{card_id}",
        _card_path("", whose="stranger"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "print card",
        "GET",
        "/api/v1/cards/{card_id}/print",
        _card_path("/print"),
        MEMBER_READERS,
        200,
        ROLE,
    ),
    Case(
        "card QR as SVG",
        "GET",
        "/api/v1/cards/{card_id}/qr.{image_format}",
        _card_path("/qr.svg"),
        MEMBER_READERS,
        200,
        ROLE,
    ),
    Case(
        "card QR as PNG",
        "GET",
        "/api/v1/cards/{card_id}/qr.{image_format}",
        _card_path("/qr.png"),
        MEMBER_READERS,
        200,
        ROLE,
    ),
    Case(
        "block card",
        "POST",
        "/api/v1/cards/{card_id}/block",
        _card_path("/block"),
        CARD_BLOCKERS,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "block another member's card",
        "POST",
        "/api/v1/cards/{card_id}/block",
        _card_path("/block", whose="stranger"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "unlock card",
        "POST",
        "/api/v1/cards/{card_id}/unlock",
        _card_path("/unlock", whose="locked"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "replace card",
        "POST",
        "/api/v1/cards/{card_id}/replace",
        _replace_card,
        ADMIN,
        201,
        ROLE,
        writes=True,
    ),
    Case(
        "reset a card's PIN",
        "POST",
        "/api/v1/cards/{card_id}/reset-pin",
        _pin_reset,
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "change one's card's PIN",
        "POST",
        "/api/v1/cards/{card_id}/pin",
        _pin_change,
        MEMBERS,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "charge a card",
        "POST",
        "/api/v1/card-payments",
        _charge(own_shop=True),
        SHOP_ONLY,
        201,
        ROLE,
        writes=True,
    ),
    Case(
        "charge a card at another's shop",
        "POST",
        "/api/v1/card-payments",
        _charge(own_shop=False),
        ADMIN,
        201,
        DENIED,
        writes=True,
        denied_for=KEEPER_NOT_OWNER,
    ),
    Case(
        "show a member's statement with their card and PIN",
        "POST",
        "/api/v1/members/statement",
        _member_statement,
        SHOP_ONLY,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "record a claim for a member with their card and PIN",
        "POST",
        "/api/v1/claims/on-behalf",
        _claim_for_member,
        PROJECT_WRITERS,
        201,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "record an attendance list",
        "POST",
        "/api/v1/claims/attendance",
        _attendance,
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case("list own payments", "GET", "/api/v1/payments", _fixed(f"{API}/payments"), ALL),
    Case(
        "list a shop's payments",
        "GET",
        "/api/v1/payments",
        _payments_of("shop_account_id"),
        SHOP_READERS,
        200,
        NOT_OWNER,
        expect=_has_items,
    ),
    Case(
        "list a member account's payments",
        "GET",
        "/api/v1/payments",
        _payments_of("payer_account_id"),
        MEMBER_READERS,
        200,
        NOT_OWNER,
        expect=_has_items,
    ),
    Case(
        "refund a payment",
        "POST",
        "/api/v1/transactions/{transaction_id}/refund",
        _refund(own_shop=True),
        SHOP_ONLY,
        201,
        ROLE,
        writes=True,
    ),
    Case(
        "refund another shop's payment",
        "POST",
        "/api/v1/transactions/{transaction_id}/refund",
        _refund(own_shop=False),
        ADMIN,
        201,
        DENIED,
        writes=True,
        denied_for=KEEPER_NOT_OWNER,
    ),
    Case(
        "read a receipt",
        "GET",
        "/api/v1/transactions/{transaction_id}/receipt",
        _receipt(own=True),
        RECEIPT_READERS,
        200,
        NOT_OWNER,
        expect=_receipt_shows_own_side,
    ),
    Case(
        "read a stranger's receipt",
        "GET",
        "/api/v1/transactions/{transaction_id}/receipt",
        _receipt(own=False),
        READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "set spending limits",
        "PUT",
        "/api/v1/currencies/{code}/spending-limits",
        _fixed(
            f"{API}/currencies/TRK/spending-limits",
            json={"max_payment": 50, "daily_spend_limit": 200},
        ),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
]

REDEMPTION_CASES = [
    Case(
        "set payout details of own shop",
        "PUT",
        "/api/v1/accounts/{account_id}/payout",
        _set_payout(own_shop=True),
        SHOP_ONLY,
        200,
        writes=True,
    ),
    Case(
        "set payout details of another shop",
        "PUT",
        "/api/v1/accounts/{account_id}/payout",
        _set_payout(own_shop=False),
        ADMIN,
        200,
        writes=True,
        denied_for=KEEPER_NOT_OWNER,
    ),
    Case(
        "mark a partner redeemable",
        "PUT",
        "/api/v1/accounts/{account_id}/redeemable",
        _set_redeemable,
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "set the euro rate",
        "PUT",
        "/api/v1/currencies/{code}/euro-rate",
        _fixed(f"{API}/currencies/TRK/euro-rate", json={"rate": "0.11"}),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "rate history",
        "GET",
        "/api/v1/currencies/{code}/rates",
        _fixed(f"{API}/currencies/TRK/rates"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "request a redemption for own shop",
        "POST",
        "/api/v1/redemptions",
        _request_redemption(own_shop=True),
        SHOP_ONLY,
        201,
        writes=True,
    ),
    Case(
        "request a redemption for another shop",
        "POST",
        "/api/v1/redemptions",
        _request_redemption(own_shop=False),
        ADMIN,
        201,
        writes=True,
        denied_for=KEEPER_NOT_OWNER,
    ),
    Case("list redemptions", "GET", "/api/v1/redemptions", _fixed(f"{API}/redemptions"), ALL),
    Case(
        "read a redemption",
        "GET",
        "/api/v1/redemptions/{redemption_id}",
        _redemption_path(""),
        SHOP_READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "approve a redemption",
        "POST",
        "/api/v1/redemptions/{redemption_id}/approve",
        _redemption_path("/approve"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "pay a redemption",
        "POST",
        "/api/v1/redemptions/{redemption_id}/pay",
        _redemption_path("/pay", approved=True),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "reject a redemption",
        "POST",
        "/api/v1/redemptions/{redemption_id}/reject",
        _redemption_path("/reject"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case("settle", "POST", "/api/v1/settlements", _settle, ADMIN, 201, ROLE, writes=True),
    Case(
        "list settlements",
        "GET",
        "/api/v1/settlements",
        _fixed(f"{API}/settlements"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "read a settlement",
        "GET",
        "/api/v1/settlements/{settlement_id}",
        _settlement_path(""),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "settlement as CSV",
        "GET",
        "/api/v1/settlements/{settlement_id}/export.csv",
        _settlement_path("/export.csv"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "settlement as a bank file",
        "GET",
        "/api/v1/settlements/{settlement_id}/pain.001.xml",
        _settlement_path("/pain.001.xml"),
        READERS,
        409,
        ROLE,
        expect=_no_payout_account,
    ),
    Case(
        "pay a settlement",
        "POST",
        "/api/v1/settlements/{settlement_id}/pay",
        _settlement_path("/pay"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
]

# --- reports ------------------------------------------------------------------------------------

NOT_PROJECT_COORDINATOR = ("not_project_coordinator",)


def _report(path: str, **params: Any) -> Callable[[World, Role], Call]:
    return _fixed(f"{API}/reports/{path}", params=params)


def _project_report(world: World, _role: Role) -> Call:
    params = {"project_id": world.earning.project.id}
    return Call(f"{API}/reports/projects", {"params": params})


def _shop_report(own_shop: bool) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        shop = _world_shop(world) if own_shop else _other_shop(world)
        return Call(f"{API}/reports/shops", {"params": {"account_id": shop.id}})

    return build


def _statement(own: bool, **params: Any) -> Callable[[World, Role], Call]:
    def build(world: World, role: Role) -> Call:
        account = world.own[role] if own else world.stranger_account
        return Call(f"{API}/accounts/{account.id}/statement", {"params": params})

    return build


def _one_report(response: HttpResponse) -> None:
    assert len(response.json()) == 1, response.json()


def _csv(response: HttpResponse) -> None:
    assert response.headers["content-type"].startswith("text/csv"), response.headers


REPORT_CASES = [
    Case(
        "circulation",
        "GET",
        "/api/v1/reports/circulation",
        _report("circulation", currency="TRK"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "circulation as CSV",
        "GET",
        "/api/v1/reports/circulation",
        _report("circulation", currency="TRK", format="csv"),
        READERS,
        200,
        ROLE,
        expect=_csv,
    ),
    Case(
        "project reports",
        "GET",
        "/api/v1/reports/projects",
        _report("projects"),
        ALL,
    ),
    Case(
        "a project's report",
        "GET",
        "/api/v1/reports/projects",
        _project_report,
        PROJECT_READERS,
        200,
        NOT_PROJECT_COORDINATOR,
        scoped=True,
        expect=_one_report,
    ),
    Case(
        "shop reports",
        "GET",
        "/api/v1/reports/shops",
        _report("shops"),
        ALL,
    ),
    Case(
        "own shop's report",
        "GET",
        "/api/v1/reports/shops",
        _shop_report(own_shop=True),
        SHOP_READERS,
        200,
        NOT_OWNER,
        expect=_one_report,
    ),
    Case(
        "another shop's report",
        "GET",
        "/api/v1/reports/shops",
        _shop_report(own_shop=False),
        READERS,
        200,
        NOT_OWNER,
        expect=_one_report,
    ),
    Case(
        "own account's statement",
        "GET",
        "/api/v1/accounts/{account_id}/statement",
        _statement(own=True),
        ALL,
    ),
    Case(
        "a stranger's account statement",
        "GET",
        "/api/v1/accounts/{account_id}/statement",
        _statement(own=False),
        READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "a stranger's account statement as CSV",
        "GET",
        "/api/v1/accounts/{account_id}/statement",
        _statement(own=False, format="csv"),
        READERS,
        200,
        NOT_OWNER,
        expect=_csv,
    ),
]


def _filed_request(world: World) -> ApprovalView:
    """An issuance filed for approval by an administrator other than any role's actor."""
    requester = world.ledger.user(Role.ADMIN)
    command = IssuanceCommand(world.budget.id, 10)
    filed = write(
        world.ledger.db,
        requester.principal,
        lambda ctx: four_eyes.issue(ctx, command, Decimal(0)),
    )
    assert isinstance(filed, ApprovalView)
    return filed


def _approval_path(suffix: str) -> Callable[[World, Role], Call]:
    def build(world: World, _role: Role) -> Call:
        return Call(f"{API}/approvals/{_filed_request(world).id}{suffix}")

    return build


def _signed_checkpoint(world: World, _role: Role) -> Call:
    signed = checkpoints.make(verification.verify(world.ledger.db), world.ledger.settings)
    body = {
        "checkpoint": signed.checkpoint,
        "signature": signed.signature,
        "public_key": signed.public_key,
        "key_id": signed.key_id,
    }
    return Call(f"{API}/audit/checkpoints/check", {"json": body})


def _checkpoint_holds(response: HttpResponse) -> None:
    assert response.json()["ok"] is True, response.text


def _signed(response: HttpResponse) -> None:
    assert response.json()["checkpoint"]["signature"], response.text


AUDIT_CASES = [
    Case(
        "verify with a signed checkpoint",
        "GET",
        "/api/v1/audit/verify",
        _fixed(f"{API}/audit/verify", params={"checkpoint": "true"}),
        READERS,
        200,
        ROLE,
        expect=_signed,
    ),
    Case(
        "the checkpoint key",
        "GET",
        "/api/v1/audit/checkpoint-key",
        _fixed(f"{API}/audit/checkpoint-key"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "check a checkpoint",
        "POST",
        "/api/v1/audit/checkpoints/check",
        _signed_checkpoint,
        READERS,
        200,
        ROLE,
        expect=_checkpoint_holds,
    ),
    Case(
        "list approval requests",
        "GET",
        "/api/v1/approvals",
        _fixed(f"{API}/approvals"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "read an approval request",
        "GET",
        "/api/v1/approvals/{request_id}",
        _approval_path(""),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "approve another admin's request",
        "POST",
        "/api/v1/approvals/{request_id}/approve",
        _approval_path("/approve"),
        ADMIN,
        201,
        ROLE,
        writes=True,
    ),
    Case(
        "reject a request",
        "POST",
        "/api/v1/approvals/{request_id}/reject",
        _approval_path("/reject"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
]

CASES = [
    Case("sign in", "POST", "/api/v1/auth/token", _sign_in, ALL, public=True),
    Case("sign out", "POST", "/api/v1/auth/revoke", _fixed(f"{API}/auth/revoke"), ALL, 204),
    Case("create user", "POST", "/api/v1/users", _new_user, ADMIN, 201, ROLE, writes=True),
    Case("list users", "GET", "/api/v1/users", _fixed(f"{API}/users"), READERS, 200, ROLE),
    Case("who am I", "GET", "/api/v1/users/me", _fixed(f"{API}/users/me"), ALL),
    Case(
        "revoke a user's tokens",
        "POST",
        "/api/v1/users/{user_id}/revoke-tokens",
        lambda world, _role: Call(f"{API}/users/{world.stranger.id}/revoke-tokens"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "read a user",
        "GET",
        "/api/v1/users/{user_id}",
        lambda world, _role: Call(f"{API}/users/{world.stranger.id}"),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "deactivate a user",
        "POST",
        "/api/v1/users/{user_id}/deactivate",
        _fresh_user("/deactivate"),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "reactivate a user",
        "POST",
        "/api/v1/users/{user_id}/reactivate",
        _fresh_user("/reactivate", deactivated=True),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "set a user's password",
        "POST",
        "/api/v1/users/{user_id}/password",
        _fresh_user("/password", json={"password": "set-by-the-desk"}),
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "change one's own password",
        "POST",
        "/api/v1/me/password",
        _own_password_change,
        ALL,
        200,
        writes=True,
    ),
    Case(
        "create currency",
        "POST",
        "/api/v1/currencies",
        _fixed(
            f"{API}/currencies",
            json={"code": "NEW", "name": "New", "decimals": 0, "euro_rate": "0.10"},
        ),
        ADMIN,
        201,
        ROLE,
        writes=True,
    ),
    Case("list currencies", "GET", "/api/v1/currencies", _fixed(f"{API}/currencies"), ALL),
    Case("open account", "POST", "/api/v1/accounts", _new_account, ADMIN, 201, ROLE, writes=True),
    Case("list own accounts", "GET", "/api/v1/accounts", _fixed(f"{API}/accounts"), ALL),
    Case(
        "list a stranger's accounts",
        "GET",
        "/api/v1/accounts",
        lambda world, _role: Call(f"{API}/accounts", {"params": {"owner_id": world.stranger.id}}),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "read own account",
        "GET",
        "/api/v1/accounts/{account_id}",
        _account_path("", own=True),
        ALL,
    ),
    Case(
        "read a stranger's account",
        "GET",
        "/api/v1/accounts/{account_id}",
        _account_path("", own=False),
        READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "read own statement",
        "GET",
        "/api/v1/accounts/{account_id}/entries",
        _account_path("/entries", own=True),
        ALL,
    ),
    Case(
        "read a stranger's statement",
        "GET",
        "/api/v1/accounts/{account_id}/entries",
        _account_path("/entries", own=False),
        READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "read own balance",
        "GET",
        "/api/v1/accounts/{account_id}/balance",
        _account_path("/balance", own=True),
        ALL,
    ),
    Case(
        "read a stranger's balance",
        "GET",
        "/api/v1/accounts/{account_id}/balance",
        _account_path("/balance", own=False),
        READERS,
        200,
        NOT_OWNER,
    ),
    Case(
        "freeze own account",
        "POST",
        "/api/v1/accounts/{account_id}/freeze",
        _freeze,
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "unfreeze own account",
        "POST",
        "/api/v1/accounts/{account_id}/unfreeze",
        _unfreeze,
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "close own account",
        "POST",
        "/api/v1/accounts/{account_id}/close",
        _close,
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case("issue", "POST", "/api/v1/issuances", _issue, ADMIN, 201, ROLE, writes=True),
    Case(
        "transfer out of own account",
        "POST",
        "/api/v1/transfers",
        _transfer(own=True),
        MOVERS,
        201,
        DENIED,
        writes=True,
    ),
    Case(
        "transfer out of a stranger's account",
        "POST",
        "/api/v1/transfers",
        _transfer(own=False),
        ADMIN,
        201,
        NOT_OWNER,
        writes=True,
    ),
    Case("general entry", "POST", "/api/v1/transactions", _entry, ADMIN, 201, ROLE, writes=True),
    Case(
        "transaction feed",
        "GET",
        "/api/v1/transactions",
        _fixed(f"{API}/transactions", params={"currency": "TRK"}),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "read a transaction on own account",
        "GET",
        "/api/v1/transactions/{transaction_id}",
        _transaction(own=True),
        ALL,
    ),
    Case(
        "read a stranger's transaction",
        "GET",
        "/api/v1/transactions/{transaction_id}",
        _transaction(own=False),
        READERS,
    ),
    Case(
        "reverse a transaction",
        "POST",
        "/api/v1/transactions/{transaction_id}/reverse",
        _reverse,
        ADMIN,
        201,
        ROLE,
        writes=True,
    ),
    Case(
        "verify", "GET", "/api/v1/audit/verify", _fixed(f"{API}/audit/verify"), READERS, 200, ROLE
    ),
    Case(
        "audit trail",
        "GET",
        "/api/v1/audit/events",
        _fixed(f"{API}/audit/events", params={"subject_type": "user"}),
        READERS,
        200,
        ROLE,
    ),
    Case(
        "trial balance",
        "GET",
        "/api/v1/audit/trial-balance",
        _fixed(f"{API}/audit/trial-balance", params={"currency": "TRK"}),
        READERS,
        200,
        ROLE,
    ),
    Case("create project", "POST", "/api/v1/projects", _new_project, ADMIN, 201, ROLE, writes=True),
    Case("list projects", "GET", "/api/v1/projects", _fixed(f"{API}/projects"), ALL),
    Case(
        "read project",
        "GET",
        "/api/v1/projects/{project_id}",
        _project(),
        PROJECT_READERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "add coordinator",
        "POST",
        "/api/v1/projects/{project_id}/coordinators",
        _add_coordinator,
        ADMIN,
        200,
        ROLE,
        writes=True,
    ),
    Case(
        "create activity",
        "POST",
        "/api/v1/projects/{project_id}/activities",
        _new_activity,
        PROJECT_WRITERS,
        201,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "list activities",
        "GET",
        "/api/v1/projects/{project_id}/activities",
        _project("/activities"),
        PROJECT_READERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "read activity",
        "GET",
        "/api/v1/activities/{activity_id}",
        _activity(),
        PROJECT_READERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "activity summary",
        "GET",
        "/api/v1/activities/{activity_id}/summary",
        _activity("/summary"),
        PROJECT_READERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "pause activity",
        "POST",
        "/api/v1/activities/{activity_id}/pause",
        _status_change("pause", None),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "resume activity",
        "POST",
        "/api/v1/activities/{activity_id}/resume",
        _status_change("resume", "pause"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "close activity",
        "POST",
        "/api/v1/activities/{activity_id}/close",
        _status_change("close", None),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "create code batch",
        "POST",
        "/api/v1/activities/{activity_id}/code-batches",
        _new_batch,
        PROJECT_WRITERS,
        201,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "read code batch",
        "GET",
        "/api/v1/code-batches/{batch_id}",
        _batch(),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "code sheet",
        "GET",
        "/api/v1/code-batches/{batch_id}/sheet",
        _batch("/sheet"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "QR as SVG",
        "GET",
        "/api/v1/claim-codes/{code_id}/qr.{image_format}",
        _code("/qr.svg"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "QR as PNG",
        "GET",
        "/api/v1/claim-codes/{code_id}/qr.{image_format}",
        _code("/qr.png"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        scoped=True,
    ),
    Case(
        "revoke code",
        "POST",
        "/api/v1/claim-codes/{code_id}/revoke",
        _code("/revoke"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case("claim", "POST", "/api/v1/claims", _claim, MEMBERS, 201, ROLE, writes=True),
    Case("list own claims", "GET", "/api/v1/claims", _fixed(f"{API}/claims"), ALL),
    Case(
        "list a project's claims",
        "GET",
        "/api/v1/claims",
        lambda world, _role: Call(
            f"{API}/claims", {"params": {"project_id": world.earning.project.id}}
        ),
        ALL,
        scoped=True,
    ),
    Case(
        "list another member's claims",
        "GET",
        "/api/v1/claims",
        lambda world, _role: Call(f"{API}/claims", {"params": {"member_id": world.stranger.id}}),
        PROJECT_READERS,
        200,
        ROLE,
    ),
    Case(
        "approve claim",
        "POST",
        "/api/v1/claims/{claim_id}/approve",
        _decide("approve"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "reject claim",
        "POST",
        "/api/v1/claims/{claim_id}/reject",
        _decide("reject"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
    ),
    Case(
        "approve claims in bulk",
        "POST",
        "/api/v1/claims/approve",
        _decide_many("approve"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
        expect=_all_resolved("paid"),
    ),
    Case(
        "reject claims in bulk",
        "POST",
        "/api/v1/claims/reject",
        _decide_many("reject"),
        PROJECT_WRITERS,
        200,
        NOT_COORDINATOR,
        writes=True,
        scoped=True,
        expect=_all_resolved("rejected"),
    ),
    *SPENDING_CASES,
    *REDEMPTION_CASES,
    *REPORT_CASES,
    *AUDIT_CASES,
]

PRIVATE_CASES = [case for case in CASES if not case.public]
SCOPED_CASES = [case for case in CASES if case.scoped]
BULK_ROUTES = {"/api/v1/claims/approve", "/api/v1/claims/reject"}


CURRENCY_CODE = r"[A-Z][A-Z0-9]{1,11}"
REQUEST_CODE = r"[A-Za-z0-9_-]{27}"  # derived, 27 base64url characters
IMAGE_FORMAT = r"(?:svg|png)"


def _param_pattern(route: str, name: str) -> str:
    """What a path parameter may look like in a call: ids are numbers; a ``code`` is a currency's
    or a payment request's; an image format is svg or png."""
    if name == "image_format":
        return IMAGE_FORMAT
    if name == "code":
        return CURRENCY_CODE if route.startswith(f"{API}/currencies/") else REQUEST_CODE
    return r"[0-9]+"


def _route_pattern(route: str) -> re.Pattern[str]:
    def param(match: re.Match[str]) -> str:
        return _param_pattern(route, match.group(1))

    return re.compile("^" + re.sub(r"\\\{([a-z_]+)\\\}", param, re.escape(route)) + "$")


def test_route_patterns_tell_parameters_apart() -> None:
    code = "A" * 26 + "_"
    request = _route_pattern("/api/v1/payment-requests/{code}")
    assert request.match(f"{API}/payment-requests/{code}")
    assert not request.match(f"{API}/payment-requests/{code}/pay")
    assert not request.match(f"{API}/payment-requests/short")
    image = _route_pattern("/api/v1/payment-requests/{code}/qr.{image_format}")
    assert image.match(f"{API}/payment-requests/{code}/qr.png")
    assert not image.match(f"{API}/payment-requests/{code}/qr.gif")
    assert not image.match(f"{API}/payment-requests/{code}/qrXsvg")
    limits = _route_pattern("/api/v1/currencies/{code}/spending-limits")
    assert limits.match(f"{API}/currencies/TRK/spending-limits")
    assert not limits.match(f"{API}/currencies/{code}/spending-limits")
    card = _route_pattern("/api/v1/cards/{card_id}/qr.{image_format}")
    assert card.match(f"{API}/cards/12/qr.svg")
    assert not card.match(f"{API}/cards/twelve/qr.svg")


def test_every_route_is_covered(client: TestClient) -> None:
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    covered = {(case.method, case.route) for case in CASES} | PUBLIC_ROUTES
    assert routes - covered == set(), "routes without an authorization test"
    assert covered - routes == set(), "authorization tests of routes that no longer exist"


def _outcome(client: TestClient, world: World, case: Case, role: Role) -> str | None:
    """Call the route as ``role``; return what went wrong, or ``None``."""
    call = case.build(world, role)
    if not _route_pattern(case.route).match(call.path):
        return f"{call.path} does not match {case.route}"
    headers = {} if case.public else world.headers(role)
    allowed = role in case.allowed
    before = _state(client, world) if case.writes and not allowed else None
    response = client.request(case.method, call.path, headers=headers, **call.kwargs)
    if allowed:
        if response.status_code != case.success:
            return f"expected {case.success}, got {response.status_code}: {response.text}"
        if case.expect is not None:
            try:
                case.expect(response)
            except AssertionError as error:
                return f"unexpected response: {error}"
        return None
    denied_codes = case.denied_for.get(role, case.denied_codes)
    try:
        assert_problem(response, 403, *denied_codes)
    except AssertionError:
        return f"expected 403 {denied_codes}, got {response.status_code}: {response.text}"
    if before is not None and _state(client, world) != before:
        return "a refused write changed the ledger or the earning state"
    return None


def _state(client: TestClient, world: World) -> tuple[object, object, object]:
    headers = world.admin.headers
    return (
        snapshot(client, headers),
        earning_snapshot(client, headers, [world.earning.batch.id]),
        _spending_state(client, headers),
    )


def _spending_state(client: TestClient, headers: dict[str, str]) -> tuple[str, ...]:
    """Every payment request, card, payment and redemption, and the currencies with their limits
    and rates, as an administrator reads them."""
    state = []
    paths = ("/payment-requests", "/cards", "/payments", "/currencies", "/redemptions")
    for path in (*paths, "/settlements"):
        response = client.get(f"{API}{path}", headers=headers, params={"limit": 500})
        assert response.status_code == 200, response.text
        state.append(json.dumps(response.json(), sort_keys=True))
    rates = client.get(f"{API}/currencies/TRK/rates", headers=headers)
    assert rates.status_code == 200, rates.text
    state.append(json.dumps(rates.json(), sort_keys=True))
    return tuple(state)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_call(client: TestClient, world: World, case: Case) -> None:
    """Each role in turn, refused ones first, so a permitted write cannot mask a refusal."""
    roles = sorted(Role, key=lambda role: role in case.allowed)
    failures = {role.value: _outcome(client, world, case, role) for role in roles}
    assert {role: failure for role, failure in failures.items() if failure} == {}


@pytest.mark.parametrize("case", PRIVATE_CASES, ids=str)
def test_without_a_valid_token(client: TestClient, world: World, case: Case) -> None:
    call = case.build(world, Role.ADMIN)
    member = world.ledger.user(Role.MEMBER)
    assert client.post(f"{API}/auth/revoke", headers=member.headers).status_code == 204
    before = snapshot(client, world.admin.headers) if case.writes else None

    attempts: list[tuple[dict[str, str], str]] = [
        ({}, "not_authenticated"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "not_authenticated"),
        ({"Authorization": "Bearer "}, "not_authenticated"),
        ({"Authorization": "Bearer trk_not-a-real-token"}, "invalid_token"),
        ({"Authorization": "Bearer " + "x" * 5000}, "invalid_token"),
        (member.headers, "invalid_token"),
    ]
    for headers, code in attempts:
        response = client.request(case.method, call.path, headers=headers, **call.kwargs)
        assert_problem(response, 401, code)
        assert response.headers["www-authenticate"] == "Bearer"
    if case.writes:
        assert snapshot(client, world.admin.headers) == before


@pytest.mark.parametrize("case", SCOPED_CASES, ids=str)
def test_another_projects_coordinator_is_refused(
    client: TestClient, world: World, case: Case
) -> None:
    """A coordinator who does not coordinate the world's project can do nothing in it. A bulk
    decision may mix projects, so there each claim may instead be refused on its own."""
    call = case.build(world, Role.COORDINATOR)
    before = _state(client, world)
    response = client.request(case.method, call.path, headers=world.outsider.headers, **call.kwargs)
    if case.route in BULK_ROUTES and response.status_code == 200:
        outcomes = response.json()
        assert len(outcomes) == len(call.kwargs["json"]["claim_ids"]), outcomes
        assert all(
            not o["ok"] and o["error_code"] == "not_project_coordinator" for o in outcomes
        ), outcomes
    else:
        assert_problem(response, 403, "not_project_coordinator")
    assert _state(client, world) == before


def test_another_projects_coordinator_sees_nothing_of_it(client: TestClient, world: World) -> None:
    outsider = world.outsider.headers
    assert client.get(f"{API}/projects", headers=outsider).json() == []
    assert client.get(f"{API}/claims", headers=outsider).json()["items"] == []
    own = client.get(f"{API}/projects", headers=world.headers(Role.COORDINATOR)).json()
    assert [project["id"] for project in own] == [world.earning.project.id]


def test_reports_list_only_what_each_role_may_read(client: TestClient, world: World) -> None:
    """Without ``project_id`` or ``account_id`` nobody is refused: each sees their own share."""
    other_keeper = world.ledger.user(Role.SHOPKEEPER)
    other_shop = world.ledger.account(AccountKind.SHOP, other_keeper)
    partner = world.ledger.account(AccountKind.PARTNER, world.actors[Role.SHOPKEEPER])
    other_project = _new_project_of(world, world.outsider)
    everything = {world.earning.project.id, other_project}
    every_shop = {_world_shop(world).id, other_shop.id, partner.id}
    expected_projects = {
        Role.ADMIN: everything,
        Role.AUDITOR: everything,
        Role.COORDINATOR: {world.earning.project.id},
        Role.SHOPKEEPER: set(),
        Role.MEMBER: set(),
    }
    expected_shops = {
        Role.ADMIN: every_shop,
        Role.AUDITOR: every_shop,
        Role.COORDINATOR: set(),
        Role.SHOPKEEPER: {_world_shop(world).id, partner.id},
        Role.MEMBER: set(),
    }
    seen_projects: dict[Role, set[int]] = {}
    seen_shops: dict[Role, set[int]] = {}
    for role in Role:
        projects = client.get(f"{API}/reports/projects", headers=world.headers(role))
        assert projects.status_code == 200, projects.text
        seen_projects[role] = {report["project_id"] for report in projects.json()}
        shops = client.get(f"{API}/reports/shops", headers=world.headers(role))
        assert shops.status_code == 200, shops.text
        seen_shops[role] = {report["account_id"] for report in shops.json()}
    assert seen_projects == expected_projects
    assert seen_shops == expected_shops
    outsider = client.get(f"{API}/reports/projects", headers=world.outsider.headers)
    assert [report["project_id"] for report in outsider.json()] == [other_project]
    keeper = client.get(f"{API}/reports/shops", headers=other_keeper.headers)
    assert [report["account_id"] for report in keeper.json()] == [other_shop.id]


def test_a_coordinator_naming_another_project_is_refused(client: TestClient, world: World) -> None:
    other_project = _new_project_of(world, world.outsider)
    refused = client.get(
        f"{API}/reports/projects",
        params={"project_id": other_project},
        headers=world.headers(Role.COORDINATOR),
    )
    assert_problem(refused, 403, "not_project_coordinator")
    csv = client.get(
        f"{API}/reports/projects",
        params={"project_id": other_project, "format": "csv"},
        headers=world.headers(Role.COORDINATOR),
    )
    assert_problem(csv, 403, "not_project_coordinator")
    # A project that does not exist is refused the same way, so ids reveal nothing.
    missing = client.get(
        f"{API}/reports/projects",
        params={"project_id": 999_999},
        headers=world.headers(Role.COORDINATOR),
    )
    assert_problem(missing, 403, "not_project_coordinator")


def _new_project_of(world: World, coordinator: Actor) -> int:
    command = ProjectCommand("Street cleaning", "TRK", [coordinator.id])
    project = write(
        world.ledger.db, world.admin.principal, lambda ctx: projects.create_project(ctx, command)
    )
    return project.id


def test_members_see_only_their_own_claims(client: TestClient, world: World) -> None:
    theirs = world.earning.pending
    stranger_code = world.new_code().code
    stranger_claim = client.post(
        f"{API}/claims", json={"code": stranger_code}, headers=world.stranger.headers
    )
    assert stranger_claim.status_code == 201, stranger_claim.text
    mine = client.get(f"{API}/claims", headers=world.headers(Role.MEMBER)).json()["items"]
    assert [claim["id"] for claim in mine] == [theirs.id]
    own_filter = client.get(
        f"{API}/claims",
        params={"member_id": world.actors[Role.MEMBER].id},
        headers=world.headers(Role.MEMBER),
    ).json()["items"]
    assert own_filter == mine
    everyone = client.get(f"{API}/claims", headers=world.headers(Role.COORDINATOR)).json()
    assert {claim["id"] for claim in everyone["items"]} == {theirs.id, stranger_claim.json()["id"]}
    shop = client.get(f"{API}/claims", headers=world.headers(Role.SHOPKEEPER)).json()
    assert shop["items"] == []


def test_sign_in_needs_no_token_but_credentials(client: TestClient, world: World) -> None:
    username = world.actors[Role.MEMBER].principal.username
    response = client.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    # As OAuth 2.0 token responses say it: the default lifetime of 30 days, in seconds.
    assert response.json()["expires_in"] == 30 * 24 * 3600
    me = client.get(
        f"{API}/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["username"] == username
    assert_problem(
        client.post(f"{API}/auth/token", data={"username": username, "password": "wrong-one"}),
        401,
        "invalid_credentials",
    )


def test_account_list_shows_only_own_accounts(client: TestClient, world: World) -> None:
    for role in (Role.COORDINATOR, Role.SHOPKEEPER, Role.MEMBER):
        actor = world.actors[role]
        page = client.get(f"{API}/accounts", headers=actor.headers).json()
        assert [item["id"] for item in page["items"]] == [world.own[role].id]
        mine = client.get(
            f"{API}/accounts", headers=actor.headers, params={"owner_id": actor.id}
        ).json()
        assert mine["items"] == page["items"]
    everyone = client.get(f"{API}/accounts", headers=world.headers(Role.AUDITOR)).json()
    ids = {item["id"] for item in everyone["items"]}
    assert {account.id for account in world.own.values()} <= ids
    assert world.stranger_account.id in ids


def test_revoking_a_users_tokens_locks_them_out(client: TestClient, world: World) -> None:
    member = world.actors[Role.MEMBER]
    assert client.get(f"{API}/users/me", headers=member.headers).status_code == 200
    response = client.post(f"{API}/users/{member.id}/revoke-tokens", headers=world.admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"revoked": 1}
    assert_problem(client.get(f"{API}/users/me", headers=member.headers), 401, "invalid_token")
