"""Payment requests: a shop asks for money with a QR; a member opens it, sees whom and how much,
and pays it once; the shop watches it turn ``paid``.

A one-off request is locked before it is paid, so of several phones paying it at the same moment
exactly one is charged and the others are told it is already paid. Watching is a long poll: the
request is read every ``POLL_INTERVAL`` seconds until it leaves ``open`` or the wait ends, so it
works the same with one or many server processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import anyio
from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.rows import referenced
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.spending import (
    DEFAULT_REQUEST_LIFETIME,
    PaymentChannel,
    RequestKind,
    RequestState,
    RequestStatus,
    amount_to_pay,
    check_lifetime,
    check_open,
    check_positive,
    status_at,
)
from torekes.kit import clock, pagination, security, shown_codes
from torekes.kit.pagination import Listing
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger.queries import account_ids_owned_by
from torekes.settings import Settings
from torekes.spending import queries
from torekes.spending.payments import PaymentOrder, payer_account, record_payment
from torekes.spending.read_models import PaymentRequestPublicView, PaymentRequestView, ReceiptView
from torekes.spending.shops import check_takes_payments, shop_for_reading, shop_for_writing

POLL_INTERVAL = 0.2
MAX_WAIT_SECONDS = 60
MAX_MEMO_LENGTH = 200


@dataclass(frozen=True, slots=True)
class RequestCommand:
    shop_account_id: int
    kind: RequestKind = RequestKind.ONE_OFF
    amount: int | None = None
    memo: str = ""
    lifetime: timedelta | None = None


@dataclass(frozen=True, slots=True)
class PayCommand:
    amount: int | None = None
    account_id: int | None = None


def create_request(
    ctx: WriteContext, settings: Settings, command: RequestCommand
) -> PaymentRequestView:
    shop = shop_for_writing(ctx.session, ctx.actor, command.shop_account_id)
    check_takes_payments(ctx.session, shop)
    now = clock.now()
    expires_at = None
    if command.kind is RequestKind.ONE_OFF:
        if command.amount is None:
            raise errors.AmountRequired("A payment request needs an amount")
        check_positive(command.amount)
        lifetime = DEFAULT_REQUEST_LIFETIME if command.lifetime is None else command.lifetime
        check_lifetime(lifetime)
        expires_at = now + lifetime
    elif command.amount is not None:
        raise errors.AmountNotExpected("A standing QR has no amount: the member types it")
    elif command.lifetime is not None:
        raise errors.InvalidExpiry("A standing QR does not expire; cancel it to retire it")
    nonce = security.new_nonce()
    request = m.PaymentRequest(
        shop_account_id=shop.id,
        kind=command.kind.value,
        amount=command.amount,
        memo=command.memo,
        nonce=nonce,
        code_hash=security.code_digest(
            shown_codes.payment_request_code(settings.secret_key, nonce)
        ),
        status=RequestStatus.OPEN.value,
        created_at=now,
        created_by_id=ctx.actor.user_id,
        expires_at=expires_at,
    )
    ctx.session.add(request)
    ctx.session.flush()
    return request_view(ctx.session, settings, request)


def pay(ctx: WriteContext, settings: Settings, code: str, command: PayCommand) -> ReceiptView:
    """Pay the request from one of the actor's own accounts; returns the payer's receipt."""
    session = ctx.session
    request = _find(session, code, for_update=True)
    state = _state(request)
    now = clock.now()
    check_open(state, now)
    amount = amount_to_pay(state, command.amount)
    shop = referenced(session, m.Account, request.shop_account_id)
    payer = payer_account(session, ctx.actor, shop.currency_id, command.account_id)
    kind = RequestKind(request.kind)
    channel = PaymentChannel.REQUEST if kind is RequestKind.ONE_OFF else PaymentChannel.STANDING
    receipt = record_payment(
        ctx,
        settings,
        PaymentOrder(
            shop_account_id=shop.id,
            payer_account_id=payer.id,
            amount=amount,
            channel=channel,
            memo=request.memo,
            payment_request_id=request.id,
        ),
    )
    if kind is RequestKind.ONE_OFF:
        _resolve(request, RequestStatus.PAID, receipt.transaction_id)
        session.flush()
    return receipt


def cancel(ctx: WriteContext, settings: Settings, code: str) -> PaymentRequestView:
    """Withdraw an open request, or retire a standing QR; a paid or expired one stays as it is."""
    request = _find(ctx.session, code, for_update=True)
    shop_for_writing(ctx.session, ctx.actor, request.shop_account_id)
    check_open(_state(request), clock.now())
    _resolve(request, RequestStatus.CANCELLED, None)
    ctx.session.flush()
    return request_view(ctx.session, settings, request)


def open_request(db: Database, actor: Principal, code: str) -> PaymentRequestPublicView:
    with db.read_session() as session:
        request = _find(session, code)
        shop, currency = _shop_of(session, request)
        return PaymentRequestPublicView(
            kind=request.kind,
            shop_account_id=shop.id,
            shop_name=shop.name,
            currency=currency,
            amount=request.amount,
            memo=request.memo,
            status=status_at(_state(request), clock.now()).value,
            expires_at=request.expires_at,
            transaction_id=_visible_transaction(session, actor, request, shop),
        )


async def watch(
    db: Database, actor: Principal, code: str, wait_seconds: float
) -> PaymentRequestPublicView:
    """The request as soon as it is no longer open, or as it is when ``wait_seconds`` are up."""
    deadline = anyio.current_time() + min(wait_seconds, MAX_WAIT_SECONDS)
    while True:
        view = await anyio.to_thread.run_sync(open_request, db, actor, code)
        if view.status != RequestStatus.OPEN or anyio.current_time() >= deadline:
            return view
        await anyio.sleep(min(POLL_INTERVAL, max(0.0, deadline - anyio.current_time())))


def get_request(
    db: Database, settings: Settings, actor: Principal, code: str
) -> PaymentRequestView:
    with db.read_session() as session:
        request = _find(session, code)
        shop_for_reading(session, actor, request.shop_account_id)
        return request_view(session, settings, request)


def get_request_by_id(
    db: Database, settings: Settings, actor: Principal, request_id: int
) -> PaymentRequestView:
    """A request by its id, for its shop (the till shows again the request a repeated form
    made, knowing only its id)."""
    with db.read_session() as session:
        request = session.get(m.PaymentRequest, request_id)
        if request is None:
            raise errors.PaymentRequestNotFound()
        shop_for_reading(session, actor, request.shop_account_id)
        return request_view(session, settings, request)


def standing_request(
    db: Database, settings: Settings, actor: Principal, shop_account_id: int
) -> PaymentRequestView | None:
    """The shop's standing QR (the poster it prints), the newest open one; ``None`` if it has
    none."""
    with db.read_session() as session:
        shop = shop_for_reading(session, actor, shop_account_id)
        found = queries.open_standing_request(session, shop.id)
        return None if found is None else request_view(session, settings, found)


def list_requests(
    db: Database,
    settings: Settings,
    actor: Principal,
    shop_account_id: int | None,
    status: RequestStatus | None,
    cursor: str | None,
    limit: int,
) -> Listing[PaymentRequestView]:
    """A shop's requests, newest first. ``status`` filters on the status as it is now."""
    with db.read_session() as session:
        shops: list[int] | None = None
        if shop_account_id is not None:
            shops = [shop_for_reading(session, actor, shop_account_id).id]
        elif not actor.reads_everything:
            if actor.role is not Role.SHOPKEEPER:
                raise errors.RoleNotAllowed("Only shops have payment requests")
            shops = account_ids_owned_by(session, actor.user_id)
        found = queries.list_requests(
            session,
            shops,
            None if status is None else status.value,
            clock.now(),
            pagination.parse_cursor(cursor),
            limit,
        )
        return Listing(
            [request_view(session, settings, row) for row in found],
            pagination.next_cursor([row.id for row in found], limit),
        )


