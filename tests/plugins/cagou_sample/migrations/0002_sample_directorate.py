"""Sample notes belong to a directorate.

Revision ID: 0002_sample_directorate
Revises: 0001_sample
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_sample_directorate"
down_revision = "0001_sample"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sample_note") as batch_op:
        batch_op.add_column(sa.Column("directorate_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sample_note_directorate_id_directorate"), "directorate", ["directorate_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("sample_note") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sample_note_directorate_id_directorate"), type_="foreignkey")
        batch_op.drop_column("directorate_id")
