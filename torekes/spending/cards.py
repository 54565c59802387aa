"""Member cards: issuing, printing, blocking, replacing and unlocking them, and charging a card
with its PIN at a shop.

Charging runs in three steps, so that a PIN is never tried more often than the rules allow, even by
many requests at once, and the slow argon2 check never holds a write lock:

1. Under the card's row lock: refuse a blocked or locked card, and a shop with too many recent
   failures; then count this attempt as a failure in advance (``pin_failures`` + 1 and a
   ``pending`` attempt), so at most five guesses are ever in flight. A card is locked only when
   its fifth failure was found wrong (``locked_at``), or when its failures are five with none of
   them still being checked (a crash's leftovers, see below); while five counted in advance are
   still being checked, another try is refused as ``card_busy`` (try again in a moment), never
   as ``card_locked``: right PINs typed at once must not be told the card is locked.
2. Check the PIN against its argon2 hash, outside any transaction.
3. Under the lock again: a wrong PIN stays counted (the fifth locks the card); a right one resets
   the count (and replaces an unpeppered or outdated PIN hash). Only then is the payment made, in
   its own transaction.

Wrong PINs at a shop do lock the card, unlike those at the anonymous counter sign-in
(``torekes.spending.card_sign_in``): a shop is a signed-in, accountable party whose every attempt
is recorded with who made it, and the member stands at its till; the per-shop limit below bounds
how many cards any one shop can try, so no shop can sweep card numbers or lock cards at will.

An attempt whose third step never ran (a crash) stays counted as a failure; a ``pending`` attempt
older than ``IN_FLIGHT`` is taken for such a leftover, no longer in flight.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import NoReturn, TypeVar

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import PIN_ATTEMPTS_AT_SHOP, PIN_ATTEMPTS_BY_ACTOR, lock, lock_number
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.cards import (
    CardStatus,
    card_number,
    check_pin_format,
    check_typed_card,
    is_locked,
    normalise_card_number,
    pin_is_plausible,
    tries_left,
)
from torekes.domain.spending import PaymentChannel
from torekes.kit import audit_trail, clock, pagination, security, shown_codes
from torekes.kit.pagination import Listing
from torekes.kit.unit_of_work import WriteContext, kept_refusal, write
from torekes.settings import Settings
from torekes.spending import queries
from torekes.spending.payments import PaymentOrder, default_member_account, record_payment
from torekes.spending.read_models import CardView, ReceiptView
from torekes.spending.shops import shop_for_writing

T = TypeVar("T")
R = TypeVar("R")

CARD_PATH = "/k/"
CARD_NUMBER = "card number"  # the purpose card numbers are sealed for
MAX_CARD_INPUT_LENGTH = 300
# How long a PIN attempt may be checked: one still pending after that was cut short (a crash)
# and stays counted as a failure, no longer in flight.
IN_FLIGHT = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ChargeCommand:
    shop_account_id: int
    card: str
    pin: str
    amount: int
    memo: str = ""


@dataclass(frozen=True, slots=True)
class _Attempt:
    attempt_id: int
    card_id: int
    pin_hash: str


def issue_card(ctx: WriteContext, settings: Settings, member_id: int, pin: str) -> CardView:
    access.require_admin(ctx.actor)
    check_pin_format(pin)
    # The member's row lock makes "no active card yet" and the new card one step.
    member = lock(ctx.session, m.User, member_id)
    if member is None:
        raise errors.UserNotFound(user_id=member_id)
    if member.role != Role.MEMBER:
        raise errors.NotAMember(user_id=member_id)
    if queries.active_card_of(ctx.session, member_id) is not None:
        raise errors.MemberHasCard(user_id=member_id)
    return _issue(ctx, settings, member, pin, replaces_id=None)


def replace_card(
    ctx: WriteContext, settings: Settings, card_id: int, pin: str, reason: str
) -> CardView:
    """Block a lost or broken card (if it is not blocked yet) and issue its member a new one with a
    new code, number and PIN; the member's accounts are untouched."""
    access.require_admin(ctx.actor)
    check_pin_format(pin)
    found = ctx.session.get(m.MemberCard, card_id)
    if found is None:
        raise errors.CardNotFound(card_id=card_id)
    member = lock(ctx.session, m.User, found.member_id)
    assert member is not None
    card = _locked_card(ctx.session, card_id)
    if card.status == CardStatus.ACTIVE:
        _block(ctx, card, reason or "replaced")
    if queries.active_card_of(ctx.session, member.id) is not None:
        raise errors.MemberHasCard(user_id=member.id)
    return _issue(ctx, settings, member, pin, replaces_id=card.id)


