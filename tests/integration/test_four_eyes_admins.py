"""Four eyes on administrators on a real database: a request about an administrator (their new
password, their deactivation) names them as its subject, and the database itself refuses its
approval by them, as it refuses one by the requester, whatever writes the row; a shop owned by an
administrator from before takes no payment through the services."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.support import Ledger
from torekes.approvals import four_eyes
from torekes.approvals.four_eyes import ApprovalView
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.identity.lifecycle import NewPassword
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts
from torekes.ledger.accounts import AccountCommand


def _row(db: Database, request_id: int) -> dict[str, Any]:
    with db.write_engine.begin() as connection:
        found = connection.execute(
            text(
                "SELECT status, decided_by_id, subject_user_id"
                " FROM approval_requests WHERE id = :id"
            ),
            {"id": request_id},
        )
        return dict(found.mappings().one())


def _approve_raw(db: Database, request_id: int, decided_by: int) -> None:
    """Approve the request with plain SQL, behind the services' back."""
    with db.write_engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE approval_requests SET status = 'approved', decided_at = requested_at,"
                " decided_by_id = :by WHERE id = :id"
            ),
            {"by": decided_by, "id": request_id},
        )


@pytest.mark.parametrize("kind", ["password", "deactivation"])
def test_the_database_refuses_an_approval_by_the_administrator_it_is_about(
    db: Database, ledger: Ledger, kind: str
) -> None:
    asker, subject, third = ledger.admin, ledger.user(Role.ADMIN), ledger.user(Role.ADMIN)
    password = NewPassword.of("a-long-enough-password")
    filed = write(
        db,
        asker.principal,
        lambda ctx: (
            four_eyes.set_password(ctx, subject.id, password, None)
            if kind == "password"
            else four_eyes.deactivate_user(ctx, subject.id)
        ),
    )
    assert isinstance(filed, ApprovalView)
    assert _row(db, filed.id)["subject_user_id"] == subject.id

    with pytest.raises(IntegrityError, match="not_by_subject"):
        _approve_raw(db, filed.id, subject.id)
    with pytest.raises(errors.SubjectNotApprover):
        write(db, subject.principal, lambda ctx: four_eyes.approve(ctx, filed.id, ""))

    assert _row(db, filed.id)["status"] == "pending"
    # The same statement with a third administrator is accepted: it is the subject rule that bit.
    _approve_raw(db, filed.id, third.id)
    assert _row(db, filed.id)["status"] == "approved"


def test_the_database_refuses_a_request_about_an_administrator_that_names_none(
    db: Database, ledger: Ledger
) -> None:
    ledger.user(Role.ADMIN)
    subject = ledger.user(Role.ADMIN)
    filed = write(
        db, ledger.admin.principal, lambda ctx: four_eyes.deactivate_user(ctx, subject.id)
    )
    assert isinstance(filed, ApprovalView)

    with pytest.raises(IntegrityError, match="subject_named"), db.write_engine.begin() as conn:
        conn.execute(
            text("UPDATE approval_requests SET subject_user_id = NULL WHERE id = :id"),
            {"id": filed.id},
        )


def test_no_account_of_an_administrator_is_a_shop_or_partner(db: Database, ledger: Ledger) -> None:
    ledger.currency("TRK")
    for kind in (AccountKind.SHOP, AccountKind.PARTNER):
        command = AccountCommand("TRK", kind, "Eigen zaak", ledger.admin.id)
        with pytest.raises(errors.AdministratorCannotOwnShop):
            write(
                db,
                ledger.admin.principal,
                lambda ctx, command=command: accounts.open_account(ctx, command),  # type: ignore[misc]
            )
    with db.read_session() as session:
        assert session.query(m.Account).filter_by(owner_id=ledger.admin.id).count() == 0
