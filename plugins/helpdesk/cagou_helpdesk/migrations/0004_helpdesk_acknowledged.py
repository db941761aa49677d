"""When the acknowledgement of a ticket was written, for the sweep that finds those a lost job left out.

Revision ID: 0004_helpdesk_acknowledged
Revises: 0003_helpdesk_article_search

Opening a ticket queues the job that composes its acknowledgement (job
``helpdesk.acknowledge``) instead of writing the mail in the request. The job
sets ``acknowledged_at`` in the transaction that writes the mail; a ticket
still without it a few minutes after its opening lost its job (a worker
killed while holding it, a database outage while it ran), and the scheduled
sweep runs the job again. ``ix_helpdesk_ticket_unacknowledged`` holds only
those few tickets. The tickets already there were acknowledged in their
request: they take their opening instant.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_helpdesk_acknowledged"
down_revision = "0003_helpdesk_article_search"
branch_labels = None
depends_on = None

UNACKNOWLEDGED = sa.column("acknowledged_at").is_(None)


def upgrade() -> None:
    op.add_column("helpdesk_ticket", sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE helpdesk_ticket SET acknowledged_at = created_at")
    op.create_index(
        "ix_helpdesk_ticket_unacknowledged",
        "helpdesk_ticket",
        ["created_at"],
        postgresql_where=UNACKNOWLEDGED,
        sqlite_where=UNACKNOWLEDGED,
    )


def downgrade() -> None:
    op.drop_index("ix_helpdesk_ticket_unacknowledged", table_name="helpdesk_ticket")
    with op.batch_alter_table("helpdesk_ticket") as batch:
        batch.drop_column("acknowledged_at")