def block_card(ctx: WriteContext, settings: Settings, card_id: int, reason: str) -> CardView:
    """Block a card for good (an administrator, or its member reporting it lost)."""
    card = _locked_card(ctx.session, card_id)
    if not (ctx.actor.is_admin or card.member_id == ctx.actor.user_id):
        raise errors.RoleNotAllowed("Only an administrator or the card's member may block it")
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    _block(ctx, card, reason)
    return card_view(ctx.session, settings, card)


def unlock_card(ctx: WriteContext, settings: Settings, card_id: int) -> CardView:
    access.require_admin(ctx.actor)
    card = _locked_card(ctx.session, card_id)
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    if not is_locked(card.pin_failures):
        raise errors.CardNotLocked(card_id=card.id)
    card.pin_failures = 0
    card.locked_at = None
    ctx.session.flush()
    audit_trail.record(ctx, "card.unlocked", "card", card.id, {"locked": True}, {"locked": False})
    return card_view(ctx.session, settings, card)


def get_card(db: Database, settings: Settings, actor: Principal, card_id: int) -> CardView:
    with db.read_session() as session:
        card = session.get(m.MemberCard, card_id)
        if card is None:
            raise errors.CardNotFound(card_id=card_id)
        _check_can_read(actor, card)
        return card_view(session, settings, card)


def list_cards(
    db: Database,
    settings: Settings,
    actor: Principal,
    member_id: int | None,
    status: CardStatus | None,
    cursor: str | None,
    limit: int,
) -> Listing[CardView]:
    """Cards, newest first: all for administrators and auditors, their own for members."""
    if not actor.reads_everything:
        if member_id not in (None, actor.user_id):
            raise errors.RoleNotAllowed("You may list only your own cards")
        member_id = actor.user_id
    with db.read_session() as session:
        found = queries.list_cards(
            session,
            member_id,
            None if status is None else status.value,
            pagination.parse_cursor(cursor),
            limit,
        )
        return Listing(
            [card_view(session, settings, card) for card in found],
            pagination.next_cursor([card.id for card in found], limit),
        )


def charge(
    db: Database,
    settings: Settings,
    actor: Principal,
    command: ChargeCommand,
    commit: Callable[[Callable[[WriteContext], ReceiptView]], T],
) -> T:
    """Check the card's PIN, then charge the card's member. ``commit`` runs the payment's write
    (the API passes one that honours ``Idempotency-Key``). A wrong PIN's outcome is written
    through ``commit`` too, so its refusal is kept under the key like any other: a repeat of the
    form or a retry answers it again without trying (and counting) the PIN again. A right PIN's
    outcome is written on its own first, so a payment refused afterwards keeps it."""
    consent = CardConsent(command.card, command.pin, command.shop_account_id)
    return with_consent(
        db,
        settings,
        actor,
        consent,
        commit,
        lambda ctx, card_id: pay_with_card(ctx, settings, command, card_id),
    )


@dataclass(frozen=True, slots=True)
class CardConsent:
    """A member's card and the PIN they typed: their consent to what is done with it. Tried at a
    shop (``shop_account_id``, whose keeper acts), or, with none, by someone acting for the member
    away from a till, whose own tries are counted in the shop's stead."""

    card: str
    pin: str
    shop_account_id: int | None = None


