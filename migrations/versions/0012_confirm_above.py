"""A currency's confirmation limit: an amount typed on a page above ``confirm_above`` (minor
units) is asked to be confirmed before the page's form goes through; NULL never asks.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column constraint, as revision 0003 adds the other limits: SQLite drops such a column
    # in place, where a table constraint would make every later column drop fail.
    op.execute(
        "ALTER TABLE currencies ADD COLUMN confirm_above BIGINT "
        "CONSTRAINT ck_currencies_confirm_above_positive "
        "CHECK (confirm_above IS NULL OR confirm_above > 0)"
    )


def downgrade() -> None:
    op.drop_column("currencies", "confirm_above")