def request_view(
    session: Session, settings: Settings, request: m.PaymentRequest
) -> PaymentRequestView:
    shop, currency = _shop_of(session, request)
    code = shown_codes.payment_request_code(settings.secret_key, request.nonce)
    return PaymentRequestView(
        id=request.id,
        kind=request.kind,
        shop_account_id=shop.id,
        shop_name=shop.name,
        currency=currency,
        amount=request.amount,
        memo=request.memo,
        status=status_at(_state(request), clock.now()).value,
        code=code,
        url=request_url(settings, code),
        created_at=request.created_at,
        expires_at=request.expires_at,
        resolved_at=request.resolved_at,
        transaction_id=request.transaction_id,
    )


def request_url(settings: Settings, code: str) -> str:
    return settings.public_url(f"/p/{code}")


def known_request(db: Database, code: str) -> int | None:
    """The id of the request a code names, read without writing anything; ``None`` if none.
    Pages and routes ask this first (see ``torekes.kit.guessing``), so that a miss never opens a
    write."""
    with db.read_session() as session:
        found = queries.request_by_digest(session, security.code_digest(code), for_update=False)
        return None if found is None else found.id


def _find(session: Session, code: str, *, for_update: bool = False) -> m.PaymentRequest:
    found = queries.request_by_digest(session, security.code_digest(code), for_update=for_update)
    if found is None:
        raise errors.PaymentRequestNotFound()
    return found


def _shop_of(session: Session, request: m.PaymentRequest) -> tuple[m.Account, str]:
    """The request's shop account and the code of its currency."""
    shop = referenced(session, m.Account, request.shop_account_id)
    currency = referenced(session, m.Currency, shop.currency_id)
    return shop, currency.code


def _state(request: m.PaymentRequest) -> RequestState:
    return RequestState(
        kind=RequestKind(request.kind),
        stored_status=RequestStatus(request.status),
        amount=request.amount,
        expires_at=request.expires_at,
    )


def _resolve(request: m.PaymentRequest, status: RequestStatus, transaction_id: int | None) -> None:
    # One update out of ``open``, as the database's trigger on payment requests insists.
    request.status = status.value
    request.resolved_at = clock.now()
    request.transaction_id = transaction_id


def _visible_transaction(
    session: Session, actor: Principal, request: m.PaymentRequest, shop: m.Account
) -> int | None:
    if request.transaction_id is None:
        return None
    if actor.reads_everything or shop.owner_id == actor.user_id:
        return request.transaction_id
    payment = queries.payment_by_transaction(session, request.transaction_id)
    payer = None if payment is None else session.get(m.Account, payment.payer_account_id)
    return request.transaction_id if payer is not None and payer.owner_id == actor.user_id else None
