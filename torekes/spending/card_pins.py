"""A card's PIN after it was issued: its member changes it with the current PIN, and an
administrator resets it to a new one (the member chose it, at the desk) when it is forgotten.

The member's change tries the current PIN the way a shop does (see ``torekes.spending.cards``):
under the card's row lock the try is counted as a failure in advance, argon2 checks it outside any
write transaction, and only a right PIN clears the count; a wrong one is ``wrong_pin`` with the
tries left, and the fifth in a row locks the card, for the counter and the shops alike. The new
PIN is hashed with the same function as at issue, before the write transaction begins (``NewPin``).

A reset clears the failure count and the lock as ``unlock`` does. A blocked card keeps its PIN
(blocking is for good). Both are in the audit trail as ``card.pin_changed`` and ``card.pin_reset``,
never with a PIN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.domain import access, errors
from torekes.domain.access import Principal
from torekes.domain.cards import (
    CardStatus,
    check_pin_format,
    is_locked,
    pin_is_plausible,
    tries_left,
)
from torekes.kit import audit_trail, clock, security
from torekes.kit.unit_of_work import WriteContext, kept_refusal, write
from torekes.settings import Settings
from torekes.spending.cards import card_view
from torekes.spending.read_models import CardView

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NewPin:
    """A PIN of the right form, as the peppered hash a card keeps; made only by ``of``."""

    pin_hash: str

    @classmethod
    def of(cls, settings: Settings, pin: str) -> NewPin:
        check_pin_format(pin)
        return cls(security.hash_pin(settings.pin_pepper_key, pin))


def reset_pin(ctx: WriteContext, settings: Settings, card_id: int, pin: NewPin) -> CardView:
    """An administrator gives the card a new PIN and clears its failures and lock."""
    access.require_admin(ctx.actor)
    card = _usable_card(ctx, card_id)
    before = {"locked": is_locked(card.pin_failures), "pin_failures": card.pin_failures}
    card.pin_hash = pin.pin_hash
    card.pin_failures = 0
    card.locked_at = None
    ctx.session.flush()
    after = {"locked": False, "pin_failures": 0}
    audit_trail.record(ctx, "card.pin_reset", "card", card.id, before, after)
    return card_view(ctx.session, settings, card)


def change_pin(
    db: Database,
    settings: Settings,
    actor: Principal,
    card_id: int,
    current: str,
    new: str,
    commit: Callable[[Callable[[WriteContext], CardView]], T],
) -> T:
    """The card's member changes its PIN, giving the current one. ``commit`` runs the change's
    write (the API passes one that honours ``Idempotency-Key``). A wrong PIN's outcome is written
    through ``commit`` too, so its refusal is kept under the key like any other and a repeat of
    the form answers it again without trying (and counting) the PIN again."""
    check_pin_format(new)
    pin_hash = write(db, actor, lambda ctx: _begin_try(ctx, card_id, current))
    right = security.verify_pin(settings.pin_pepper_key, pin_hash, current)
    if not right:
        return commit(lambda ctx: _refuse_wrong_pin(ctx, card_id))
    write(db, actor, lambda ctx: _finish_try(ctx, card_id, right))
    pin = NewPin.of(settings, new)

    def change(ctx: WriteContext) -> CardView:
        card = _own_card(ctx, card_id)
        card.pin_hash = pin.pin_hash
        ctx.session.flush()
        audit_trail.record(ctx, "card.pin_changed", "card", card.id, None, {"by": "member"})
        return card_view(ctx.session, settings, card)

    return commit(change)


def _begin_try(ctx: WriteContext, card_id: int, current: str) -> str:
    """Count the try as a failure in advance; the hash to check the PIN against."""
    card = _own_card(ctx, card_id)
    card.pin_failures += 1
    # A PIN that cannot be right is checked against a hash all the same, so timing tells nothing.
    return card.pin_hash if pin_is_plausible(current) else security.dummy_hash()


def _finish_try(ctx: WriteContext, card_id: int, right: bool) -> None:
    card = lock(ctx.session, m.MemberCard, card_id)
    assert card is not None
    if right and card.status == CardStatus.ACTIVE and card.locked_at is None:
        card.pin_failures = 0
        return
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    if right or card.locked_at is not None:
        raise errors.CardLocked(card_id=card.id)
    left = tries_left(card.pin_failures)
    if left == 0:
        card.locked_at = clock.now()
    detail = f"Wrong PIN; {left} tries left" if left else "Wrong PIN; the card is now locked"
    raise kept_refusal(ctx, errors.WrongPin(detail, tries_left=left, locked=left == 0))


def _refuse_wrong_pin(ctx: WriteContext, card_id: int) -> NoReturn:
    _finish_try(ctx, card_id, right=False)
    raise AssertionError("a wrong PIN is always refused")  # _finish_try raised already


def _own_card(ctx: WriteContext, card_id: int) -> m.MemberCard:
    """The actor's own card, locked, neither blocked nor locked."""
    card = lock(ctx.session, m.MemberCard, card_id)
    if card is None:
        raise errors.CardNotFound(card_id=card_id)
    if card.member_id != ctx.actor.user_id:
        raise errors.RoleNotAllowed("Only the card's member changes its PIN", card_id=card_id)
    return _check_usable(card)


def _usable_card(ctx: WriteContext, card_id: int) -> m.MemberCard:
    card = lock(ctx.session, m.MemberCard, card_id)
    if card is None:
        raise errors.CardNotFound(card_id=card_id)
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    return card


def _check_usable(card: m.MemberCard) -> m.MemberCard:
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    if is_locked(card.pin_failures):
        raise errors.CardLocked(card_id=card.id)
    return card
