"""Each stored file's virus scan: its state (not scanned, quarantined, clean, infected), what was found, when.

Files stored before this revision were never scanned: they are "non-analyse", as a file sent without a scanner.

Revision ID: 0002_aids_scan
Revises: 0001_aids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_aids_scan"
down_revision = "0001_aids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aids_file") as table:
        table.add_column(sa.Column("scan_state", sa.String(length=16), server_default="non-analyse", nullable=False))
        table.add_column(sa.Column("scan_signature", sa.String(length=200), server_default="", nullable=False))
        table.add_column(sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_aids_file_scan_state", "aids_file", ["scan_state"])


def downgrade() -> None:
    op.drop_index("ix_aids_file_scan_state", table_name="aids_file")
    with op.batch_alter_table("aids_file") as table:
        table.drop_column("scanned_at")
        table.drop_column("scan_signature")
        table.drop_column("scan_state")
