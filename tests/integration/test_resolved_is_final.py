"""The database keeps resolved holds and claims final: once a row has left ``pending``, raw
UPDATE and DELETE are refused; a pending row can still move on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.support import Actor, Ledger
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.earning import activities, claim_codes, claims, projects
from torekes.earning.read_models import ClaimView
from torekes.kit.unit_of_work import write
from torekes.settings import Settings

HOLD_OF_CLAIM = "SELECT hold_id FROM claims WHERE id = :claim"


def _two_claims(ledger: Ledger, settings: Settings) -> tuple[Actor, ClaimView, ClaimView]:
    """A coordinator, a claim still pending and one already approved."""
    ledger.currency()
    coordinator = ledger.user(Role.COORDINATOR)
    volunteer = ledger.user(Role.MEMBER)
    ledger.account(AccountKind.MEMBER, volunteer)
    admin = ledger.admin.principal
    project = write(
        ledger.db,
        admin,
        lambda ctx: projects.create_project(
            ctx, projects.ProjectCommand("Garden", "TRK", [coordinator.id])
        ),
    )
    ledger.issue(project.budget_account_id, 100)
    activity = write(
        ledger.db,
        coordinator.principal,
        lambda ctx: activities.create_activity(
            ctx,
            project.id,
            activities.ActivityCommand("Weeding", "", RewardKind.FIXED, 10, requires_approval=True),
        ),
    )
    batch = write(
        ledger.db,
        coordinator.principal,
        lambda ctx: claim_codes.create_batch(
            ctx, settings, activity.id, claim_codes.BatchCommand(CodeKind.SINGLE, count=2)
        ),
    )
    made = [
        write(
            ledger.db,
            volunteer.principal,
            lambda ctx, code=code.code: claims.claim(  # type: ignore[misc]
                ctx, settings, claims.ClaimCommand(code, Decimal(1))
            ),
        )
        for code in batch.codes
    ]
    approved = write(ledger.db, coordinator.principal, lambda ctx: claims.approve(ctx, made[1].id))
    return coordinator, made[0], approved


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE claims SET status = 'pending' WHERE id = :claim",
        "UPDATE claims SET amount = amount + 1 WHERE id = :claim",
        "DELETE FROM claims WHERE id = :claim",
        f"UPDATE holds SET status = 'pending' WHERE id = ({HOLD_OF_CLAIM})",
        f"DELETE FROM holds WHERE id = ({HOLD_OF_CLAIM})",
    ],
)
def test_resolved_rows_cannot_change(
    db: Database, ledger: Ledger, settings: Settings, statement: str
) -> None:
    _coordinator, _pending, approved = _two_claims(ledger, settings)
    with pytest.raises(DBAPIError, match="is final"), db.write_engine.begin() as connection:
        connection.execute(text(statement), {"claim": approved.id})
    with db.read_session() as session:
        row = session.scalars(select(m.Claim).where(m.Claim.id == approved.id)).one()
        assert (row.status, row.amount) == ("paid", 10)


def test_pending_rows_still_resolve(db: Database, ledger: Ledger, settings: Settings) -> None:
    coordinator, pending, _approved = _two_claims(ledger, settings)
    rejected = write(db, coordinator.principal, lambda ctx: claims.reject(ctx, pending.id, "no"))
    assert rejected.status == "rejected"
    with db.read_session() as session:
        hold = session.get(m.Hold, session.get(m.Claim, pending.id).hold_id)  # type: ignore[union-attr]
        assert hold is not None
        assert hold.status == "released"
