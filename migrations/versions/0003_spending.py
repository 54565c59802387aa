"""Spending: payment requests, member cards, PIN attempts, payments, refunds, spending limits.

A paid or cancelled payment request is final: triggers refuse any change to it, as for holds and
claims. The currencies' spending limits are added as columns with their own CHECK constraints,
written out by hand because SQLite adds a constrained column without rebuilding the table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torekes.db.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("pin_hash", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", UTCDateTime(), nullable=True),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("blocked_at", UTCDateTime(), nullable=True),
        sa.Column("blocked_by_id", sa.Integer(), nullable=True),
        sa.Column("block_reason", sa.Text(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'blocked')", name=op.f("ck_member_cards_status_known")
        ),
        sa.CheckConstraint(
            "pin_failures >= 0", name=op.f("ck_member_cards_pin_failures_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["blocked_by_id"], ["users.id"], name=op.f("fk_member_cards_blocked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_member_cards_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_member_cards_member_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["member_cards.id"],
            name=op.f("fk_member_cards_replaces_id_member_cards"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_cards")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_member_cards_code_hash")),
        sa.UniqueConstraint("number", name=op.f("uq_member_cards_number")),
        sa.UniqueConstraint("replaces_id", name=op.f("uq_member_cards_replaces_id")),
    )
    with op.batch_alter_table("member_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_cards_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            "uq_member_cards_active_member",
            ["member_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "payment_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'one_off' AND amount > 0 AND expires_at IS NOT NULL) OR (kind = 'standing' AND amount IS NULL AND expires_at IS NULL AND status <> 'paid')",
            name=op.f("ck_payment_requests_kind_shape"),
        ),
        sa.CheckConstraint(
            "(status = 'paid') = (transaction_id IS NOT NULL)",
            name=op.f("ck_payment_requests_paid_has_transaction"),
        ),
        sa.CheckConstraint(
            "kind IN ('one_off', 'standing')", name=op.f("ck_payment_requests_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'paid', 'cancelled')", name=op.f("ck_payment_requests_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_payment_requests_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["shop_account_id"],
            ["accounts.id"],
            name=op.f("fk_payment_requests_shop_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_payment_requests_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_requests")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_payment_requests_code_hash")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_payment_requests_transaction_id")),
    )
    with op.batch_alter_table("payment_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_requests_shop_created", ["shop_account_id", "created_at"], unique=False
        )

    op.create_table(
        "pin_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("shop_account_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('pending', 'wrong', 'right')", name=op.f("ck_pin_attempts_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_pin_attempts_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["member_cards.id"], name=op.f("fk_pin_attempts_card_id_member_cards")
        ),
        sa.ForeignKeyConstraint(
            ["shop_account_id"],
            ["accounts.id"],
            name=op.f("fk_pin_attempts_shop_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pin_attempts")),
    )
    with op.batch_alter_table("pin_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pin_attempts_card_id"), ["card_id"], unique=False)
        batch_op.create_index(
            "ix_pin_attempts_shop_at", ["shop_account_id", "attempted_at"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("shop_account_id", sa.Integer(), nullable=False),
        sa.Column("payer_account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("payment_request_id", sa.Integer(), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('request', 'standing', 'card')", name=op.f("ck_payments_channel_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount",
            name=op.f("ck_payments_refunds_within_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["member_cards.id"], name=op.f("fk_payments_card_id_member_cards")
        ),
        sa.ForeignKeyConstraint(
            ["payer_account_id"],
            ["accounts.id"],
            name=op.f("fk_payments_payer_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_request_id"],
            ["payment_requests.id"],
            name=op.f("fk_payments_payment_request_id_payment_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_account_id"], ["accounts.id"], name=op.f("fk_payments_shop_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_payments_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_payments_transaction_id")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_payer_created", ["payer_account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_payments_shop_created", ["shop_account_id", "created_at"], unique=False
        )

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_refunds_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_refunds_transaction_id")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_payment_id"), ["payment_id"], unique=False)

    for column, constraint in SPENDING_LIMITS:
        op.execute(
            f"ALTER TABLE currencies ADD COLUMN {column} BIGINT "
            f"CONSTRAINT ck_currencies_{constraint} CHECK ({column} IS NULL OR {column} > 0)"
        )
    _create_final_guards()


def downgrade() -> None:
    _drop_final_guards()
    for column, _constraint in SPENDING_LIMITS:
        op.drop_column("currencies", column)

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_payment_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_shop_created")
        batch_op.drop_index("ix_payments_payer_created")

    op.drop_table("payments")
    with op.batch_alter_table("pin_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_pin_attempts_shop_at")
        batch_op.drop_index(batch_op.f("ix_pin_attempts_card_id"))

    op.drop_table("pin_attempts")
    with op.batch_alter_table("payment_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_requests_shop_created")

    op.drop_table("payment_requests")
    with op.batch_alter_table("member_cards", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_member_cards_active_member",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_member_cards_member_id"))

    op.drop_table("member_cards")


SPENDING_LIMITS = (
    ("max_payment", "max_payment_positive"),
    ("daily_spend_limit", "daily_limit_positive"),
)


def _create_final_guards() -> None:
    """A payment request that left ``open`` never changes again."""
    if op.get_bind().dialect.name == "postgresql":
        # torekes_resolved_is_final() comes from revision 0002.
        op.execute(
            "CREATE TRIGGER payment_requests_resolved_is_final "
            "BEFORE UPDATE OR DELETE ON payment_requests "
            "FOR EACH ROW WHEN (OLD.status <> 'open') "
            "EXECUTE FUNCTION torekes_resolved_is_final()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER payment_requests_resolved_no_{operation.lower()} "
            f"BEFORE {operation} ON payment_requests WHEN OLD.status <> 'open' "
            "BEGIN SELECT RAISE(ABORT, 'a resolved row of payment_requests is final'); END"
        )


def _drop_final_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER payment_requests_resolved_is_final ON payment_requests")
        return
    for operation in ("update", "delete"):
        op.execute(f"DROP TRIGGER payment_requests_resolved_no_{operation}")
