"""A currency's confirmation limit: an amount typed on a page above ``confirm_above`` (minor
units) is asked to be confirmed before the page's form goes through; NULL never asks.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("currencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirm_above", sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_currencies_confirm_above_positive"),
            "confirm_above IS NULL OR confirm_above > 0",
        )


def downgrade() -> None:
    with op.batch_alter_table("currencies", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_currencies_confirm_above_positive"), type_="check")
        batch_op.drop_column("confirm_above")
