"""Member cards: issued, printed, blocked, replaced and unlocked, their PIN changed by the member
or reset by an administrator; shops charge them with a PIN."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from torekes.api.deps import CurrentPrincipal, DbDep, SettingsDep, WriterDep
from torekes.api.images import IMAGE_RESPONSES, ImageFormat, qr_image
from torekes.api.routes.common import (
    DEFAULT_LIMIT,
    READ,
    WRITE,
    CardId,
    Cursor,
    Limit,
    problems,
)
from torekes.api.schemas import (
    MAX_ID,
    BlockIn,
    CardIn,
    CardOut,
    CardPaymentIn,
    CardReplaceIn,
    Page,
    PinChangeIn,
    PinResetIn,
    ReceiptOut,
)
from torekes.documents.sheets import Reader, render_card
from torekes.domain.cards import CardStatus
from torekes.kit.languages import negotiated
from torekes.spending import card_pins, cards
from torekes.spending.card_pins import NewPin
from torekes.spending.cards import ChargeCommand
from torekes.spending.read_models import CardView

router = APIRouter(tags=["cards"])


@router.post("/cards", status_code=201, response_model=CardOut, responses=WRITE)
def issue_card(body: CardIn, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """Issue a member a card with the PIN they chose (admin). One active card per member."""
    return writer.run(
        lambda ctx: cards.issue_card(ctx, settings, body.member_id, body.pin), CardOut, 201
    )


@router.get("/cards", response_model=Page[CardOut], responses=READ)
def list_cards(
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
    member_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: CardStatus | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[CardOut]:
    """All cards for admins and auditors; members see their own."""
    page = cards.list_cards(db, settings, actor, member_id, status, cursor, limit)
    return Page[CardOut].model_validate(page)


@router.get("/cards/{card_id}", response_model=CardOut, responses=READ)
def get_card(
    card_id: CardId, actor: CurrentPrincipal, db: DbDep, settings: SettingsDep
) -> CardView:
    return cards.get_card(db, settings, actor, card_id)


@router.get(
    "/cards/{card_id}/print",
    response_class=HTMLResponse,
    responses={**READ, 200: {"content": {"text/html": {}}, "description": "A printable card"}},
)
def print_card(
    card_id: CardId,
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> HTMLResponse:
    """The card at bank-card size: its QR, its number and the member's name; never the PIN. In
    the language of `Accept-Language` (Dutch or English, else Dutch)."""
    card = cards.get_card(db, settings, actor, card_id)
    reader = Reader(negotiated(None, accept_language), settings.timezone)
    return HTMLResponse(render_card(card, reader))


@router.get(
    "/cards/{card_id}/qr.{image_format}", response_class=Response, responses=IMAGE_RESPONSES
)
def card_qr(
    card_id: CardId,
    image_format: ImageFormat,
    actor: CurrentPrincipal,
    db: DbDep,
    settings: SettingsDep,
) -> Response:
    return qr_image(cards.get_card(db, settings, actor, card_id).url, image_format)


@router.post("/cards/{card_id}/block", response_model=CardOut, responses=WRITE)
def block_card(
    card_id: CardId, writer: WriterDep, settings: SettingsDep, body: BlockIn | None = None
) -> JSONResponse:
    """Block a card for good: its code and number stop working; the member's balance stays. An
    admin, or the card's member reporting it lost."""
    reason = "" if body is None else body.reason
    return writer.run(lambda ctx: cards.block_card(ctx, settings, card_id, reason), CardOut)


@router.post("/cards/{card_id}/unlock", response_model=CardOut, responses=WRITE)
def unlock_card(card_id: CardId, writer: WriterDep, settings: SettingsDep) -> JSONResponse:
    """Unlock a card locked after five wrong PINs (admin)."""
    return writer.run(lambda ctx: cards.unlock_card(ctx, settings, card_id), CardOut)


@router.post("/cards/{card_id}/reset-pin", response_model=CardOut, responses=WRITE)
def reset_pin(
    card_id: CardId, body: PinResetIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Give a card the new PIN its member chose (admin), for a forgotten PIN: the card keeps its
    code and number, and its wrong-PIN count and lock are cleared. A blocked card is 409
    `card_blocked`."""
    pin = NewPin.of(settings, body.pin)
    return writer.run(lambda ctx: card_pins.reset_pin(ctx, settings, card_id, pin), CardOut)


@router.post("/cards/{card_id}/pin", response_model=CardOut, responses=WRITE)
def change_pin(
    card_id: CardId, body: PinChangeIn, writer: WriterDep, db: DbDep, settings: SettingsDep
) -> JSONResponse:
    """Change your card's PIN (the card's member), giving the current one. A wrong one is 403
    `wrong_pin` with `tries_left` and counts against the card like a wrong PIN at a shop: the
    fifth in a row locks it (409 `card_locked`)."""
    replayed = writer.replay()
    if replayed is not None:  # a retry is answered before the PIN is tried again
        return replayed
    return card_pins.change_pin(
        db,
        settings,
        writer.actor,
        card_id,
        body.current_pin,
        body.new_pin,
        lambda operation: writer.run(operation, CardOut),
    )


@router.post("/cards/{card_id}/replace", status_code=201, response_model=CardOut, responses=WRITE)
def replace_card(
    card_id: CardId, body: CardReplaceIn, writer: WriterDep, settings: SettingsDep
) -> JSONResponse:
    """Block a lost card and issue its member a new one with a new PIN, in one step (admin)."""
    return writer.run(
        lambda ctx: cards.replace_card(ctx, settings, card_id, body.pin, body.reason),
        CardOut,
        201,
    )


@router.post(
    "/card-payments",
    status_code=201,
    response_model=ReceiptOut,
    responses={**WRITE, **problems(429)},
)
def charge_card(
    body: CardPaymentIn,
    writer: WriterDep,
    db: DbDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Charge a member's card at your shop: the card (its QR code or number), the PIN the member
    types, the amount. A card number whose check digit does not fit is 422
    `card_number_mistyped`, before any PIN is tried. A wrong PIN is 403 `wrong_pin` with
    `tries_left`; five in a row lock the card (409 `card_locked`) until an admin unlocks it; too
    many wrong PINs at one shop are 429. Every try is counted in advance until its PIN is
    checked, so at most five are in flight: a try while five others are still being checked is
    409 `card_busy` (try again in a moment), never `card_locked`, which only a card really
    locked answers. The receipt carries the member's new balance
    (`payer.balance_after`), to show the member at the till."""
    replayed = writer.replay()
    if replayed is not None:  # a retry is answered before the PIN is tried again
        return replayed
    command = ChargeCommand(body.shop_account_id, body.card, body.pin, body.amount, body.memo)
    return cards.charge(
        db,
        settings,
        writer.actor,
        command,
        lambda operation: writer.run(operation, ReceiptOut, 201),
    )