def with_consent(
    db: Database,
    settings: Settings,
    actor: Principal,
    consent: CardConsent,
    commit: Callable[[Callable[[WriteContext], R]], T],
    then: Callable[[WriteContext, int], R],
) -> T:
    """Check the card's PIN by the rules above, then run ``then`` (given the card's id) through
    ``commit``, which also keeps a wrong PIN's refusal: a card payment, or an act done for the
    card's member with their card and PIN as consent (``torekes.counter``). A card number
    mistyped is refused first, before any PIN is tried or counted."""
    check_typed_card(consent.card.strip())
    attempt = write(db, actor, lambda ctx: _begin_attempt(ctx, settings, consent))
    pepper = settings.pin_pepper_key
    right = security.verify_pin(pepper, attempt.pin_hash, consent.pin)
    upgrade = right and security.pin_needs_rehash(attempt.pin_hash)
    rehashed = security.hash_pin(pepper, consent.pin) if upgrade else None
    if not right:
        return commit(lambda ctx: _refuse_wrong_pin(ctx, attempt))
    write(db, actor, lambda ctx: _finish_attempt(ctx, attempt, right, rehashed))
    return commit(lambda ctx: then(ctx, attempt.card_id))


def _refuse_wrong_pin(ctx: WriteContext, attempt: _Attempt) -> NoReturn:
    _finish_attempt(ctx, attempt, right=False, rehashed=None)
    raise AssertionError("a wrong PIN is always refused")  # _finish_attempt raised already


def card_view(session: Session, settings: Settings, card: m.MemberCard) -> CardView:
    member = referenced(session, m.User, card.member_id)
    code = shown_codes.card_code(settings.secret_key, card.nonce)
    return CardView(
        id=card.id,
        member_id=member.id,
        member_name=member.display_name,
        number=shown_codes.card_number(settings.secret_key, number_of(settings, card)),
        code=code,
        url=card_url(settings, code),
        status=card.status,
        locked=is_locked(card.pin_failures),
        tries_left=tries_left(card.pin_failures),
        issued_at=card.issued_at,
        blocked_at=card.blocked_at,
        block_reason=card.block_reason,
        replaces_id=card.replaces_id,
    )


def card_url(settings: Settings, code: str) -> str:
    return settings.public_url(f"{CARD_PATH}{code}")


def number_of(settings: Settings, card: m.MemberCard) -> str:
    """The card's number, opened from its sealed copy with the card key."""
    return security.unseal(settings.pin_pepper_key, CARD_NUMBER, card.number_sealed)


def find_card(session: Session, settings: Settings, sent: str) -> m.MemberCard:
    """The card a shop named: the code from its QR (or the QR's whole URL), or the typed number."""
    sent = sent.strip()
    if len(sent) > MAX_CARD_INPUT_LENGTH:
        raise errors.CardNotFound()
    if CARD_PATH in sent:
        sent = sent.rsplit(CARD_PATH, 1)[1]
    number = normalise_card_number(sent)
    if number is not None:
        found = queries.card_by_number(
            session, security.card_number_digest(settings.pin_pepper_key, number)
        )
    else:
        found = queries.card_by_digest(session, security.code_digest(sent))
    if found is None:
        raise errors.CardNotFound()
    return found


