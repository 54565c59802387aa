"""Sign-in attempts are counted per client address as well as per subject, apart for passwords
and member cards, and successes are kept to know the addresses a subject signs in from.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "login_attempts"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="password")
        )
        batch.add_column(
            sa.Column("client", sa.String(length=64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("succeeded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_check_constraint(
            op.f("ck_login_attempts_kind_known"), "kind IN ('password', 'card')"
        )
    with op.batch_alter_table(TABLE) as batch:
        # Only the rows from before this change are of no known address.
        batch.alter_column("client", server_default=None)
    # Card sign-ins were told apart by their subject's prefix until now.
    op.execute(
        "UPDATE login_attempts SET kind = 'card', username = substr(username, 6)"
        " WHERE username LIKE 'card:%'"
    )
    op.create_index("ix_login_attempts_client_at", TABLE, ["client", "attempted_at"])
    op.create_index("ix_login_attempts_at", TABLE, ["attempted_at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_at", table_name=TABLE)
    op.drop_index("ix_login_attempts_client_at", table_name=TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(op.f("ck_login_attempts_kind_known"), type_="check")
        batch.drop_column("succeeded")
        batch.drop_column("client")
        batch.drop_column("kind")
