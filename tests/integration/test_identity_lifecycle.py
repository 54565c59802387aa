"""A user's life cycle on a real database: the last active administrator is never deactivated,
not even by two administrators deactivating each other at the same moment from separate
processes; a deactivated user's tokens stay revoked after reactivation; a password changed
meanwhile makes the one checked before it no longer current."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Engines
from tests.integration.threads import run_concurrently, successes, unexpected
from tests.support import PASSWORD, Ledger
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.identity import auth, lifecycle, users
from torekes.kit.unit_of_work import write
from torekes.settings import Settings

OPERATOR = Principal(0, "operator", Role.ADMIN)


CLIENT = "203.0.113.7"


def _active(db: Database, user_id: int) -> bool:
    with db.read_session() as session:
        user = session.get(m.User, user_id)
        assert user is not None
        return user.is_active


def test_the_last_active_administrator_is_never_deactivated(db: Database, ledger: Ledger) -> None:
    only = ledger.admin
    with pytest.raises(errors.LastActiveAdmin):
        write(db, OPERATOR, lambda ctx: lifecycle.deactivate_user(ctx, only.id))
    assert _active(db, only.id)
    # A second administrator makes the first one deactivatable, and then the second is the last.
    second = ledger.user(Role.ADMIN)
    write(db, OPERATOR, lambda ctx: lifecycle.deactivate_user(ctx, only.id))
    with pytest.raises(errors.LastActiveAdmin):
        write(db, OPERATOR, lambda ctx: lifecycle.deactivate_user(ctx, second.id))
    # Deactivated administrators do not count.
    write(db, OPERATOR, lambda ctx: lifecycle.reactivate_user(ctx, only.id))
    write(db, OPERATOR, lambda ctx: lifecycle.deactivate_user(ctx, second.id))
    assert _active(db, only.id)
    assert not _active(db, second.id)


@pytest.mark.parametrize("separate", [False, True], ids=["one-engine", "separate-engines"])
def test_two_administrators_deactivating_each_other_leave_one_active(
    ledger: Ledger, engines: Engines, separate: bool
) -> None:
    first = ledger.user(Role.ADMIN)
    second = ledger.user(Role.ADMIN)
    databases = engines(separate, 2)
    pairs = [(first, second), (second, first)]

    def work(index: int) -> int:
        actor, target = pairs[index]
        view = write(
            databases[index],
            actor.principal,
            lambda ctx: lifecycle.deactivate_user(ctx, target.id),
        )
        return view.id

    # The ledger's own administrator is a third one: take it out first, so two are left.
    third = ledger.admin.id
    write(ledger.db, first.principal, lambda ctx: lifecycle.deactivate_user(ctx, third))
    outcomes = run_concurrently(2, work)
    assert unexpected(outcomes, errors.LastActiveAdmin) == []
    assert len(successes(outcomes)) == 1
    assert [_active(ledger.db, first.id), _active(ledger.db, second.id)].count(True) == 1


def test_reactivation_brings_back_sign_in_but_no_revoked_token(
    db: Database, ledger: Ledger, settings: Settings
) -> None:
    member = ledger.user(Role.MEMBER)
    write(db, OPERATOR, lambda ctx: lifecycle.deactivate_user(ctx, member.id))
    with pytest.raises(errors.InvalidCredentials):
        auth.sign_in(db, settings, member.principal.username, PASSWORD, CLIENT)
    write(db, OPERATOR, lambda ctx: lifecycle.reactivate_user(ctx, member.id))
    with pytest.raises(errors.InvalidToken):
        auth.principal_for_token(db, settings, member.token)
    issued = auth.sign_in(db, settings, member.principal.username, PASSWORD, CLIENT)
    assert auth.principal_for_token(db, settings, issued.access_token).user_id == member.id


def test_a_password_set_meanwhile_makes_the_checked_one_stale(
    db: Database, ledger: Ledger, settings: Settings
) -> None:
    """The current password is checked outside the write; if an administrator sets another one
    before the change is written, the change is refused and the administrator's stands."""
    member = ledger.user(Role.MEMBER)

    def commit_after_reset(operation: lifecycle.Operation) -> lifecycle.PasswordChanged:
        reset = lifecycle.NewPassword.of("set-by-the-desk")
        write(db, OPERATOR, lambda ctx: lifecycle.set_password(ctx, member.id, reset))
        return write(db, member.principal, operation)

    with pytest.raises(errors.WrongPassword):
        lifecycle.change_own_password(
            db,
            settings,
            member.principal,
            member.token,
            PASSWORD,
            "chosen-by-the-member",
            CLIENT,
            commit_after_reset,
        )
    assert auth.sign_in(db, settings, member.principal.username, "set-by-the-desk", CLIENT)


@pytest.mark.parametrize("separate", [False, True], ids=["one-engine", "separate-engines"])
def test_names_differing_only_in_case_made_at_once_make_one_user(
    ledger: Ledger, engines: Engines, separate: bool
) -> None:
    ledger.currency()
    databases = engines(separate, 4)
    names = ["Buurman", "buurman", "BUURMAN", "bUURMAN"]

    def work(index: int) -> int:
        command = users.UserCommand(names[index], "Buurman", Role.MEMBER, PASSWORD)
        return write(databases[index], OPERATOR, lambda ctx: users.add_user(ctx, command)).id

    outcomes = run_concurrently(4, work)
    assert unexpected(outcomes, errors.UsernameTaken) == []
    assert len(successes(outcomes)) == 1
    with ledger.db.read_session() as session:
        made = session.query(m.User).filter(m.User.display_name == "Buurman").count()
    assert made == 1
