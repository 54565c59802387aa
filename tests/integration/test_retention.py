"""What is kept only for a while is forgotten on time: ``retention.purge`` deletes sign-in and PIN
attempts and idempotency records older than their retention, and nothing younger, with the clock
moved instead of waited on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.helpers import keyed
from tests.support import Ledger
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.identity import auth
from torekes.kit import clock
from torekes.kit.unit_of_work import write, write_idempotently
from torekes.operations import retention
from torekes.settings import Settings


def _count(db: Database, model: type[m.Base]) -> int:
    with db.read_session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _leave_traces(ledger: Ledger, settings: Settings) -> None:
    """A failed sign-in, a wrong PIN at a shop and a write made with an Idempotency-Key."""
    member = ledger.user(Role.MEMBER)
    with pytest.raises(errors.InvalidCredentials):
        auth.sign_in(
            ledger.db, settings, member.principal.username, "not-the-password", "192.0.2.1"
        )
    ledger.currency()
    keeper = ledger.user(Role.SHOPKEEPER)
    shop = ledger.account(AccountKind.SHOP, keeper)

    # A shop's attempt with a card number that names no card, as a charge records it.
    attempt = m.PinAttempt(
        card_id=None, shop_account_id=shop.id, actor_id=keeper.id, outcome="wrong"
    )
    write(ledger.db, keeper.principal, lambda ctx: ctx.session.add(attempt))
    write_idempotently(
        ledger.db,
        member.principal,
        keyed("retention-key-1", "fingerprint"),
        lambda ctx: None,
        lambda _: (200, {"done": True}),
    )


def _moved(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    moment = datetime.now(UTC) + timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_nothing_younger_than_its_retention_is_purged(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _leave_traces(ledger, settings)
    _moved(monkeypatch, settings.attempts_retention_days - 1)
    assert retention.purge(ledger.db, settings) == retention.Purged(0, 0, 0)
    assert _count(ledger.db, m.LoginAttempt) == 1
    assert _count(ledger.db, m.PinAttempt) == 1
    assert _count(ledger.db, m.IdempotencyRecord) == 1


def test_what_is_older_than_its_retention_is_purged_once(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _leave_traces(ledger, settings)
    _moved(
        monkeypatch, max(settings.attempts_retention_days, settings.idempotency_retention_days) + 1
    )
    assert retention.purge(ledger.db, settings) == retention.Purged(1, 1, 1)
    assert retention.purge(ledger.db, settings) == retention.Purged(0, 0, 0)
    assert _count(ledger.db, m.LoginAttempt) == 0
    assert _count(ledger.db, m.PinAttempt) == 0
    assert _count(ledger.db, m.IdempotencyRecord) == 0


def test_each_kind_keeps_its_own_retention(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_keys = settings.model_copy(
        update={"attempts_retention_days": 60, "idempotency_retention_days": 2}
    )
    _leave_traces(ledger, short_keys)
    _moved(monkeypatch, 3)
    assert retention.purge(ledger.db, short_keys) == retention.Purged(0, 0, 1)


def test_a_retention_shorter_than_the_limits_windows_is_refused() -> None:
    with pytest.raises(ValueError, match="ATTEMPTS_RETENTION_DAYS"):
        Settings(attempts_retention_days=1, pin_window_seconds=2 * 86400)
