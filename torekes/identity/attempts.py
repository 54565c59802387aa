"""Throttling sign-in guesses without letting anyone lock someone else out.

Failed sign-ins (by password, and by member card at the counter) are counted in the database,
so every service process and machine sees them, over a sliding window, per *subject* (a
username, or a typed card number) and per *client address* (the one ``torekes.api.client``
yields for a request). A client is refused (429 ``too_many_attempts`` with ``Retry-After``) when,
within the window:

1. it has failed too often on this subject (the subject's owner elsewhere is not affected);
2. it has failed too often over all subjects (one password tried against every username);
3. the subject, or the whole installation, has failed past a high ceiling from all clients
   together (many addresses guessing at once) and the client is not one the subject has signed
   in from before: addresses the owner is known to use keep working, only new ones wait.

A right password or PIN forgets that client's failures on that subject and remembers the address
as known to the subject (until ``torekes purge`` drops the record after the retention period). No
rule ever refuses a known address for failures made from other addresses. Under heavy
concurrency a few guesses past a limit may slip through together, never more than the requests
in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.domain import errors
from torekes.identity import queries
from torekes.settings import Settings

PASSWORD = "password"  # noqa: S105 - the kind of sign-in, not a secret
CARD = "card"


@dataclass(frozen=True, slots=True)
class Limits:
    kind: str
    window_seconds: int
    per_subject_and_client: int
    per_client: int
    subject_ceiling: int
    total_ceiling: int


def password_limits(settings: Settings) -> Limits:
    return Limits(
        PASSWORD,
        settings.login_window_seconds,
        settings.login_max_failures,
        settings.login_client_max_failures,
        settings.login_username_ceiling,
        settings.login_total_ceiling,
    )


def card_limits(settings: Settings) -> Limits:
    return Limits(
        CARD,
        settings.pin_window_seconds,
        settings.card_sign_in_max_failures,
        settings.card_sign_in_client_max_failures,
        settings.card_sign_in_card_ceiling,
        settings.card_sign_in_total_ceiling,
    )


def check(session: Session, limits: Limits, subject: str, client: str) -> None:
    """Refuse (429) a client that may not try ``subject`` now, by the rules above."""
    now = m.utcnow()
    since = now - timedelta(seconds=limits.window_seconds)
    kind = limits.kind
    for count, oldest, ceiling in (
        (
            *queries.count_failures(session, kind, since, subject=subject, client=client),
            limits.per_subject_and_client,
        ),
        (*queries.count_failures(session, kind, since, client=client), limits.per_client),
    ):
        if count >= ceiling:
            raise errors.RateLimited(retry_after=_seconds_until_free(oldest, limits, now))
    for count, oldest, ceiling in (
        (*queries.count_failures(session, kind, since, subject=subject), limits.subject_ceiling),
        (*queries.count_failures(session, kind, since), limits.total_ceiling),
    ):
        if count >= ceiling and not queries.has_signed_in_from(session, kind, subject, client):
            raise errors.RateLimited(retry_after=_seconds_until_free(oldest, limits, now))


def record_failure(session: Session, limits: Limits, subject: str, client: str) -> None:
    session.add(m.LoginAttempt(kind=limits.kind, username=subject, client=client))


def record_success(session: Session, limits: Limits, subject: str, client: str) -> None:
    """Forget this client's failures on ``subject`` and know the address as the subject's."""
    queries.forget_attempts(session, limits.kind, subject, client)
    session.add(m.LoginAttempt(kind=limits.kind, username=subject, client=client, succeeded=True))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _seconds_until_free(oldest: datetime | None, limits: Limits, now: datetime) -> int:
    if oldest is None:
        return limits.window_seconds
    free_at = _aware(oldest) + timedelta(seconds=limits.window_seconds)
    return max(1, int((free_at - now).total_seconds()) + 1)
