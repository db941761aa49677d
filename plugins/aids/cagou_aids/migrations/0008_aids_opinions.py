"""Expert opinions: asked of a directorate or of an outside expert, the files shared with them, their answer's files.

Revision ID: 0008_aids_opinions
Revises: 0007_aids_acts

``aids_opinion.token_hash`` is the SHA-256 of an outside expert's one-time
link (the token itself is never stored); ``aids_opinion_shared_file`` the
application's files the instructor let the expert read;
``aids_opinion_file`` the files of the expert's answer, kept apart from the
application's so that none reaches the applicant.

``aids_document_request.closed_by_id``: the instructor who closed a request
for documents unanswered, by taking the workflow out of "complement".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_aids_opinions"
down_revision = "0007_aids_acts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aids_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("directorate_id", sa.Integer(), nullable=True),
        sa.Column("expert_email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("favourable", sa.Boolean(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"], name=op.f("fk_aids_opinion_application_id_aids_application")
        ),
        sa.ForeignKeyConstraint(["asked_by_id"], ["account.id"], name=op.f("fk_aids_opinion_asked_by_id_account")),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["account.id"], name=op.f("fk_aids_opinion_answered_by_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["directorate_id"], ["directorate.id"], name=op.f("fk_aids_opinion_directorate_id_directorate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_opinion")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_aids_opinion_token_hash")),
    )
    op.create_index("ix_aids_opinion_application", "aids_opinion", ["application_id", "asked_at"])
    op.create_index("ix_aids_opinion_directorate", "aids_opinion", ["directorate_id", "answered_at"])
    op.create_index("ix_aids_opinion_waiting", "aids_opinion", ["answered_at", "deadline"])
    op.create_table(
        "aids_opinion_shared_file",
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["aids_opinion.id"], name=op.f("fk_aids_opinion_shared_file_opinion_id_aids_opinion")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["aids_file.id"], name=op.f("fk_aids_opinion_shared_file_file_id_aids_file")
        ),
        sa.PrimaryKeyConstraint("opinion_id", "file_id", name=op.f("pk_aids_opinion_shared_file")),
    )
    op.create_table(
        "aids_opinion_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["aids_opinion.id"], name=op.f("fk_aids_opinion_file_opinion_id_aids_opinion")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_opinion_file")),
    )
    op.create_index("ix_aids_opinion_file_opinion", "aids_opinion_file", ["opinion_id"])
    with op.batch_alter_table("aids_document_request") as table:
        table.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        table.create_foreign_key(
            op.f("fk_aids_document_request_closed_by_id_account"), "account", ["closed_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("aids_document_request") as table:
        table.drop_constraint(op.f("fk_aids_document_request_closed_by_id_account"), type_="foreignkey")
        table.drop_column("closed_by_id")
    op.drop_index("ix_aids_opinion_file_opinion", table_name="aids_opinion_file")
    op.drop_table("aids_opinion_file")
    op.drop_table("aids_opinion_shared_file")
    op.drop_index("ix_aids_opinion_waiting", table_name="aids_opinion")
    op.drop_index("ix_aids_opinion_directorate", table_name="aids_opinion")
    op.drop_index("ix_aids_opinion_application", table_name="aids_opinion")
    op.drop_table("aids_opinion")
