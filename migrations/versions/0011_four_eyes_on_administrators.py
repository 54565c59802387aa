"""Four eyes on every change to who holds an administrator's voice: setting another
administrator's password, deactivating and reactivating an administrator are filed as approval
requests that name the administrator they are about (``subject_user_id``), who may not approve
them, which the database refuses too.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "approval_requests"
SUBJECT_KINDS = (
    "'administrator_password', 'administrator_deactivation', 'administrator_reactivation',"
    " 'user_password'"
)

KINDS_BEFORE = (
    "kind IN ('issuance', 'entry', 'reversal', 'transfer', 'redemption_approval',"
    " 'redemption_payment', 'settlement', 'settlement_payment', 'administrator')"
)
KINDS = (
    "kind IN ('issuance', 'entry', 'reversal', 'transfer', 'redemption_approval',"
    " 'redemption_payment', 'settlement', 'settlement_payment', 'administrator',"
    f" 'euro_rate', 'payout_details', {SUBJECT_KINDS})"
)
MONEY_NAMED_BEFORE = (
    "(kind = 'administrator') = (currency_id IS NULL) AND (currency_id IS NULL) = (amount IS NULL)"
)
MONEY_NAMED = (
    f"(kind IN ('administrator', 'euro_rate', 'payout_details', {SUBJECT_KINDS}))"
    " = (currency_id IS NULL)"
    " AND (currency_id IS NULL) = (amount IS NULL)"
)
POSTED = (
    "(status = 'approved' AND kind IN ('issuance', 'entry', 'reversal', 'transfer',"
    " 'redemption_payment')) = (transaction_id IS NOT NULL)"
)
DECIDED_ONCE = "(status = 'pending') = (decided_at IS NULL)"
FOUR_EYES = (
    "status <> 'approved' OR (decided_by_id IS NOT NULL AND decided_by_id <> requested_by_id)"
)
SUBJECT_NAMED = f"(kind IN ({SUBJECT_KINDS})) = (subject_user_id IS NOT NULL)"
NOT_BY_SUBJECT = (
    "status <> 'approved' OR subject_user_id IS NULL"
    " OR (decided_by_id IS NOT NULL AND decided_by_id <> subject_user_id)"
)


def upgrade() -> None:
    # SQLite changes a CHECK constraint only by rebuilding the table (``upgrade_to_head`` runs
    # the rebuild with foreign keys off and checks every reference before committing).
    with op.batch_alter_table(TABLE, recreate="auto") as batch_op:
        batch_op.add_column(sa.Column("subject_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_approval_requests_subject_user_id_users"), "users", ["subject_user_id"], ["id"]
        )
        # Dropped and made again in the order they had, which is the order SQLite checks them in.
        for name in ("kind_known", "money_named", "approved_posted", "decided_once", "four_eyes"):
            batch_op.drop_constraint(op.f(f"ck_approval_requests_{name}"), type_="check")
        batch_op.create_check_constraint(op.f("ck_approval_requests_kind_known"), KINDS)
        batch_op.create_check_constraint(op.f("ck_approval_requests_money_named"), MONEY_NAMED)
        batch_op.create_check_constraint(op.f("ck_approval_requests_approved_posted"), POSTED)
        batch_op.create_check_constraint(op.f("ck_approval_requests_decided_once"), DECIDED_ONCE)
        batch_op.create_check_constraint(op.f("ck_approval_requests_four_eyes"), FOUR_EYES)
        batch_op.create_check_constraint(op.f("ck_approval_requests_subject_named"), SUBJECT_NAMED)
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_not_by_subject"), NOT_BY_SUBJECT
        )


def downgrade() -> None:
    op.execute(
        f"DELETE FROM approval_requests WHERE kind IN ({SUBJECT_KINDS}, 'euro_rate', 'payout_details')"  # noqa: S608
    )
    with op.batch_alter_table(TABLE, recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_approval_requests_not_by_subject"), type_="check")
        batch_op.drop_constraint(op.f("ck_approval_requests_subject_named"), type_="check")
        batch_op.drop_constraint(op.f("ck_approval_requests_money_named"), type_="check")
        batch_op.drop_constraint(op.f("ck_approval_requests_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_approval_requests_kind_known"), KINDS_BEFORE)
        batch_op.create_check_constraint(
            op.f("ck_approval_requests_money_named"), MONEY_NAMED_BEFORE
        )
        batch_op.drop_constraint(
            op.f("fk_approval_requests_subject_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("subject_user_id")
