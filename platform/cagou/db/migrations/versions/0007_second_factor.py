"""The second factor: TOTP secrets, recovery codes, and sessions that gave it.

Revision ID: 0007_second_factor
Revises: 0006_public_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_second_factor"
down_revision = "0006_public_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.add_column(sa.Column("second_factor_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "second_factor",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_time_step", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_second_factor_account_id_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_second_factor")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_recovery_code_account_id_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_account_id"), "recovery_code", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_code_account_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("second_factor")
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.drop_column("second_factor_at")
