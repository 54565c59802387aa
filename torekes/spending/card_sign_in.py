"""Signing in with a member card and its PIN, for members without a smartphone at the
neighbourhood counter.

Anyone may walk up to the counter, so a wrong PIN here never counts towards the card's lock
(only a shop, a signed-in and accountable party with the member standing at its till, can lock a
card; see ``torekes.spending.cards``). Failures are throttled instead like password sign-ins
(``torekes.identity.attempts``): per typed card number and client address, per client address
over all numbers (a sweep across numbers), and past a ceiling per card and in all only for
addresses the card has not signed in from before.

A number that names no card, a number whose check digit is wrong and a wrong PIN get the same
answer (401 ``invalid_credentials``, the same words) after the same work: one read, one argon2
check (against a throwaway hash when there is no card), one failure written. Only the right PIN
learns more: that the card is blocked (``card_blocked``) or locked by wrong PINs at shops
(``card_locked``). A right PIN whose hash is unpeppered or made with older parameters is hashed
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.cards import CardStatus, is_locked, normalise_card_number, pin_is_plausible
from torekes.identity import attempts
from torekes.identity.users import IssuedToken, issue_token
from torekes.kit import security
from torekes.kit.unit_of_work import WriteContext, write
from torekes.settings import Settings
from torekes.spending import queries

MAX_TYPED_LENGTH = 40
WRONG = "Wrong card number or PIN"


@dataclass(frozen=True, slots=True)
class _Card:
    card_id: int
    pin_hash: str


def sign_in_with_card(
    db: Database, settings: Settings, typed: str, pin: str, client: str
) -> IssuedToken:
    """A token for the card's member when the number and PIN are right; ``client`` is the
    request's client address (``torekes.api.client``)."""
    limits = attempts.card_limits(settings)
    subject = _subject(settings, typed)
    number = normalise_card_number(typed) if len(typed) <= MAX_TYPED_LENGTH else None
    with db.read_session() as session:
        attempts.check(session, limits, subject, client)
        key = settings.pin_pepper_key
        digest = None if number is None else security.card_number_digest(key, number)
        found = None if digest is None else queries.card_by_number(session, digest)
        card = None if found is None else _Card(found.id, found.pin_hash)
    usable_hash = card.pin_hash if card is not None and pin_is_plausible(pin) else None
    # Always exactly one argon2 check, so the time says nothing about the card either.
    right = security.verify_pin(settings.pin_pepper_key, usable_hash or security.dummy_hash(), pin)
    system = Principal(user_id=0, username=f"card:{subject}", role=Role.MEMBER)
    if card is None or usable_hash is None or not right:
        write(db, system, lambda ctx: attempts.record_failure(ctx.session, limits, subject, client))
        raise errors.InvalidCredentials(WRONG)
    pepper = settings.pin_pepper_key
    rehashed = security.hash_pin(pepper, pin) if security.pin_needs_rehash(card.pin_hash) else None
    return write(
        db,
        system,
        lambda ctx: _finish(ctx, settings, limits, card, subject, client, rehashed),
    )


def _finish(
    ctx: WriteContext,
    settings: Settings,
    limits: attempts.Limits,
    found: _Card,
    subject: str,
    client: str,
    rehashed: str | None,
) -> IssuedToken:
    card = lock(ctx.session, m.MemberCard, found.card_id)
    if card is None:
        raise errors.InvalidCredentials(WRONG)
    if card.status == CardStatus.BLOCKED:
        raise errors.CardBlocked(card_id=card.id)
    if is_locked(card.pin_failures) or card.locked_at is not None:
        raise errors.CardLocked(card_id=card.id)
    member = ctx.session.get(m.User, card.member_id)
    if member is None or not member.is_active:
        raise errors.InvalidCredentials(WRONG)
    attempts.record_success(ctx.session, limits, subject, client)
    if rehashed is not None and card.pin_hash == found.pin_hash:
        card.pin_hash = rehashed
    # A shared counter: the session lasts minutes, not the days of a person's own phone.
    short = timedelta(minutes=settings.card_session_minutes)
    return issue_token(ctx, settings, member.id, name="card sign-in", lifetime=short)


def _subject(settings: Settings, typed: str) -> str:
    """What failures are counted under: the typed digits (a card number or not, so that a
    mistyped check digit is counted like any other number), as their digest keyed with the card
    key, since the attempts are kept for a while and a card number is stored nowhere readable."""
    digits = "".join(char for char in typed[:MAX_TYPED_LENGTH] if char.isascii() and char.isdigit())
    return security.card_number_digest(settings.pin_pepper_key, digits or "-")
