"""The audit trail records each administrative action with who, what, when, before and after, in
the same transaction as the action (a refused action leaves no event); it never holds a PIN or a
card's code; and the database refuses to change or delete an event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support import Ledger
from torekes.audit import trail
from torekes.audit.read_models import AuditEventView
from torekes.audit.trail import AuditQuery
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts, currencies
from torekes.ledger.currencies import LimitsCommand
from torekes.ledger.read_models import CurrencyView
from torekes.spending import cards

PIN = "482915"


def events(ledger: Ledger, **filters: Any) -> list[AuditEventView]:
    return trail.list_events(ledger.db, ledger.admin.principal, AuditQuery(**filters)).items


def count_events(db: Database) -> int:
    with db.read_engine.connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM audit_events")).scalar_one())


def test_account_changes_are_recorded_with_before_and_after(
    ledger: Ledger, trk: CurrencyView
) -> None:
    account = ledger.account(AccountKind.SHOP)
    write(
        ledger.db,
        ledger.admin.principal,
        lambda ctx: accounts.change_status(ctx, account.id, "freeze"),
    )

    [frozen, opened] = events(ledger, subject_type="account", subject_id=str(account.id))
    assert opened.action == "account.opened"
    assert opened.after is not None
    assert opened.after["kind"] == "shop"
    assert frozen.action == "account.frozen"
    assert (frozen.before, frozen.after) == ({"status": "active"}, {"status": "frozen"})
    assert frozen.actor_id == ledger.admin.id
    assert frozen.occurred_at >= opened.occurred_at


def test_limits_and_cards_are_recorded_without_secrets(ledger: Ledger, trk: CurrencyView) -> None:
    member = ledger.user(Role.MEMBER)
    admin = ledger.admin.principal
    write(
        ledger.db,
        admin,
        lambda ctx: currencies.set_spending_limits(ctx, "TRK", LimitsCommand(50)),
    )
    card = write(
        ledger.db, admin, lambda ctx: cards.issue_card(ctx, ledger.settings, member.id, PIN)
    )
    write(ledger.db, admin, lambda ctx: cards.block_card(ctx, ledger.settings, card.id, "lost"))

    [limits] = events(ledger, action="currency.limits_changed")
    assert limits.subject_id == "TRK"
    assert limits.before == {"max_payment": None, "daily_spend_limit": None, "confirm_above": None}
    assert limits.after == {"max_payment": 50, "daily_spend_limit": None, "confirm_above": None}
    card_events = events(ledger, subject_type="card", subject_id=str(card.id))
    assert [event.action for event in card_events] == ["card.blocked", "card.issued"]
    assert card_events[0].after == {"status": "blocked", "reason": "lost"}
    everything = json.dumps([event.after for event in events(ledger, limit=500)])
    assert PIN not in everything
    assert card.code not in everything


def test_a_refused_action_leaves_no_event(ledger: Ledger, trk: CurrencyView) -> None:
    account = ledger.account(AccountKind.MEMBER)
    before = count_events(ledger.db)
    with pytest.raises(errors.AccountStatusUnchanged):
        write(
            ledger.db,
            ledger.admin.principal,
            lambda ctx: accounts.change_status(ctx, account.id, "unfreeze"),
        )
    assert count_events(ledger.db) == before


def test_only_administrators_and_auditors_read_the_trail(ledger: Ledger, trk: CurrencyView) -> None:
    assert events(ledger, action="currency.created")
    auditor = ledger.user(Role.AUDITOR)
    assert trail.list_events(ledger.db, auditor.principal, AuditQuery()).items
    for role in (Role.COORDINATOR, Role.SHOPKEEPER, Role.MEMBER):
        with pytest.raises(errors.RoleNotAllowed):
            trail.list_events(ledger.db, ledger.user(role).principal, AuditQuery())


def test_pages_run_newest_first_without_overlap(ledger: Ledger, trk: CurrencyView) -> None:
    for _ in range(5):
        ledger.account(AccountKind.MEMBER)
    first = trail.list_events(
        ledger.db, ledger.admin.principal, AuditQuery(action="account.opened", limit=3)
    )
    assert first.next_cursor is not None
    rest = events(ledger, action="account.opened", cursor=first.next_cursor)
    ids = [event.id for event in first.items + rest]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == len(set(ids)) == 5


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'nothing.happened'", "DELETE FROM audit_events"],
)
def test_the_database_refuses_to_rewrite_the_trail(
    ledger: Ledger, trk: CurrencyView, statement: str
) -> None:
    before = [(event.id, event.action) for event in events(ledger, limit=500)]
    assert before
    with pytest.raises(DBAPIError, match="append-only"), ledger.db.write_engine.begin() as conn:
        conn.execute(text(statement))
    assert [(event.id, event.action) for event in events(ledger, limit=500)] == before


def test_truncating_the_trail_is_refused_on_postgresql(ledger: Ledger, trk: CurrencyView) -> None:
    if ledger.db.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE")
    before = count_events(ledger.db)
    with pytest.raises(DBAPIError, match="append-only"), ledger.db.write_engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_events"))
    assert count_events(ledger.db) == before
