"""Card numbers are no longer stored readable: a keyed digest finds a card by its number, a sealed
copy prints it again and the last four digits go on receipts, all keyed with the card key (the
PIN pepper's key, ``TOREKES_PIN_PEPPER`` or derived from ``TOREKES_SECRET_KEY``).

Existing cards are converted with the card key of the settings ``torekes migrate`` runs with, so
run it with the service's own settings. Card sign-in attempts, which named the typed number, are
dropped (from now on they name its keyed digest): the counter's limits start afresh. Audit events
written before keep the numbers they hold: the audit trail is append-only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from torekes.kit import security
from torekes.settings import load_settings

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "member_cards"
CARD_NUMBER = "card number"  # the purpose numbers are sealed for, as torekes.spending.cards says


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("number_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("number_sealed", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("number_ending", sa.String(length=4), nullable=True))
    connection = op.get_bind()
    cards = connection.execute(sa.text(f"SELECT id, number FROM {TABLE}")).all()  # noqa: S608
    if cards:
        key = load_settings().pin_pepper_key
        for card_id, number in cards:
            connection.execute(
                sa.text(
                    f"UPDATE {TABLE} SET number_digest = :digest, number_sealed = :sealed, "  # noqa: S608
                    "number_ending = :ending WHERE id = :id"
                ),
                {
                    "digest": security.card_number_digest(key, number),
                    "sealed": security.seal(key, CARD_NUMBER, number),
                    "ending": number[-4:],
                    "id": card_id,
                },
            )
    connection.execute(sa.text("DELETE FROM login_attempts WHERE kind = 'card'"))
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("number_digest", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("number_sealed", existing_type=sa.String(length=128), nullable=False)
        batch.alter_column("number_ending", existing_type=sa.String(length=4), nullable=False)
        batch.create_unique_constraint(batch.f("uq_member_cards_number_digest"), ["number_digest"])
        batch.drop_constraint(batch.f("uq_member_cards_number"), type_="unique")
        batch.drop_column("number")


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("number", sa.String(length=16), nullable=True))
    connection = op.get_bind()
    sealed = connection.execute(sa.text(f"SELECT id, number_sealed FROM {TABLE}")).all()  # noqa: S608
    if sealed:
        key = load_settings().pin_pepper_key
        for card_id, number_sealed in sealed:
            connection.execute(
                sa.text(f"UPDATE {TABLE} SET number = :number WHERE id = :id"),  # noqa: S608
                {"number": security.unseal(key, CARD_NUMBER, number_sealed), "id": card_id},
            )
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("number", existing_type=sa.String(length=16), nullable=False)
        batch.create_unique_constraint(batch.f("uq_member_cards_number"), ["number"])
        batch.drop_constraint(batch.f("uq_member_cards_number_digest"), type_="unique")
        batch.drop_column("number_ending")
        batch.drop_column("number_sealed")
        batch.drop_column("number_digest")
