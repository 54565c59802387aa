"""Four eyes on money leaving without a second look: transfers out of others' accounts, approving
and paying redemptions, making and paying settlements, and making another administrator (which
names no currency and no amount) are filed as approval requests too.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "approval_requests"

KINDS_BEFORE = "kind IN ('issuance', 'entry', 'reversal')"
KINDS = (
    "kind IN ('issuance', 'entry', 'reversal', 'transfer', 'redemption_approval',"
    " 'redemption_payment', 'settlement', 'settlement_payment', 'administrator')"
)
POSTED_BEFORE = "(status = 'approved') = (transaction_id IS NOT NULL)"
POSTED = (
    "(status = 'approved' AND kind IN ('issuance', 'entry', 'reversal', 'transfer',"
    " 'redemption_payment')) = (transaction_id IS NOT NULL)"
)
DECIDED_ONCE = "(status = 'pending') = (decided_at IS NULL)"
FOUR_EYES = (
    "status <> 'approved' OR (decided_by_id IS NOT NULL AND decided_by_id <> requested_by_id)"
)
MONEY_NAMED = (
    "(kind = 'administrator') = (currency_id IS NULL) AND (currency_id IS NULL) = (amount IS NULL)"
)


def upgrade() -> None:
    # SQLite changes a CHECK constraint only by rebuilding the table (``upgrade_to_head`` runs
    # the rebuild with foreign keys off and checks every reference before committing).
    with op.batch_alter_table(TABLE, recreate="auto") as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=16), type_=sa.String(length=32)
        )
        batch_op.alter_column("currency_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("amount", existing_type=sa.BigInteger(), nullable=True)
        # Dropped and made again in the order they had, which is the order SQLite checks them in.
        for name in ("kind_known", "approved_posted", "decided_once", "four_eyes"):
            batch_op.drop_constraint(op.f(f"ck_approval_requests_{name}"), type_="check")
        batch_op.create_check_constraint(op.f("ck_approval_requests_kind_known"), KINDS)
        batch_op.create_check_constraint(op.f("ck_approval_requests_money_named"), MONEY_NAMED)
        batch_op.create_check_constraint(op.f("ck_approval_requests_approved_posted"), POSTED)
        batch_op.create_check_constraint(op.f("ck_approval_requests_decided_once"), DECIDED_ONCE)
        batch_op.create_check_constraint(op.f("ck_approval_requests_four_eyes"), FOUR_EYES)


def downgrade() -> None:
    op.execute("DELETE FROM approval_requests WHERE kind NOT IN ('issuance', 'entry', 'reversal')")
    with op.batch_alter_table(TABLE, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_approval_requests_money_named"), type_="check")
        batch_op.drop_constraint(op.f("ck_approval_requests_approved_posted"), type_="check")
        batch_op.drop_constraint(op.f("ck_approval_requests_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_approval_requests_kind_known"), KINDS_BEFORE)
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_approved_posted"), POSTED_BEFORE
        )
        batch_op.alter_column("amount", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("currency_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=32), type_=sa.String(length=16)
        )
