"""Stored responses keep no code readable: the codes they show are kept as placeholders with the
recipe to derive them again (``derived_codes``), and the request's fingerprint is keyed with the
secret key.

Records stored before hold readable codes and plain fingerprints. A plain fingerprint never
matches a keyed one, so such a record can no longer be replayed, only refuse its key as reused
(which still keeps the write from happening twice); its response is emptied here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "idempotency_records"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("derived_codes", sa.Text(), nullable=False, server_default="[]"))
    op.execute(sa.text(f"UPDATE {TABLE} SET response_body = 'null'"))  # noqa: S608 - a constant


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("derived_codes")
