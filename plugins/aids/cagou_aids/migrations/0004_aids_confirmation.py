"""When an application's confirmation mail (with its PDF receipt) was written to the outbox.

Revision ID: 0004_aids_confirmation
Revises: 0003_aids_messages

The confirmation is composed by a job queued with the application
(:func:`cagou_aids.jobs.confirm`): the PDF takes half a second to print, and
printing it inside the submission's transaction held the receipt counter's
row lock meanwhile. ``confirmed_at`` records that the job did it, so that a
second run writes nothing and the scheduled sweep finds the applications whose
job was lost. The applications already stored got their mail in their own
transaction: they are confirmed at their submission's instant.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_aids_confirmation"
down_revision = "0003_aids_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aids_application") as batch:
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_aids_application_unconfirmed", ["confirmed_at", "submitted_at"])
    op.execute("UPDATE aids_application SET confirmed_at = submitted_at")


def downgrade() -> None:
    with op.batch_alter_table("aids_application") as batch:
        batch.drop_index("ix_aids_application_unconfirmed")
        batch.drop_column("confirmed_at")
