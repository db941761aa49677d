"""Des pièces jointes pour les courriels de la file d'envoi

Revision ID: 0014_outbox_attachments
Revises: 0013_outbox_idempotency_key

A module may attach files to a mail (the aids module's PDF receipt to its
confirmation): ``IMailer.send(attachments=…)`` keeps them with the message,
encrypted as its bodies are, until the worker sends it. The mails already in
the outbox have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_outbox_attachments"
down_revision = "0013_outbox_idempotency_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_mail", sa.Column("attachments", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_mail") as batch:
        batch.drop_column("attachments")