def _begin_attempt(ctx: WriteContext, settings: Settings, consent: CardConsent) -> _Attempt:
    session = ctx.session
    shop_id = None
    if consent.shop_account_id is not None:
        shop_id = shop_for_writing(session, ctx.actor, consent.shop_account_id).id
        # Attempts on different cards lock different rows; this lock makes the shop's count and
        # the attempt it admits one step. Only this function takes it, so it cannot join a lock
        # cycle.
        lock_number(session, PIN_ATTEMPTS_AT_SHOP, shop_id)
    else:
        lock_number(session, PIN_ATTEMPTS_BY_ACTOR, ctx.actor.user_id)
    _check_window(session, settings, shop_id, ctx.actor.user_id)
    try:
        found = find_card(session, settings, consent.card)
    except errors.CardNotFound as unknown:
        # Naming cards that do not exist counts against the shop (or the actor), so card numbers
        # cannot be swept.
        session.add(
            m.PinAttempt(
                card_id=None,
                shop_account_id=shop_id,
                actor_id=ctx.actor.user_id,
                outcome="wrong",
                attempted_at=clock.now(),
            )
        )
        raise kept_refusal(ctx, unknown) from None
    card = _locked_card(session, found.id)
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    _check_not_locked(session, card)
    if not referenced(session, m.User, card.member_id).is_active:
        # Refused before the PIN is tried: a deactivated member's card pays nothing, and no
        # try is counted against it.
        raise errors.UserInactive(user_id=card.member_id)
    card.pin_failures += 1
    attempt = m.PinAttempt(
        card_id=card.id,
        shop_account_id=shop_id,
        actor_id=ctx.actor.user_id,
        outcome="pending",
        attempted_at=clock.now(),
    )
    session.add(attempt)
    session.flush()
    # A PIN that cannot be right is checked against a hash all the same, so timing tells nothing.
    pin_hash = card.pin_hash if pin_is_plausible(consent.pin) else security.dummy_hash()
    return _Attempt(attempt.id, card.id, pin_hash)


def _check_not_locked(session: Session, card: m.MemberCard) -> None:
    """Refuse a locked card (``card_locked``), and a try while the tries counted in advance that
    fill its limit are still being checked (``card_busy``): each of those may still be right."""
    if card.locked_at is not None:
        raise errors.CardLocked(card_id=card.id)
    if not is_locked(card.pin_failures):
        return
    since = clock.now() - IN_FLIGHT
    if queries.pin_attempts_in_flight(session, card.id, since):
        raise errors.CardBusy(card_id=card.id)
    raise errors.CardLocked(card_id=card.id)


def _finish_attempt(
    ctx: WriteContext, attempt: _Attempt, right: bool, rehashed: str | None
) -> None:
    session = ctx.session
    card = _locked_card(session, attempt.card_id)
    row = lock(session, m.PinAttempt, attempt.attempt_id)
    assert row is not None
    row.outcome = "right" if right else "wrong"
    if right and card.status == CardStatus.ACTIVE and card.locked_at is None:
        card.pin_failures = 0
        if rehashed is not None and card.pin_hash == attempt.pin_hash:
            card.pin_hash = rehashed
        return
    if not right and is_locked(card.pin_failures) and card.locked_at is None:
        card.locked_at = clock.now()
    raise kept_refusal(ctx, _pin_refusal(card, right))


def _pin_refusal(card: m.MemberCard, right: bool) -> errors.TorekesError:
    if card.status == CardStatus.BLOCKED:
        return errors.CardBlocked(card_id=card.id)
    if right:
        return errors.CardLocked(card_id=card.id)
    left = tries_left(card.pin_failures)
    detail = f"Wrong PIN; {left} tries left" if left else "Wrong PIN; the card is now locked"
    return errors.WrongPin(detail, tries_left=left, locked=left == 0)


