"""Messages about an application, both ways, with their attached files; requests for documents.

Revision ID: 0003_aids_messages
Revises: 0002_aids_scan

The instructors write to the applicant from the application's page, the
applicant answers from theirs: ``aids_message`` holds each message, and its
files are rows of ``aids_file`` (``message_id``), stored as the
application's files are, so that whatever applies to those (the virus
scanner, retention) applies to them. ``aids_document_request`` holds an
instructor's request for documents (the fields reopened, and why); a file
that its answer replaces keeps its row, marked ``replaced_at``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_aids_messages"
down_revision = "0002_aids_scan"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aids_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_aids_message_account_id_account")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"], name=op.f("fk_aids_message_application_id_aids_application")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_message")),
    )
    op.create_index("ix_aids_message_application", "aids_message", ["application_id", "at"])
    with op.batch_alter_table("aids_file") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f("fk_aids_file_message_id_aids_message"), "aids_message", ["message_id"], ["id"])
    op.create_table(
        "aids_document_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_aids_document_request_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["aids_application.id"],
            name=op.f("fk_aids_document_request_application_id_aids_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_document_request")),
    )
    op.create_index("ix_aids_document_request_application", "aids_document_request", ["application_id", "answered_at"])


def downgrade() -> None:
    op.drop_index("ix_aids_document_request_application", table_name="aids_document_request")
    op.drop_table("aids_document_request")
    with op.batch_alter_table("aids_file") as batch:
        batch.drop_constraint(op.f("fk_aids_file_message_id_aids_message"), type_="foreignkey")
        batch.drop_column("replaced_at")
        batch.drop_column("message_id")
    op.drop_index("ix_aids_message_application", table_name="aids_message")
    op.drop_table("aids_message")
