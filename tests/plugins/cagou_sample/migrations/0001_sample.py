"""The sample module's tables.

Revision ID: 0001_sample
Revises: (none: the base of the sample branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_sample"
down_revision = None
branch_labels = ("sample",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "sample_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["account.id"], name=op.f("fk_sample_note_author_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_note")),
        sa.UniqueConstraint("title", name=op.f("uq_sample_note_title")),
    )
    op.create_table(
        "sample_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_event")),
    )


def downgrade() -> None:
    op.drop_table("sample_event")
    op.drop_table("sample_note")
