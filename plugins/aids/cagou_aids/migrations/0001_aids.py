"""The aids module's first tables: procedures, their versions, drafts, applications and their history, files, receipt counters.

Revision ID: 0001_aids
Revises: (none: the base of the aids branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_aids"
down_revision = None
branch_labels = ("aids",)
depends_on = "0001_core"  # the core revision that creates the account and directorate tables referred to


def upgrade() -> None:
    op.create_table(
        "aids_procedure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("help_text", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("directorate_id", sa.Integer(), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("receipt_prefix", sa.String(length=12), nullable=False),
        sa.Column("data_notice", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["directorate_id"], ["directorate.id"], name=op.f("fk_aids_procedure_directorate_id_directorate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_procedure")),
        sa.UniqueConstraint("slug", name=op.f("uq_aids_procedure_slug")),
    )
    op.create_table(
        "aids_procedure_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["aids_procedure.id"], name=op.f("fk_aids_procedure_version_procedure_id_aids_procedure")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_procedure_version")),
        sa.UniqueConstraint("procedure_id", "number", name=op.f("uq_aids_procedure_version_procedure_id_number")),
    )
    op.create_table(
        "aids_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("identity", sa.String(length=300), nullable=True),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["account.id"], name=op.f("fk_aids_application_applicant_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["aids_application.id"],
            name=op.f("fk_aids_application_duplicate_of_id_aids_application"),
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["aids_procedure.id"], name=op.f("fk_aids_application_procedure_id_aids_procedure")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["aids_procedure_version.id"],
            name=op.f("fk_aids_application_version_id_aids_procedure_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_application")),
        sa.UniqueConstraint(
            "procedure_id", "idempotency_key", name=op.f("uq_aids_application_procedure_id_idempotency_key")
        ),
        sa.UniqueConstraint("receipt", name=op.f("uq_aids_application_receipt")),
    )
    op.create_index("ix_aids_application_list", "aids_application", ["procedure_id", "submitted_at", "id"])
    op.create_index("ix_aids_application_identity", "aids_application", ["procedure_id", "identity"])
    op.create_table(
        "aids_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("typed", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("guest_code_hash", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["applicant_id"], ["account.id"], name=op.f("fk_aids_draft_applicant_id_account")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"], name=op.f("fk_aids_draft_application_id_aids_application")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["aids_procedure.id"], name=op.f("fk_aids_draft_procedure_id_aids_procedure")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["aids_procedure_version.id"], name=op.f("fk_aids_draft_version_id_aids_procedure_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_draft")),
        sa.UniqueConstraint("token", name=op.f("uq_aids_draft_token")),
    )
    op.create_index("ix_aids_draft_applicant", "aids_draft", ["applicant_id", "updated_at"])
    op.create_table(
        "aids_application_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["aids_application.id"],
            name=op.f("fk_aids_application_event_application_id_aids_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_application_event")),
    )
    op.create_index("ix_aids_application_event_application", "aids_application_event", ["application_id", "at"])
    op.create_table(
        "aids_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["aids_application.id"], name=op.f("fk_aids_file_application_id_aids_application")
        ),
        sa.ForeignKeyConstraint(["draft_id"], ["aids_draft.id"], name=op.f("fk_aids_file_draft_id_aids_draft")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aids_file")),
    )
    op.create_index("ix_aids_file_draft", "aids_file", ["draft_id"])
    op.create_index("ix_aids_file_application", "aids_file", ["application_id"])
    op.create_table(
        "aids_receipt_counter",
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_aids_receipt_counter")),
    )


def downgrade() -> None:
    op.drop_table("aids_receipt_counter")
    op.drop_index("ix_aids_application_event_application", table_name="aids_application_event")
    op.drop_table("aids_application_event")
    op.drop_index("ix_aids_file_application", table_name="aids_file")
    op.drop_index("ix_aids_file_draft", table_name="aids_file")
    op.drop_table("aids_file")
    op.drop_index("ix_aids_draft_applicant", table_name="aids_draft")
    op.drop_table("aids_draft")
    op.drop_index("ix_aids_application_identity", table_name="aids_application")
    op.drop_index("ix_aids_application_list", table_name="aids_application")
    op.drop_table("aids_application")
    op.drop_table("aids_procedure_version")
    op.drop_table("aids_procedure")
