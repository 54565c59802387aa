"""Signing in with a member card and its PIN, for members without a smartphone at the
neighbourhood counter.

The PIN is tried the way a shop tries it (see ``torekes.spending.cards``): under the card's row
lock the attempt is counted as a failure in advance, argon2 checks the PIN outside any transaction,
and only a right PIN clears the count; so the card's five-try lock covers the counter and the shops
together. Failed sign-ins are also counted per card number over the sign-in window, like
usernames, and a number that names no card counts too, so numbers cannot be swept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.cards import (
    CardStatus,
    is_locked,
    normalise_card_number,
    pin_is_plausible,
    tries_left,
)
from torekes.identity.auth import check_attempts_left
from torekes.identity.queries import forget_failures
from torekes.identity.users import IssuedToken, issue_token
from torekes.kit import clock, security
from torekes.kit.unit_of_work import WriteContext, kept_refusal, write
from torekes.settings import Settings
from torekes.spending import queries

MAX_TYPED_LENGTH = 40


@dataclass(frozen=True, slots=True)
class _Attempt:
    card_id: int
    pin_hash: str


def sign_in_with_card(db: Database, settings: Settings, typed: str, pin: str) -> IssuedToken:
    """A token for the card's member when the PIN is right; ``invalid_credentials`` for a number
    that is no card, ``wrong_pin`` (with the tries left) for a wrong PIN."""
    number = normalise_card_number(typed) if len(typed) <= MAX_TYPED_LENGTH else None
    key = f"card:{number}" if number else "card:?"
    with db.read_session() as session:
        check_attempts_left(session, settings, key)
    system = Principal(user_id=0, username=key, role=Role.MEMBER)
    if number is None:
        write(db, system, lambda ctx: _count_failure(ctx, key))
        raise errors.InvalidCredentials("Not a card number")
    try:
        attempt = write(db, system, lambda ctx: _begin(ctx, number, pin, key))
    except errors.InvalidCredentials:
        # As long as a PIN check would take, but outside the write lock.
        security.spend_equal_time(pin)
        raise
    right = security.verify_password(attempt.pin_hash, pin)
    return write(db, system, lambda ctx: _finish(ctx, settings, attempt, right, key))


def _begin(ctx: WriteContext, number: str, pin: str, key: str) -> _Attempt:
    session = ctx.session
    found = queries.card_by_number(session, number)
    if found is None:
        _count_failure(ctx, key)
        raise kept_refusal(ctx, errors.InvalidCredentials("No such card"))
    card = _locked_card(ctx, found.id)
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    if is_locked(card.pin_failures):
        raise errors.CardLocked(card_id=card.id)
    card.pin_failures += 1
    pin_hash = card.pin_hash if pin_is_plausible(pin) else security.dummy_hash()
    return _Attempt(card.id, pin_hash)


def _finish(
    ctx: WriteContext, settings: Settings, attempt: _Attempt, right: bool, key: str
) -> IssuedToken:
    session = ctx.session
    card = _locked_card(ctx, attempt.card_id)
    member = session.get(m.User, card.member_id)
    usable = card.status == CardStatus.ACTIVE and card.locked_at is None
    if right and usable and member is not None and member.is_active:
        card.pin_failures = 0
        forget_failures(session, key)
        # A shared counter: the session lasts minutes, not the days of a person's own phone.
        short = timedelta(minutes=settings.card_session_minutes)
        return issue_token(ctx, settings, member.id, name="card sign-in", lifetime=short)
    if not right:
        _count_failure(ctx, key)
        if is_locked(card.pin_failures) and card.locked_at is None:
            card.locked_at = clock.now()
    raise kept_refusal(ctx, _refusal(card, right))


def _refusal(card: m.MemberCard, right: bool) -> errors.TorekesError:
    if card.status == CardStatus.BLOCKED:
        return errors.CardBlocked(card_id=card.id)
    if card.locked_at is not None:
        return errors.CardLocked(card_id=card.id)
    if right:
        return errors.InvalidCredentials("This card's member cannot sign in")
    left = tries_left(card.pin_failures)
    return errors.WrongPin(f"Wrong PIN; {left} tries left", tries_left=left, locked=False)


def _count_failure(ctx: WriteContext, key: str) -> None:
    ctx.session.add(m.LoginAttempt(username=key))


def _locked_card(ctx: WriteContext, card_id: int) -> m.MemberCard:
    card = lock(ctx.session, m.MemberCard, card_id)
    if card is None:
        raise errors.CardNotFound(card_id=card_id)
    return card
