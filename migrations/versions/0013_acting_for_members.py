"""Acting for a member at the counter: a claim a coordinator records for a member names who
recorded it (``recorded_by_id``) and needs no claim code (``code_id`` may be empty); a card PIN
tried by someone acting for a member, at no shop, is counted against that person
(``pin_attempts.shop_account_id`` may be empty, failures are counted by ``actor_id``).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _keep_claims_final() -> None:
    """SQLite loses a table's triggers when it is rebuilt: make again the ones 0002 gave claims,
    which refuse to change or delete a resolved claim."""
    if op.get_bind().dialect.name == "postgresql":
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER claims_resolved_no_{operation.lower()} BEFORE {operation} "
            "ON claims WHEN OLD.status <> 'pending' "
            "BEGIN SELECT RAISE(ABORT, 'a resolved row of claims is final'); END"
        )


def upgrade() -> None:
    with op.batch_alter_table("claims", recreate="auto") as batch_op:
        batch_op.alter_column("code_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_claims_recorded_by_id_users"), "users", ["recorded_by_id"], ["id"]
        )
    _keep_claims_final()
    with op.batch_alter_table("pin_attempts", recreate="auto") as batch_op:
        batch_op.alter_column("shop_account_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_pin_attempts_actor_at", ["actor_id", "attempted_at"])


def downgrade() -> None:
    # Attempts that name no shop cannot be kept by the older schema; nor can claims recorded for
    # a member without a code, so going back is refused while there are any.
    op.execute("DELETE FROM pin_attempts WHERE shop_account_id IS NULL")
    with op.batch_alter_table("pin_attempts", recreate="auto") as batch_op:
        batch_op.drop_index("ix_pin_attempts_actor_at")
        batch_op.alter_column("shop_account_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("claims", recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("fk_claims_recorded_by_id_users"), type_="foreignkey")
        batch_op.drop_column("recorded_by_id")
        batch_op.alter_column("code_id", existing_type=sa.Integer(), nullable=False)
    _keep_claims_final()
