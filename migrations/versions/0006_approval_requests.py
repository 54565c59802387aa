"""Four eyes: issuances, reversals and general entries above a threshold wait for a second
administrator's approval.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torekes.db.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "approval_requests"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('issuance', 'entry', 'reversal')",
            name=op.f("ck_approval_requests_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_approval_requests_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_approval_requests_amount_positive")),
        sa.CheckConstraint(
            "(status = 'approved') = (transaction_id IS NOT NULL)",
            name=op.f("ck_approval_requests_approved_posted"),
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_approval_requests_decided_once"),
        ),
        sa.CheckConstraint(
            "status <> 'approved'"
            " OR (decided_by_id IS NOT NULL AND decided_by_id <> requested_by_id)",
            name=op.f("ck_approval_requests_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"],
            ["currencies.id"],
            name=op.f("fk_approval_requests_currency_id_currencies"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_approval_requests_requested_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_approval_requests_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_approval_requests_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_requests")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_approval_requests_transaction_id")),
    )
    op.create_index("ix_approval_requests_status", TABLE, ["status"])


def downgrade() -> None:
    op.drop_index("ix_approval_requests_status", table_name=TABLE)
    op.drop_table(TABLE)
