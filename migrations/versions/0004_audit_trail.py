"""The audit trail: administrative actions outside the journal, append-only like the journal.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torekes.db.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "audit_events"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_action", TABLE, ["action"])
    op.create_index(op.f("ix_audit_events_actor_id"), TABLE, ["actor_id"])
    op.create_index("ix_audit_events_occurred_at", TABLE, ["occurred_at"])
    op.create_index("ix_audit_events_subject", TABLE, ["subject_type", "subject_id"])
    _create_append_only_guards()


def downgrade() -> None:
    _drop_append_only_guards()
    op.drop_table(TABLE)


def _create_append_only_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # torekes_journal_is_append_only() comes from revision 0001.
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION torekes_journal_is_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION torekes_journal_is_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: {operation} on {TABLE} "
            "is not allowed'); END"
        )


def _drop_append_only_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}")
        return
    for operation in ("update", "delete"):
        op.execute(f"DROP TRIGGER {TABLE}_no_{operation}")
