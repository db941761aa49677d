"""Public accounts: RIDET, address confirmation, deletion, single-use links.

Revision ID: 0006_public_accounts
Revises: 0005_attempt_counters
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_public_accounts"
down_revision = "0005_attempt_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch_op:
        batch_op.add_column(sa.Column("ridet", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    # Public accounts created before confirmation existed keep signing in.
    op.execute("UPDATE account SET email_verified_at = created_at WHERE kind IN ('citizen', 'company')")
    op.create_table(
        "account_link",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_link_account_id_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_link")),
    )


def downgrade() -> None:
    op.drop_table("account_link")
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("ridet")
