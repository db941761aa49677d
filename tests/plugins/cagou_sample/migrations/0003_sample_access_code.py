"""Sample notes may keep an access code, a secret encrypted with the key ring.

Revision ID: 0003_sample_access_code
Revises: 0002_sample_directorate
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sample_access_code"
down_revision = "0002_sample_directorate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sample_note") as batch_op:
        batch_op.add_column(sa.Column("access_code", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sample_note") as batch_op:
        batch_op.drop_column("access_code")