def pay_with_card(
    ctx: WriteContext, settings: Settings, command: ChargeCommand, card_id: int
) -> ReceiptView:
    """The payment step of ``charge``, once the card's PIN has been found right."""
    session = ctx.session
    shop = shop_for_writing(session, ctx.actor, command.shop_account_id)
    card = _locked_card(session, card_id)
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    # Its PIN was found right: only a lock set since then refuses it, not the tries of others
    # counted in advance and still being checked.
    if card.locked_at is not None:
        raise errors.CardLocked(card_id=card.id)
    if not referenced(session, m.User, card.member_id).is_active:
        raise errors.UserInactive(user_id=card.member_id)
    payer = default_member_account(session, card.member_id, shop.currency_id)
    receipt = record_payment(
        ctx,
        settings,
        PaymentOrder(
            shop_account_id=shop.id,
            payer_account_id=payer.id,
            amount=command.amount,
            channel=PaymentChannel.CARD,
            memo=command.memo,
            card_id=card.id,
        ),
    )
    # The member stands at the till and has just typed their PIN: their new balance, as this very
    # write moved it (``post_entry`` moved this account object), is shown to them on the hand-over
    # view. A receipt read later shows it only to the member.
    return replace(receipt, payer=replace(receipt.payer, balance_after=payer.balance))


def _check_window(
    session: Session, settings: Settings, shop_account_id: int | None, actor_id: int
) -> None:
    """Refuse (429) a shop, or someone acting for members away from a till, with too many
    failures in the window."""
    now = clock.now()
    since = now - timedelta(seconds=settings.pin_window_seconds)
    failures, oldest = queries.pin_failures_since(session, since, shop_account_id, actor_id)
    if failures >= settings.pin_shop_max_failures:
        free_at = (oldest or now) + timedelta(seconds=settings.pin_window_seconds)
        retry_after = max(1, int((free_at - now).total_seconds()) + 1)
        raise errors.RateLimited(
            "Too many wrong PINs at this shop; try again later", retry_after=retry_after
        )


def _issue(
    ctx: WriteContext, settings: Settings, member: m.User, pin: str, replaces_id: int | None
) -> CardView:
    nonce = security.new_nonce()
    card = m.MemberCard(
        member_id=member.id,
        nonce=nonce,
        code_hash=security.code_digest(shown_codes.card_code(settings.secret_key, nonce)),
        **_new_number(ctx.session, settings.pin_pepper_key),
        pin_hash=security.hash_pin(settings.pin_pepper_key, pin),
        status=CardStatus.ACTIVE.value,
        pin_failures=0,
        issued_at=clock.now(),
        issued_by_id=ctx.actor.user_id,
        replaces_id=replaces_id,
    )
    ctx.session.add(card)
    ctx.session.flush()
    after = {
        "member_id": member.id,
        "number_ending": card.number_ending,
        "replaces_id": replaces_id,
    }
    audit_trail.record(ctx, "card.issued", "card", card.id, None, after)
    return card_view(ctx.session, settings, card)


def _new_number(session: Session, card_key: bytes) -> dict[str, str]:
    """The columns of a random card number not yet given out (a billion possible; the unique
    constraint on its digest is the last word if two issues pick the same one at once)."""
    while True:
        number = card_number(secrets.randbelow(10**9))
        digest = security.card_number_digest(card_key, number)
        if queries.card_by_number(session, digest) is None:
            return {
                "number_digest": digest,
                "number_sealed": security.seal(card_key, CARD_NUMBER, number),
                "number_ending": number[-4:],
            }


def _block(ctx: WriteContext, card: m.MemberCard, reason: str) -> None:
    card.status = CardStatus.BLOCKED.value
    card.blocked_at = clock.now()
    card.blocked_by_id = ctx.actor.user_id
    card.block_reason = reason
    ctx.session.flush()
    audit_trail.record(
        ctx,
        "card.blocked",
        "card",
        card.id,
        {"status": CardStatus.ACTIVE.value},
        {"status": card.status, "reason": reason},
    )


def _locked_card(session: Session, card_id: int) -> m.MemberCard:
    card = lock(session, m.MemberCard, card_id)
    if card is None:
        raise errors.CardNotFound(card_id=card_id)
    return card


def _check_can_read(actor: Principal, card: m.MemberCard) -> None:
    if not (actor.reads_everything or card.member_id == actor.user_id):
        raise errors.RoleNotAllowed("You may see only your own card", card_id=card.id)
