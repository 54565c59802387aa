"""Earning: holds, projects with coordinators, activities, claim code batches, codes and claims.

Holds and claims leave ``pending`` once: triggers refuse any change to a resolved row.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'released')", name=op.f("ck_holds_status_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_holds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_holds_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_holds_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_index("ix_holds_account_status", "holds", ["account_id", "status"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency_id", sa.Integer(), nullable=False),
        sa.Column("budget_account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["budget_account_id"],
            ["accounts.id"],
            name=op.f("fk_projects_budget_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currencies.id"], name=op.f("fk_projects_currency_id_currencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("budget_account_id", name=op.f("uq_projects_budget_account_id")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reward_kind", sa.String(length=16), nullable=False),
        sa.Column("reward_amount", sa.BigInteger(), nullable=False),
        sa.Column("max_hours", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("period_limit", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claims_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'closed')", name=op.f("ck_activities_status_known")
        ),
        sa.CheckConstraint(
            "capacity IS NULL OR claims_count <= capacity",
            name=op.f("ck_activities_within_capacity"),
        ),
        sa.CheckConstraint(
            "claims_count >= 0", name=op.f("ck_activities_claims_count_non_negative")
        ),
        sa.CheckConstraint("reward_amount > 0", name=op.f("ck_activities_reward_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_activities_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_activities_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    op.create_index("ix_activities_project_id", "activities", ["project_id"], unique=False)

    op.create_table(
        "project_coordinators",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_coordinators_project_id_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_project_coordinators_user_id_users")
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_project_coordinators")),
    )
    op.create_table(
        "code_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_code_batches_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_code_batches_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_batches")),
    )
    op.create_index(
        op.f("ix_code_batches_activity_id"), "code_batches", ["activity_id"], unique=False
    )

    op.create_table(
        "claim_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("short_hash", sa.String(length=64), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "uses >= 0 AND uses <= max_uses", name=op.f("ck_claim_codes_uses_within_limit")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_claim_codes_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["code_batches.id"], name=op.f("fk_claim_codes_batch_id_code_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_codes")),
        sa.UniqueConstraint("batch_id", "position", name="uq_claim_codes_batch_position"),
        sa.UniqueConstraint("code_hash", name=op.f("uq_claim_codes_code_hash")),
        sa.UniqueConstraint("short_hash", name=op.f("uq_claim_codes_short_hash")),
    )
    op.create_index(
        op.f("ix_claim_codes_activity_id"), "claim_codes", ["activity_id"], unique=False
    )

    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'rejected')", name=op.f("ck_claims_status_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_claims_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_claims_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_claims_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["code_id"], ["claim_codes.id"], name=op.f("fk_claims_code_id_claim_codes")
        ),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_claims_hold_id_holds")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_claims_member_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_claims_resolved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_claims_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_claims_hold_id")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_claims_transaction_id")),
    )
    op.create_index(
        "ix_claims_activity_member",
        "claims",
        ["activity_id", "member_id", "created_at"],
        unique=False,
    )
    op.create_index(op.f("ix_claims_code_id"), "claims", ["code_id"], unique=False)
    op.create_index("ix_claims_status", "claims", ["status"], unique=False)
    _create_resolve_once_guards()


def downgrade() -> None:
    _drop_resolve_once_guards()
    for table in (
        "claims",
        "claim_codes",
        "code_batches",
        "activities",
        "project_coordinators",
        "projects",
        "holds",
    ):
        op.drop_table(table)


RESOLVED_ONCE_TABLES = ("holds", "claims")


def _create_resolve_once_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION torekes_resolved_is_final() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'a resolved row of % is final', TG_TABLE_NAME
                    USING ERRCODE = 'integrity_constraint_violation';
            END;
            $$
            """
        )
        for table in RESOLVED_ONCE_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_resolved_is_final BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW WHEN (OLD.status <> 'pending') "
                "EXECUTE FUNCTION torekes_resolved_is_final()"
            )
        return
    for table in RESOLVED_ONCE_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_resolved_no_{operation.lower()} BEFORE {operation} "
                f"ON {table} WHEN OLD.status <> 'pending' "
                f"BEGIN SELECT RAISE(ABORT, 'a resolved row of {table} is final'); END"
            )


def _drop_resolve_once_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in RESOLVED_ONCE_TABLES:
            op.execute(f"DROP TRIGGER {table}_resolved_is_final ON {table}")
        op.execute("DROP FUNCTION torekes_resolved_is_final()")
        return
    for table in RESOLVED_ONCE_TABLES:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_resolved_no_{operation}")
