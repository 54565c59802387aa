"""Redemption: partner accounts and payout details on accounts, euro rates over time, redemptions
and the settlements that pay them out.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torekes.db.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('issuance', 'budget', 'member', 'shop', 'redemption')"
KINDS_WITH_PARTNER = "kind IN ('issuance', 'budget', 'member', 'shop', 'partner', 'redemption')"


def upgrade() -> None:
    op.create_table(
        "currency_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency_id", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("rate >= 0", name=op.f("ck_currency_rates_rate_non_negative")),
        sa.ForeignKeyConstraint(
            ["currency_id"],
            ["currencies.id"],
            name=op.f("fk_currency_rates_currency_id_currencies"),
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_currency_rates_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_currency_rates")),
        sa.UniqueConstraint("currency_id", "valid_from", name="uq_currency_rates_currency_from"),
    )
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.String(length=35), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("payout_reference", sa.String(length=140), nullable=True),
        sa.CheckConstraint("status IN ('open', 'paid')", name=op.f("ck_settlements_status_known")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_settlements_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currencies.id"], name=op.f("fk_settlements_currency_id_currencies")
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["users.id"], name=op.f("fk_settlements_paid_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("message_id", name=op.f("uq_settlements_message_id")),
    )
    op.create_table(
        "redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("currency_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("euro_cents", sa.BigInteger(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("payout_reference", sa.String(length=140), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("rejected_at", UTCDateTime(), nullable=True),
        sa.Column("rejected_by_id", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(status = 'paid') = (transaction_id IS NOT NULL)",
            name=op.f("ck_redemptions_paid_posted"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'rejected') OR (rate IS NOT NULL AND euro_cents IS NOT NULL)",
            name=op.f("ck_redemptions_approved_has_rate"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'paid', 'rejected')",
            name=op.f("ck_redemptions_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_redemptions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_redemptions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_redemptions_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currencies.id"], name=op.f("fk_redemptions_currency_id_currencies")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["holds.id"], name=op.f("fk_redemptions_hold_id_holds")
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["users.id"], name=op.f("fk_redemptions_paid_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by_id"], ["users.id"], name=op.f("fk_redemptions_rejected_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_redemptions_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["settlements.id"],
            name=op.f("fk_redemptions_settlement_id_settlements"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_redemptions_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_redemptions_hold_id")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_redemptions_transaction_id")),
    )
    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_redemptions_account_status", ["account_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_redemptions_settlement_id"), ["settlement_id"], unique=False
        )
        batch_op.create_index("ix_redemptions_status", ["status"], unique=False)

    # Every existing currency's rate so far is the first entry of its history.
    op.execute(
        "INSERT INTO currency_rates (currency_id, rate, valid_from, set_by_id, created_at) "
        "SELECT id, euro_rate, created_at, NULL, created_at FROM currencies"
    )
    # SQLite changes a CHECK constraint only by rebuilding the table (``upgrade_to_head`` runs
    # the rebuild with foreign keys off and checks every reference before committing).
    with op.batch_alter_table("accounts", recreate="auto") as batch_op:
        batch_op.add_column(
            sa.Column("redeemable", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column("payout_name", sa.String(length=70), nullable=True))
        batch_op.drop_constraint(op.f("ck_accounts_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_accounts_kind_known"), KINDS_WITH_PARTNER)
        batch_op.create_check_constraint(
            op.f("ck_accounts_redeemable_partner"), "NOT redeemable OR kind = 'partner'"
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_accounts_redeemable_partner"), type_="check")
        batch_op.drop_constraint(op.f("ck_accounts_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_accounts_kind_known"), KINDS_BEFORE)
        batch_op.drop_column("payout_name")
        batch_op.drop_column("iban")
        batch_op.drop_column("redeemable")

    with op.batch_alter_table("redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_redemptions_status")
        batch_op.drop_index(batch_op.f("ix_redemptions_settlement_id"))
        batch_op.drop_index("ix_redemptions_account_status")

    op.drop_table("redemptions")
    op.drop_table("settlements")
    op.drop_table("currency_rates")
