"""Une clé d'idempotence pour les courriels de la file d'envoi : un courriel par clé

Revision ID: 0013_outbox_idempotency_key
Revises: 0012_audit_roles

A mail composed by a worker job (the helpdesk's acknowledgement of a new
ticket) may be composed twice: the job is retried after a failure that came
after its commit, or a sweep runs it again while a delayed retry is still
queued. ``IMailer.send(key=…)`` writes the key with the mail, and this unique
index keeps one mail per key, whoever writes it. The mails already in the
outbox have no key (NULL is never a duplicate).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_outbox_idempotency_key"
down_revision = "0012_audit_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_mail", sa.Column("idempotency_key", sa.String(255), nullable=True))
    op.create_index("uq_outbox_mail_idempotency_key", "outbox_mail", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_outbox_mail_idempotency_key", table_name="outbox_mail")
    with op.batch_alter_table("outbox_mail") as batch:
        batch.drop_column("idempotency_key")
